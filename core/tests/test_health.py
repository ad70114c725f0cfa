import pytest
from django.db import OperationalError

from core import views

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_redis(settings):
    settings.REDIS_URL = ""


def test_health_is_ok_with_database_and_no_redis_configured(api_client):
    response = api_client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "not_configured"}
    assert "no-store" in response["Cache-Control"]


def test_health_is_503_when_the_database_check_fails(api_client, monkeypatch):
    monkeypatch.setattr(views, "_database_ok", lambda: False)

    response = api_client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unavailable",
        "redis": "not_configured",
    }


def test_database_check_reports_a_failing_connection(monkeypatch):
    class BrokenConnection:
        def cursor(self):
            raise OperationalError("could not connect to server")

    monkeypatch.setattr(views, "connection", BrokenConnection())

    assert views._database_ok() is False


def test_database_check_passes_on_the_real_database():
    assert views._database_ok() is True


def test_health_reports_redis_when_configured_and_reachable(api_client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    monkeypatch.setattr(views, "_redis_ok", lambda: True)

    response = api_client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_health_is_degraded_but_200_when_only_redis_is_down(api_client, settings, monkeypatch):
    # The service works without Redis (caches and throttles per process): a load balancer
    # must keep sending traffic. core/tests/test_redis_outage.py stops a real Redis.
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    monkeypatch.setattr(views, "_redis_ok", lambda: False)

    response = api_client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}


def test_health_is_503_when_the_database_is_down_whatever_redis_says(
    api_client, settings, monkeypatch
):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    monkeypatch.setattr(views, "_database_ok", lambda: False)
    monkeypatch.setattr(views, "_redis_ok", lambda: False)

    response = api_client.get("/health/")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_redis_check_reports_a_failing_redis(monkeypatch):
    def unreachable(alias):
        raise ConnectionError("redis down")

    monkeypatch.setattr(views, "get_redis_connection", unreachable)

    assert views._redis_ok() is False


def test_health_needs_no_credentials_and_ignores_a_bad_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.get("/health/")

    assert response.status_code == 200
