import copy

import pytest
from django.core.cache import cache
from django.db import connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from core.tests.migrations import migrate_to_latest


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    # A `replica` alias mirroring the test database (a second connection to it), as
    # DATABASE_REPLICA_URL would add: unused unless a test installs the replica router
    # (core/tests/test_replicas.py) and names it in its `databases`.
    if "replica" not in connections.settings:
        mirror = copy.deepcopy(connections.settings["default"])
        mirror["TEST"] = {**mirror.get("TEST", {}), "MIRROR": "default"}
        connections.settings["replica"] = mirror


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    # Cached catalog answers are invalidated after commit, which a test's transaction never
    # does; the cache tests turn the cache on and run the commit callbacks themselves.
    settings.CATALOG_CACHE_SECONDS = 0
    settings.CATALOG_COUNT_CACHE_SECONDS = 0
    # The response-time KPI writes a finished minute from whichever request comes next,
    # which would be an extra query in any query-budget test; its tests turn it on.
    settings.API_RESPONSE_TIMES = False
    # Many tests leave orders unpaid; the caps on them have tests of their own.
    settings.ORDER_MAX_PENDING_PER_USER = 10_000
    settings.ORDER_MAX_PENDING_UNITS_PER_USER = 1_000_000
    # Throttle counters live in the cache; every test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


def _client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def client_for():
    """Build an API client authenticated as the given user."""
    return _client_for


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def seller(db):
    return UserFactory(is_seller=True)


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def user_client(user):
    return _client_for(user)


@pytest.fixture
def seller_client(seller):
    return _client_for(seller)


@pytest.fixture
def staff_client(staff):
    return _client_for(staff)


@pytest.fixture
def back_to_latest():
    """For tests of a migration (core.tests.migrations.migrate_to): every app at its
    latest migration again afterwards, for the next tests."""
    yield
    migrate_to_latest()
