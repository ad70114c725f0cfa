import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Profile, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import bearer, login

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/users/me/"

pytestmark = pytest.mark.django_db


# --- register -------------------------------------------------------------------------


def test_register_creates_user_with_profile_and_returns_it(api_client):
    response = api_client.post(
        REGISTER,
        {"email": "New.Person@Example.com", "password": DEFAULT_PASSWORD, "first_name": "Ada"},
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "is_seller", "is_staff", "date_joined", "profile"}
    assert body["email"] == "new.person@example.com"
    assert body["profile"]["first_name"] == "Ada"
    assert "password" not in body
    user = User.objects.get(pk=body["id"])
    assert user.email == "new.person@example.com"
    assert user.check_password(DEFAULT_PASSWORD)
    assert Profile.objects.filter(user=user, first_name="Ada").exists()


def test_register_ignores_role_flags_in_the_body(api_client):
    response = api_client.post(
        REGISTER,
        {
            "email": "sneaky@example.com",
            "password": DEFAULT_PASSWORD,
            "is_staff": True,
            "is_seller": True,
            "is_superuser": True,
            "is_active": False,
        },
    )

    assert response.status_code == 201
    assert response.json()["is_staff"] is False
    assert response.json()["is_seller"] is False
    user = User.objects.get(email="sneaky@example.com")
    assert (user.is_staff, user.is_seller, user.is_superuser, user.is_active) == (
        False,
        False,
        False,
        True,
    )


