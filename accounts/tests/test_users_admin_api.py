import uuid

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import bearer

USERS = "/api/v1/users/"

pytestmark = pytest.mark.django_db


def _url(user) -> str:
    return f"{USERS}{user.pk}/"


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def superuser_client(superuser, client_for):
    return client_for(superuser)


# --- permissions ----------------------------------------------------------------------


def test_users_endpoints_refuse_anonymous_with_401(api_client, user):
    assert api_client.get(USERS).status_code == 401
    assert api_client.get(_url(user)).status_code == 401
    assert api_client.post(USERS, {"email": "x@example.com"}).status_code == 401
    assert api_client.patch(_url(user), {"is_seller": True}).status_code == 401
    assert api_client.delete(_url(user)).status_code == 401


@pytest.mark.parametrize("client_fixture", ["user_client", "seller_client"])
def test_users_endpoints_refuse_non_staff_with_403(request, client_fixture, user):
    client = request.getfixturevalue(client_fixture)
    target = UserFactory()

    assert client.get(USERS).status_code == 403
    assert client.get(_url(target)).status_code == 403
    assert client.post(USERS, {"email": "x@example.com"}).status_code == 403
    assert client.patch(_url(user), {"is_seller": True}).status_code == 403
    assert client.delete(_url(target)).status_code == 403
    user.refresh_from_db()
    target.refresh_from_db()
    assert user.is_seller is False
    assert target.is_active is True
    assert client.get(USERS).json()["code"] == "permission_denied"


# --- list and retrieve ----------------------------------------------------------------


def test_staff_lists_users_paginated(staff_client, staff):
    UserFactory.create_batch(3)

    response = staff_client.get(USERS, {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert len(body["results"]) == 2
    assert body["next"]
    assert set(body["results"][0]) >= {"id", "email", "is_active", "is_seller", "profile"}


def test_staff_searches_users_by_email(staff_client):
    UserFactory(email="alice@shop.example")
    UserFactory(email="bob@example.com")

    response = staff_client.get(USERS, {"search": "SHOP.example"})

    assert [u["email"] for u in response.json()["results"]] == ["alice@shop.example"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"is_seller": "true"}, {"seller@example.com"}),
        ({"is_active": "false"}, {"gone@example.com"}),
        ({"is_staff": "true"}, {"boss@example.com"}),
        ({"is_staff": "false", "is_seller": "false"}, {"gone@example.com", "plain@example.com"}),
    ],
)
def test_staff_filters_users_by_role_and_status(client_for, params, expected):
    staff = UserFactory(email="boss@example.com", is_staff=True)
    UserFactory(email="seller@example.com", is_seller=True)
    UserFactory(email="gone@example.com", is_active=False)
    UserFactory(email="plain@example.com")

    response = client_for(staff).get(USERS, params)

    assert response.status_code == 200
    assert {u["email"] for u in response.json()["results"]} == expected


def test_user_list_query_count_does_not_grow_with_page_size(
    staff_client, django_assert_max_num_queries
):
    UserFactory.create_batch(3)
    with django_assert_max_num_queries(4) as small:
        assert len(staff_client.get(USERS).json()["results"]) == 4

    UserFactory.create_batch(27)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(staff_client.get(USERS, {"page_size": 31}).json()["results"]) == 31


def test_staff_retrieves_a_user(staff_client, user):
    response = staff_client.get(_url(user))

    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_unknown_and_malformed_user_ids_are_404(staff_client):
    assert staff_client.get(f"{USERS}{uuid.uuid4()}/").status_code == 404
    assert staff_client.get(f"{USERS}42/").status_code == 404
    assert staff_client.patch(f"{USERS}not-a-uuid/", {"is_seller": True}).status_code == 404


# --- create ---------------------------------------------------------------------------


