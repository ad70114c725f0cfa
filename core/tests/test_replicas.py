"""The read-replica router (core.replicas): which reads go to the replica, the sticky window
after a caller's write, migrations on the primary only, and /health/. The replica here is a
second connection to the test database (a test mirror), so a test sees which connection ran
each query; the tests commit (transaction=True) so that connection sees the rows."""

from unittest import mock

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from catalog.tests.helpers import PRODUCTS, product_url
from core import replicas
from core.replicas import REPLICA, ReplicaRouter, caller_key, routing_begin, routing_end
from orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture
def replica(settings):
    """The router, reading from the `replica` mirror the root conftest adds."""
    settings.DATABASE_ROUTERS = ["core.replicas.ReplicaRouter"]
    settings.REPLICA_STICKY_SECONDS = 5
    yield connections[REPLICA]
    connections[REPLICA].close()


def queries_on(alias):
    return CaptureQueriesContext(connections[alias])


def test_router_sends_nothing_to_the_replica_outside_a_request():
    router = ReplicaRouter()

    assert router.db_for_read(Product) == "default"


def test_router_sends_public_reads_of_a_safe_request_to_the_replica(replica):
    router = ReplicaRouter()
    token = routing_begin(method="GET", meta={})
    try:
        assert router.db_for_read(Product) == REPLICA
        # Orders, users: never public, never a moment stale.
        assert router.db_for_read(Order) == "default"
        assert router.db_for_read(User) == "default"
    finally:
        routing_end(token, meta={})


def test_router_sends_every_read_of_an_unsafe_request_to_the_primary(replica):
    router = ReplicaRouter()
    token = routing_begin(method="POST", meta={})
    try:
        assert router.db_for_read(Product) == "default"
    finally:
        routing_end(token, meta={})


def test_router_sends_reads_after_a_write_in_the_request_to_the_primary(replica):
    router = ReplicaRouter()
    token = routing_begin(method="GET", meta={})
    try:
        assert router.db_for_write(Order) == "default"
        assert router.db_for_read(Product) == "default"
    finally:
        routing_end(token, meta={})


def test_router_sends_reads_inside_a_transaction_to_the_primary(replica):
    router = ReplicaRouter()
    token = routing_begin(method="GET", meta={})
    try:
        with transaction.atomic():
            assert router.db_for_read(Product) == "default"
        assert router.db_for_read(Product) == REPLICA
    finally:
        routing_end(token, meta={})


def test_migrations_run_on_the_primary_only():
    router = ReplicaRouter()

    assert router.allow_migrate("default", "catalog") is True
    assert router.allow_migrate(REPLICA, "catalog") is False


def test_anonymous_product_list_reads_the_replica(replica, api_client):
    ProductFactory(name="Served from the replica")

    with queries_on("default") as primary, queries_on(REPLICA) as mirror:
        response = api_client.get(PRODUCTS)

    assert response.status_code == 200
    assert [p["name"] for p in response.json()["results"]] == ["Served from the replica"]
    assert any("catalog_product" in q["sql"] for q in mirror.captured_queries)
    assert not any("catalog_product" in q["sql"] for q in primary.captured_queries)


def test_a_write_makes_the_callers_reads_go_to_the_primary_for_the_sticky_window(
    replica, seller, seller_client, api_client
):
    product = ProductFactory(created_by=seller, name="Old name")
    response = seller_client.patch(product_url(product), {"name": "New name"})
    assert response.status_code == 200, response.content

    with queries_on(REPLICA) as mirror_during_own_read:
        own = seller_client.get(product_url(product))
    with queries_on(REPLICA) as mirror_during_other_read:
        others = api_client.get(product_url(product))

    assert own.json()["name"] == others.json()["name"] == "New name"
    assert not mirror_during_own_read.captured_queries
    assert any("catalog_product" in q["sql"] for q in mirror_during_other_read.captured_queries)


def test_the_sticky_mark_is_shared_through_the_cache_and_expires(replica, settings):
    meta = {"HTTP_AUTHORIZATION": "Bearer abc"}
    token = routing_begin(method="POST", meta=meta)
    ReplicaRouter().db_for_write(Order)
    with mock.patch.object(replicas.cache, "set", wraps=replicas.cache.set) as cache_set:
        routing_end(token, meta=meta)

    cache_set.assert_called_once_with(caller_key(meta), 1, timeout=5)
    token = routing_begin(method="GET", meta=meta)
    try:
        assert ReplicaRouter().db_for_read(Product) == "default"
    finally:
        routing_end(token, meta=meta)

    replicas.cache.delete(caller_key(meta))  # what the timeout does after 5 seconds
    token = routing_begin(method="GET", meta=meta)
    try:
        assert ReplicaRouter().db_for_read(Product) == REPLICA
    finally:
        routing_end(token, meta=meta)


def test_a_caller_without_credentials_leaves_no_mark(replica):
    token = routing_begin(method="POST", meta={})
    ReplicaRouter().db_for_write(Order)
    routing_end(token, meta={})

    assert caller_key({}) is None


def test_health_reports_the_replica(replica, api_client):
    response = api_client.get("/health/")

    assert response.status_code == 200
    # A test mirror is no standby: no lag to measure.
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not_configured",
        "replica": "ok",
        "replica_lag_seconds": None,
    }


def test_health_is_degraded_when_the_replica_lags(replica, api_client, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 10
    with mock.patch("core.views.replica_lag_seconds", return_value=42.0):
        response = api_client.get("/health/")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["replica"] == "lagging"
    assert response.json()["replica_lag_seconds"] == 42.0


def test_health_is_degraded_not_failed_when_the_replica_is_down(replica, api_client):
    with mock.patch("core.views.replica_lag_seconds", side_effect=OSError("down")):
        response = api_client.get("/health/")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["replica"] == "unavailable"


def test_a_cached_answer_right_after_a_write_is_built_from_the_primary(
    replica, settings, seller, seller_client, api_client
):
    # Else the replica, not yet caught up, could have its stale rows cached under the
    # versions the write just made, for CATALOG_CACHE_SECONDS.
    settings.CATALOG_CACHE_SECONDS = 60
    product = ProductFactory(created_by=seller, name="Old name")
    assert seller_client.patch(product_url(product), {"name": "New name"}).status_code == 200

    with queries_on(REPLICA) as mirror:
        fresh = api_client.get(PRODUCTS)
    assert fresh.json()["results"][0]["name"] == "New name"
    assert not mirror.captured_queries

    settings.REPLICA_STICKY_SECONDS = 0  # the write is now older than the window
    with queries_on(REPLICA) as mirror:
        later = api_client.get(PRODUCTS, {"ordering": "name"})
    assert later.json()["results"][0]["name"] == "New name"
    assert any("catalog_product" in q["sql"] for q in mirror.captured_queries)


def test_a_cache_failure_neither_fails_the_request_nor_reads_the_replica(replica):
    meta = {"HTTP_AUTHORIZATION": "Bearer abc"}
    with mock.patch.object(replicas.cache, "get", side_effect=OSError("down")):
        token = routing_begin(method="GET", meta=meta)
    try:
        assert ReplicaRouter().db_for_read(Product) == "default"
    finally:
        routing_end(token, meta=meta)

    token = routing_begin(method="POST", meta=meta)
    ReplicaRouter().db_for_write(Order)
    with mock.patch.object(replicas.cache, "set", side_effect=OSError("down")):
        routing_end(token, meta=meta)  # logged, not raised