def test_register_refuses_an_email_taken_in_another_case(api_client):
    UserFactory(email="taken@example.com")

    response = api_client.post(
        REGISTER, {"email": "  TAKEN@Example.COM ", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "email" in response.json()["errors"]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short1!", "too short"), ("password123", "too common"), ("83749261530", "numeric")],
)
def test_register_applies_the_password_validators(api_client, password, reason):
    response = api_client.post(REGISTER, {"email": "weak@example.com", "password": password})

    assert response.status_code == 400, reason
    assert "password" in response.json()["errors"]
    assert not User.objects.filter(email="weak@example.com").exists()


def test_register_refuses_a_password_similar_to_the_email(api_client):
    response = api_client.post(
        REGISTER, {"email": "marguerite.yourcenar@example.com", "password": "marguerite.yourcenar"}
    )

    assert response.status_code == 400
    assert "password" in response.json()["errors"]


def test_register_requires_a_valid_email_and_a_password(api_client):
    response = api_client.post(REGISTER, {"email": "not-an-email"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "password"}


def test_register_is_throttled(api_client, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"register": "2/min"})

    codes = [
        api_client.post(
            REGISTER, {"email": f"r{i}@example.com", "password": DEFAULT_PASSWORD}
        ).status_code
        for i in range(3)
    ]

    assert codes == [201, 201, 429]


# --- login ----------------------------------------------------------------------------


def test_login_returns_a_token_pair_that_authenticates(api_client, user):
    response = login(api_client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert response["Cache-Control"].count("no-store") == 1
    me = bearer(APIClient(), response.json()["access"]).get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == str(user.pk)


def test_login_email_is_case_insensitive(api_client):
    UserFactory(email="mixed@example.com")

    response = login(api_client, "MiXeD@Example.com", DEFAULT_PASSWORD)

    assert response.status_code == 200


def test_login_with_a_wrong_password_is_401(api_client, user):
    response = login(api_client, user.email, "wrong-password-123")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_login_of_a_deactivated_user_is_401(api_client):
    inactive = UserFactory(is_active=False)

    response = login(api_client, inactive.email, DEFAULT_PASSWORD)

    assert response.status_code == 401


def test_login_ignores_a_stale_authorization_header(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = login(api_client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 200


def test_login_throttle_answers_429_with_retry_after(api_client, user, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "3/min"})

    codes = [login(api_client, user.email, "wrong-password-123").status_code for _ in range(3)]
    response = login(api_client, user.email, DEFAULT_PASSWORD)

    assert codes == [401, 401, 401]
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_login_throttle_is_not_dodged_by_a_spoofed_forwarded_for(user, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "2/min"})
    client = APIClient(REMOTE_ADDR="203.0.113.7")

    codes = [
        client.post(
            TOKEN,
            {"email": user.email, "password": "wrong-password-123"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(4)
    ]

    assert codes == [401, 401, 429, 429]


def test_login_throttle_counts_each_client_address_separately(user, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "1/min"})

    first = APIClient(REMOTE_ADDR="203.0.113.7")
    second = APIClient(REMOTE_ADDR="203.0.113.8")

    assert login(first, user.email, DEFAULT_PASSWORD).status_code == 200
    assert login(first, user.email, DEFAULT_PASSWORD).status_code == 429
    assert login(second, user.email, DEFAULT_PASSWORD).status_code == 200


# --- refresh --------------------------------------------------------------------------


def test_refresh_rotates_and_refuses_the_old_refresh_token(api_client, user):
    tokens = login(api_client, user.email, DEFAULT_PASSWORD).json()

    rotated = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    replay = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != tokens["refresh"]
    assert replay.status_code == 401
    assert bearer(APIClient(), rotated.json()["access"]).get(ME).status_code == 200
    assert api_client.post(REFRESH, {"refresh": rotated.json()["refresh"]}).status_code == 200


def test_a_refresh_token_rotated_by_two_racing_requests_works_only_once(
    api_client, user, monkeypatch
):
    refresh = str(RefreshToken.for_user(user))
    # Both requests got past the blacklist check before either wrote to the blacklist.
    monkeypatch.setattr(RefreshToken, "check_blacklist", lambda self: None)

    first = api_client.post(REFRESH, {"refresh": refresh})
    second = api_client.post(REFRESH, {"refresh": refresh})

    assert first.status_code == 200
    assert second.status_code == 401


def test_refresh_with_garbage_is_401(api_client):
    response = api_client.post(REFRESH, {"refresh": "garbage"})

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_refresh_with_an_access_token_is_401(api_client, user):
    access = str(RefreshToken.for_user(user).access_token)

    assert api_client.post(REFRESH, {"refresh": access}).status_code == 401


def test_refresh_without_a_token_is_400(api_client):
    response = api_client.post(REFRESH, {})

    assert response.status_code == 400
    assert "refresh" in response.json()["errors"]


def test_refresh_of_a_deleted_user_is_401_not_500(api_client):
    doomed = UserFactory()
    refresh = str(RefreshToken.for_user(doomed))
    doomed.delete()

    response = api_client.post(REFRESH, {"refresh": refresh})

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_deactivated_user_tokens_are_refused(api_client, user):
    refresh = RefreshToken.for_user(user)
    access = str(refresh.access_token)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert bearer(APIClient(), access).get(ME).status_code == 401
    assert api_client.post(REFRESH, {"refresh": str(refresh)}).status_code == 401


def test_tokens_minted_before_a_password_change_are_refused(api_client, user):
    refresh = RefreshToken.for_user(user)
    access = str(refresh.access_token)
    # Changed behind the API's back: no blacklisting, only the password hash claim differs.
    user.set_password("An0ther-sturdy-pass")
    user.save()

    assert bearer(APIClient(), access).get(ME).status_code == 401
    assert api_client.post(REFRESH, {"refresh": str(refresh)}).status_code == 401
    assert login(api_client, user.email, "An0ther-sturdy-pass").status_code == 200


# --- logout ---------------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(api_client, user):
    tokens = login(api_client, user.email, DEFAULT_PASSWORD).json()

    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]})

    assert response.status_code == 204
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 401


def test_logout_with_an_invalid_token_is_401(api_client):
    response = api_client.post(LOGOUT, {"refresh": "garbage"})

    assert response.status_code == 401
    assert BlacklistedToken.objects.count() == 0


def test_logout_without_a_token_is_400(api_client):
    response = api_client.post(LOGOUT, {})

    assert response.status_code == 400
    assert "refresh" in response.json()["errors"]