def test_staff_creates_a_user(staff_client):
    response = staff_client.post(
        USERS, {"email": "Fresh@Example.com", "password": DEFAULT_PASSWORD, "is_seller": True}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "fresh@example.com"
    assert body["is_seller"] is True
    assert body["is_staff"] is False
    created = User.objects.get(pk=body["id"])
    assert created.check_password(DEFAULT_PASSWORD)
    assert created.profile is not None


def test_staff_create_refuses_duplicate_email_and_weak_password(staff_client, user):
    duplicate = staff_client.post(
        USERS, {"email": user.email.upper(), "password": DEFAULT_PASSWORD}
    )
    weak = staff_client.post(USERS, {"email": "new@example.com", "password": "123"})

    assert duplicate.status_code == 400
    assert "email" in duplicate.json()["errors"]
    assert weak.status_code == 400
    assert "password" in weak.json()["errors"]


def test_only_a_superuser_creates_staff(staff_client, superuser_client):
    payload = {"email": "newstaff@example.com", "password": DEFAULT_PASSWORD, "is_staff": True}

    refused = staff_client.post(USERS, payload)
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert not User.objects.filter(email="newstaff@example.com").exists()

    allowed = superuser_client.post(USERS, payload)
    assert allowed.status_code == 201
    assert allowed.json()["is_staff"] is True


# --- update ---------------------------------------------------------------------------


def test_staff_grants_and_revokes_seller(staff_client, user):
    granted = staff_client.patch(_url(user), {"is_seller": True})
    user.refresh_from_db()
    assert granted.status_code == 200
    assert granted.json()["is_seller"] is True
    assert user.is_seller is True

    revoked = staff_client.patch(_url(user), {"is_seller": False})
    user.refresh_from_db()
    assert revoked.status_code == 200
    assert user.is_seller is False


def test_staff_updates_a_users_profile(staff_client, user):
    response = staff_client.patch(
        _url(user), {"profile": {"first_name": "Grace", "last_name": "Hopper"}}, format="json"
    )

    assert response.status_code == 200
    user.profile.refresh_from_db()
    assert user.profile.full_name == "Grace Hopper"


def test_staff_may_not_grant_or_revoke_staff(staff_client, user):
    other_staff = UserFactory(is_staff=True)

    grant = staff_client.patch(_url(user), {"is_staff": True})
    revoke = staff_client.patch(_url(other_staff), {"is_staff": False})

    assert grant.status_code == 403
    assert revoke.status_code == 403
    user.refresh_from_db()
    other_staff.refresh_from_db()
    assert user.is_staff is False
    assert other_staff.is_staff is True


def test_staff_may_resend_an_unchanged_staff_flag(staff_client, user):
    response = staff_client.patch(_url(user), {"is_staff": False, "is_seller": True})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.is_seller is True


def test_superuser_grants_and_revokes_staff(superuser_client, user):
    assert superuser_client.patch(_url(user), {"is_staff": True}).status_code == 200
    user.refresh_from_db()
    assert user.is_staff is True

    assert superuser_client.patch(_url(user), {"is_staff": False}).status_code == 200
    user.refresh_from_db()
    assert user.is_staff is False


def test_staff_may_not_deactivate_another_staff_account(staff_client, superuser_client):
    other_staff = UserFactory(is_staff=True)

    assert staff_client.patch(_url(other_staff), {"is_active": False}).status_code == 403
    assert staff_client.delete(_url(other_staff)).status_code == 403
    other_staff.refresh_from_db()
    assert other_staff.is_active is True

    assert superuser_client.delete(_url(other_staff)).status_code == 204


def test_staff_patch_ignores_read_only_fields(staff_client, user):
    response = staff_client.patch(
        _url(user), {"email": "changed@example.com", "is_superuser": True}, format="json"
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email != "changed@example.com"
    assert user.is_superuser is False


def test_put_is_not_allowed_on_users(staff_client, user):
    response = staff_client.put(_url(user), {"is_seller": True})

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- delete ---------------------------------------------------------------------------


def test_staff_delete_deactivates_and_revokes_tokens(staff_client, api_client, user):
    refresh = RefreshToken.for_user(user)
    user_client = bearer(APIClient(), str(refresh.access_token))

    response = staff_client.delete(_url(user))

    assert response.status_code == 204
    user.refresh_from_db()
    assert user.is_active is False
    assert user_client.get("/api/v1/users/me/").status_code == 401
    refreshed = api_client.post("/api/v1/auth/token/refresh/", {"refresh": str(refresh)})
    assert refreshed.status_code == 401
    assert staff_client.get(_url(user)).json()["is_active"] is False


def test_staff_reactivates_a_customer(staff_client):
    gone = UserFactory(is_active=False)

    response = staff_client.patch(_url(gone), {"is_active": True})

    assert response.status_code == 200
    gone.refresh_from_db()
    assert gone.is_active is True


@pytest.mark.parametrize("change", [{"is_active": False}, {"is_staff": False}])
def test_a_superuser_cannot_lock_themselves_out_through_user_management(client_for, change):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client = client_for(superuser)

    patched = client.patch(f"/api/v1/users/{superuser.pk}/", change, format="json")
    deleted = client.delete(f"/api/v1/users/{superuser.pk}/")

    assert (patched.status_code, deleted.status_code) == (403, 403)
    assert patched.json()["code"] == "permission_denied"
    superuser.refresh_from_db()
    assert superuser.is_active and superuser.is_staff
    assert client.get("/api/v1/users/me/").status_code == 200


def test_staff_still_close_their_own_account_through_users_me(staff_client, staff):
    response = staff_client.delete("/api/v1/users/me/")

    assert response.status_code == 204
    staff.refresh_from_db()
    assert staff.is_active is False
