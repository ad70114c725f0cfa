from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.tests.helpers import bearer, image_upload, login

ME = "/api/v1/users/me/"
PASSWORD = "/api/v1/users/me/password/"
REFRESH = "/api/v1/auth/token/refresh/"
NEW_PASSWORD = "Fresh-horse-battery-77"

pytestmark = pytest.mark.django_db


def test_me_returns_own_account_with_profile(user_client, user):
    response = user_client.get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.pk)
    assert body["email"] == user.email
    assert body["is_seller"] is False
    assert body["is_staff"] is False
    assert set(body["profile"]) == {"first_name", "last_name", "phone", "avatar", "visibility"}
    assert body["profile"]["visibility"] == "private"


def test_me_answers_are_not_cacheable(user_client):
    for response in (user_client.get(ME), user_client.patch(ME, {}, format="json")):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_me_requires_authentication(api_client):
    for method in ("get", "patch", "delete"):
        response = getattr(api_client, method)(ME)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_me_with_a_bad_token_is_401(api_client):
    bearer(api_client, "not-a-token")

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_me_patch_updates_the_nested_profile(user_client, user):
    response = user_client.patch(
        ME,
        {"profile": {"first_name": "Ada", "phone": "+44 20 7946 0000", "visibility": "public"}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["profile"]["first_name"] == "Ada"
    user.profile.refresh_from_db()
    assert (user.profile.first_name, user.profile.phone, user.profile.visibility) == (
        "Ada",
        "+44 20 7946 0000",
        "public",
    )
    assert user.profile.last_name == ""


def test_me_patch_ignores_email_and_roles(user_client, user):
    response = user_client.patch(
        ME,
        {"email": "other@example.com", "is_staff": True, "is_seller": True, "is_superuser": True},
        format="json",
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email != "other@example.com"
    assert (user.is_staff, user.is_seller, user.is_superuser) == (False, False, False)


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"visibility": "everyone"}, "visibility"),
        ({"phone": "call me maybe"}, "phone"),
        ({"first_name": "x" * 151}, "first_name"),
    ],
)
def test_me_patch_validates_profile_fields(user_client, profile, field):
    response = user_client.patch(ME, {"profile": profile}, format="json")

    assert response.status_code == 400
    assert f"profile.{field}" in response.json()["errors"]


def test_me_avatar_upload_stores_a_renamed_image(user_client, user, settings):
    response = user_client.patch(
        ME, {"profile.avatar": image_upload("holiday.html")}, format="multipart"
    )

    assert response.status_code == 200
    user.profile.refresh_from_db()
    stored = Path(user.profile.avatar.name)
    assert stored.suffix == ".png"
    assert "holiday" not in stored.name
    assert (Path(settings.MEDIA_ROOT) / stored).exists()
    assert response.json()["profile"]["avatar"].endswith(stored.name)


def test_me_avatar_upload_refuses_a_non_image(user_client, user):
    fake = SimpleUploadedFile("avatar.png", b"<script>alert(1)</script>", content_type="image/png")

    response = user_client.patch(ME, {"profile.avatar": fake}, format="multipart")

    assert response.status_code == 400
    assert "profile.avatar" in response.json()["errors"]
    user.profile.refresh_from_db()
    assert not user.profile.avatar


def test_me_avatar_upload_refuses_an_oversize_image(user_client, user, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 100
    big = image_upload(size=(200, 200))
    assert big.size > 100

    response = user_client.patch(ME, {"profile.avatar": big}, format="multipart")

    assert response.status_code == 400
    assert "profile.avatar" in response.json()["errors"]


def test_me_avatar_can_be_removed(user_client, user):
    user_client.patch(ME, {"profile.avatar": image_upload()}, format="multipart")

    response = user_client.patch(ME, {"profile": {"avatar": None}}, format="json")

    assert response.status_code == 200
    assert response.json()["profile"]["avatar"] is None
    user.profile.refresh_from_db()
    assert not user.profile.avatar


def test_me_delete_deactivates_the_account_and_its_tokens(api_client, user):
    tokens = login(api_client, user.email, DEFAULT_PASSWORD).json()
    client = bearer(APIClient(), tokens["access"])

    response = client.delete(ME)

    assert response.status_code == 204
    user.refresh_from_db()
    assert user.is_active is False
    assert User.objects.filter(pk=user.pk).exists()
    assert client.get(ME).status_code == 401
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    assert login(api_client, user.email, DEFAULT_PASSWORD).status_code == 401


# --- password change ------------------------------------------------------------------


def test_password_change_sets_the_new_password_and_revokes_tokens(api_client, user):
    refresh = RefreshToken.for_user(user)
    client = bearer(APIClient(), str(refresh.access_token))

    response = client.post(
        PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 204
    assert client.get(ME).status_code == 401
    assert api_client.post(REFRESH, {"refresh": str(refresh)}).status_code == 401
    assert login(api_client, user.email, DEFAULT_PASSWORD).status_code == 401
    assert login(api_client, user.email, NEW_PASSWORD).status_code == 200


def test_password_change_with_a_wrong_old_password_is_400(user_client, user):
    response = user_client.post(
        PASSWORD, {"old_password": "not-my-password", "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 400
    assert "old_password" in response.json()["errors"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_applies_the_password_validators(user_client, user):
    response = user_client.post(
        PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": user.email}
    )

    assert response.status_code == 400
    assert "new_password" in response.json()["errors"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_requires_both_fields(user_client):
    response = user_client.post(PASSWORD, {})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"old_password", "new_password"}


def test_password_change_requires_authentication(api_client):
    response = api_client.post(
        PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 401


def test_password_change_guessing_is_throttled(user_client, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "2/min"})

    codes = [
        user_client.post(
            PASSWORD, {"old_password": f"guess-{i}", "new_password": NEW_PASSWORD}
        ).status_code
        for i in range(3)
    ]

    assert codes == [400, 400, 429]
