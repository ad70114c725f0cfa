"""Login lockout after repeated wrong passwords, for the admin and the API."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _generous_throttles(monkeypatch, settings):
    # The throttles slow guessing too; these tests look at the lockout alone.
    rates = {
        **SimpleRateThrottle.THROTTLE_RATES,
        "login": "1000/min",
        "login_account": "1000/min",
    }
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    settings.AXES_FAILURE_LIMIT = 5


def _login(client, email, password, address="203.0.113.7"):
    return client.post(
        TOKEN, {"email": email, "password": password}, REMOTE_ADDR=address, format="json"
    )


def test_the_admin_refuses_the_right_password_after_25_wrong_ones():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(25):
        client.post(ADMIN_LOGIN, {"username": staff.email, "password": "wrong"})

    response = client.post(ADMIN_LOGIN, {"username": staff.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_api_locks_an_account_out_whatever_address_guesses(api_client):
    user = UserFactory()
    for number in range(5):
        assert _login(api_client, user.email, "wrong", f"198.51.100.{number}").status_code == 401

    locked = _login(api_client, user.email, DEFAULT_PASSWORD, "192.0.2.200")

    assert locked.status_code == 429
    assert locked.json()["code"] == "throttled"
    assert int(locked["Retry-After"]) > 0
    assert "access" not in locked.json()


def test_the_api_locks_an_address_out_across_accounts(api_client):
    victims = [UserFactory() for _ in range(5)]
    for victim in victims:
        _login(api_client, victim.email, "wrong")
    other = UserFactory()

    from_there = _login(api_client, other.email, DEFAULT_PASSWORD)
    from_elsewhere = _login(api_client, other.email, DEFAULT_PASSWORD, "192.0.2.1")

    assert from_there.status_code == 429
    assert from_elsewhere.status_code == 200


def test_a_spoofed_forwarded_for_header_does_not_dodge_the_address_lockout(api_client):
    for number in range(5):
        api_client.post(
            TOKEN,
            {"email": UserFactory().email, "password": "wrong"},
            REMOTE_ADDR="203.0.113.50",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{number}",
            format="json",
        )

    response = api_client.post(
        TOKEN,
        {"email": UserFactory().email, "password": DEFAULT_PASSWORD},
        REMOTE_ADDR="203.0.113.50",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
        format="json",
    )

    assert response.status_code == 429


def test_a_successful_login_clears_the_accounts_failures(api_client):
    user = UserFactory()
    for _ in range(4):
        _login(api_client, user.email, "wrong")

    assert _login(api_client, user.email, DEFAULT_PASSWORD).status_code == 200
    assert not AccessAttempt.objects.filter(username=user.email).exists()


def test_the_api_login_is_throttled_per_account(api_client, monkeypatch):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "login_account": "3/hour", "login": "1000/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    user = UserFactory()

    codes = [
        _login(api_client, user.email.upper(), "wrong", f"198.51.100.{n}").status_code
        for n in range(4)
    ]

    assert codes == [401, 401, 401, 429]
