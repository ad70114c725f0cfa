import re

import pytest
from django.core import mail
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import bearer, login

RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"
REFRESH = "/api/v1/auth/token/refresh/"
NEW_PASSWORD = "Fresh-horse-battery-77"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reset_url(settings):
    settings.PASSWORD_RESET_URL = "https://shop.example/reset/{uid}/{token}/"


def _request_reset(client, email, capture):
    with capture(execute=True):
        return client.post(RESET, {"email": email})


def _link_parts(message) -> tuple[str, str]:
    match = re.search(r"https://shop\.example/reset/(?P<uid>[^/]+)/(?P<token>[^/]+)/", message.body)
    assert match, message.body
    return match["uid"], match["token"]


def test_password_reset_round_trip(api_client, user, django_capture_on_commit_callbacks):
    old_refresh = str(RefreshToken.for_user(user))

    response = _request_reset(api_client, user.email.upper(), django_capture_on_commit_callbacks)

    assert response.status_code == 204
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    uid, token = _link_parts(message)
    assert f"https://shop.example/reset/{uid}/{token}/" in html

    confirmed = api_client.post(CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD})

    assert confirmed.status_code == 204
    assert login(api_client, user.email, NEW_PASSWORD).status_code == 200
    assert login(api_client, user.email, DEFAULT_PASSWORD).status_code == 401
    # Refresh tokens issued before the reset are dead.
    assert api_client.post(REFRESH, {"refresh": old_refresh}).status_code == 401
    # The token is single-use: the password change invalidates it.
    reuse = api_client.post(
        CONFIRM, {"uid": uid, "token": token, "new_password": "Yet-another-pass-99"}
    )
    assert reuse.status_code == 400
    assert reuse.json()["code"] == "validation_error"
    assert login(api_client, user.email, NEW_PASSWORD).status_code == 200


def test_password_reset_of_an_unknown_email_is_204_without_mail(
    api_client, django_capture_on_commit_callbacks
):
    response = _request_reset(api_client, "nobody@example.com", django_capture_on_commit_callbacks)

    assert response.status_code == 204
    assert mail.outbox == []


def test_password_reset_of_a_deactivated_user_sends_no_mail(
    api_client, django_capture_on_commit_callbacks
):
    inactive = UserFactory(is_active=False)

    response = _request_reset(api_client, inactive.email, django_capture_on_commit_callbacks)

    assert response.status_code == 204
    assert mail.outbox == []


def test_password_reset_mail_is_sent_only_after_commit(api_client, user):
    # Outside the capture the test transaction never commits, so nothing may be sent.
    response = api_client.post(RESET, {"email": user.email})

    assert response.status_code == 204
    assert mail.outbox == []


def test_password_reset_requires_a_valid_email(api_client):
    response = api_client.post(RESET, {"email": "nope"})

    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_password_reset_is_throttled(api_client, user, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"password_reset": "2/hour"})

    codes = [api_client.post(RESET, {"email": user.email}).status_code for _ in range(3)]

    assert codes == [204, 204, 429]


@pytest.mark.parametrize(
    ("uid", "token"),
    [
        ("garbage", "garbage"),
        ("", "abc"),
        ("MTIz", "abc-def"),  # base64 of "123": not a UUID
        ("ZmZmZmZmZmYtZmZmZi1mZmZmLWZmZmYtZmZmZmZmZmZmZmZm", "abc-def"),  # unknown user
    ],
)
def test_password_reset_confirm_with_a_bad_link_is_400(api_client, uid, token):
    response = api_client.post(CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_password_reset_confirm_with_a_wrong_token_keeps_the_password(
    api_client, user, django_capture_on_commit_callbacks
):
    _request_reset(api_client, user.email, django_capture_on_commit_callbacks)
    uid, _token = _link_parts(mail.outbox[0])

    response = api_client.post(
        CONFIRM, {"uid": uid, "token": "cafe-0123456789abcdef", "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 400
    assert "token" in response.json()["errors"]
    assert login(api_client, user.email, DEFAULT_PASSWORD).status_code == 200


def test_password_reset_confirm_applies_the_password_validators(
    api_client, user, django_capture_on_commit_callbacks
):
    _request_reset(api_client, user.email, django_capture_on_commit_callbacks)
    uid, token = _link_parts(mail.outbox[0])

    weak = api_client.post(CONFIRM, {"uid": uid, "token": token, "new_password": "12345678"})

    assert weak.status_code == 400
    assert "new_password" in weak.json()["errors"]
    # The token survives a refused attempt.
    good = api_client.post(CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD})
    assert good.status_code == 204


def test_password_reset_confirm_revokes_access_tokens(
    api_client, user, django_capture_on_commit_callbacks
):
    access = str(RefreshToken.for_user(user).access_token)
    _request_reset(api_client, user.email, django_capture_on_commit_callbacks)
    uid, token = _link_parts(mail.outbox[0])

    api_client.post(CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD})

    assert bearer(APIClient(), access).get("/api/v1/users/me/").status_code == 401


def test_password_reset_confirm_requires_all_fields(api_client):
    response = api_client.post(CONFIRM, {})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"uid", "token", "new_password"}
