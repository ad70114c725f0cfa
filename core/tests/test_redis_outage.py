"""Redis is optional for real: with a real redis-server that the tests stop, start again,
freeze (SIGSTOP) and thaw, reads, carts and checkout go on, throttles keep counting (per
process), a hung Redis costs a request one short timeout at most, and the process goes back
to Redis by itself once it answers."""

import logging
import threading
import time
from decimal import Decimal

import pytest
from django.core.cache import cache, caches
from rest_framework.throttling import SimpleRateThrottle

from catalog.services import product_update
from catalog.tests.factories import ProductFactory
from core import cache_backends
from core.tests.servers import REDIS_SERVER, RedisServer, wait_until
from orders.models import Order
from orders.tests.factories import ADDRESS, stock_of

pytestmark = [
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not on PATH"),
    pytest.mark.django_db,
]

PRODUCTS = "/api/v1/products/"
CART = "/api/v1/cart/"
ORDERS = "/api/v1/orders/"
INLINE = {"shipping_address": {k: v for k, v in ADDRESS.items() if v}}
# The production default: what a hung Redis may cost a request, once.
SOCKET_TIMEOUT = 0.25
RETRY_AFTER = 0.5


@pytest.fixture
def redis_server(settings, monkeypatch):
    """The project's Redis cache settings (settings.REDIS_CACHE, what REDIS_URL turns on)
    pointed at a redis-server of this test's own, with a short retry interval."""
    server = RedisServer().start()
    monkeypatch.setattr(cache_backends, "_breakers", {})
    options = {
        **settings.REDIS_CACHE["OPTIONS"],
        "SOCKET_CONNECT_TIMEOUT": SOCKET_TIMEOUT,
        "SOCKET_TIMEOUT": SOCKET_TIMEOUT,
        "RETRY_AFTER_SECONDS": RETRY_AFTER,
    }
    settings.REDIS_URL = server.url
    settings.REDIS_RETRY_AFTER_SECONDS = RETRY_AFTER
    redis_cache = {**settings.REDIS_CACHE, "LOCATION": server.url, "OPTIONS": options}
    settings.CACHES = {"default": redis_cache}
    # A previous test may have used the same port: its stand-in must not leak in.
    caches["default"].fallback.clear()
    yield server
    server.stop()


@pytest.fixture
def outage_log(caplog):
    caplog.set_level(logging.INFO, logger="core.cache_backends")
    return caplog


def _outage_records(caplog) -> list[tuple[str, str]]:
    return [
        (record.levelname, record.getMessage())
        for record in caplog.records
        if record.name == "core.cache_backends"
    ]


def _redis_keys(server: RedisServer, pattern: str) -> list[bytes]:
    return server.client().keys(pattern)


def _after_retry_interval() -> None:
    time.sleep(RETRY_AFTER + 0.1)


def test_reads_carts_and_checkout_go_on_while_redis_is_down_and_use_it_again_once_back(
    redis_server, api_client, user, user_client, outage_log
):
    product = ProductFactory(name="Night cream", price=Decimal("20.00"), stock_quantity=5)
    assert api_client.get(PRODUCTS).status_code == 200
    # The anonymous throttle counts in Redis while it is up.
    assert _redis_keys(redis_server, "*throttle_anon*")

    redis_server.stop()

    listed = api_client.get(PRODUCTS)
    detail = api_client.get(f"{PRODUCTS}{product.pk}/")
    added = user_client.post(CART, {"product_id": str(product.pk), "quantity": 2}, format="json")
    cart = user_client.get(CART)
    checkout = user_client.post(ORDERS, INLINE, format="json", HTTP_IDEMPOTENCY_KEY="outage-1")
    replay = user_client.post(ORDERS, INLINE, format="json", HTTP_IDEMPOTENCY_KEY="outage-1")

    assert listed.status_code == 200, listed.content
    assert [p["name"] for p in listed.json()["results"]] == ["Night cream"]
    assert detail.status_code == 200, detail.content
    assert added.status_code == 200, added.content
    assert cart.json()["items"][0]["quantity"] == 2
    assert checkout.status_code == 201, checkout.content
    assert replay.status_code == 201 and replay.json()["id"] == checkout.json()["id"]
    assert Order.objects.count() == 1
    assert stock_of(product) == 3
    assert caches["default"].degraded

    redis_server.start()  # empty, on the same port
    _after_retry_interval()

    assert api_client.get(PRODUCTS).status_code == 200
    assert user_client.get(CART).status_code == 200
    assert not caches["default"].degraded
    assert _redis_keys(redis_server, "*throttle_anon*")
    assert _redis_keys(redis_server, "*throttle_user*")
    # One line when the outage started, however many calls failed; one when it ended.
    records = _outage_records(outage_log)
    assert [level for level, _ in records] == ["WARNING", "INFO"], records
    assert "unavailable" in records[0][1] and "back" in records[1][1]


def test_throttles_count_in_the_process_while_redis_is_down(redis_server, api_client, monkeypatch):
    # Failing open would let a login or coupon guesser through unthrottled for the whole
    # outage: the counter moves to this process's memory instead.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "anon": "3/min"}
    )
    redis_server.stop()

    statuses = [api_client.get(PRODUCTS).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_health_asks_redis_itself_and_says_degraded_while_only_redis_is_down(
    redis_server, api_client
):
    assert api_client.get("/health/").json() == {"status": "ok", "database": "ok", "redis": "ok"}

    redis_server.stop()
    api_client.get(PRODUCTS)  # the cache now answers from process memory
    down = api_client.get("/health/")
    redis_server.start()
    back = api_client.get("/health/")

    assert down.status_code == 200
    assert down.json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}
    assert back.status_code == 200
    assert back.json()["status"] == "ok"


def _timed_get(client, path):
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def test_a_hung_redis_costs_a_request_at_most_one_short_timeout_and_is_used_once_it_answers(
    redis_server, api_client, outage_log
):
    ProductFactory(name="Serum")
    _, healthy = _timed_get(api_client, PRODUCTS)  # also opens the pool's connection

    redis_server.freeze()  # connections are accepted, nothing is answered
    try:
        first, first_time = _timed_get(api_client, PRODUCTS)
        later = [_timed_get(api_client, PRODUCTS) for _ in range(3)]
        _after_retry_interval()
        probe, probe_time = _timed_get(api_client, PRODUCTS)
    finally:
        redis_server.thaw()

    assert first.status_code == 200 and probe.status_code == 200
    # The request that found Redis hung waited for it once (not once per cache call)...
    assert SOCKET_TIMEOUT * 0.8 <= first_time - healthy < 2 * SOCKET_TIMEOUT, (first_time, healthy)
    # ...the next ones did not ask it at all...
    assert all(response.status_code == 200 for response, _ in later)
    assert max(elapsed for _, elapsed in later) < healthy + SOCKET_TIMEOUT * 0.8, later
    # ...and after the retry interval one request asks again, once.
    assert probe_time - healthy < 2 * SOCKET_TIMEOUT, (probe_time, healthy)

    _after_retry_interval()
    redis_server.client().flushall()
    assert api_client.get(PRODUCTS).status_code == 200
    assert not caches["default"].degraded
    assert _redis_keys(redis_server, "*throttle_anon*")
    assert [level for level, _ in _outage_records(outage_log)] == ["WARNING", "INFO"]


def test_while_the_retry_interval_runs_out_only_one_thread_asks_a_hung_redis(redis_server):
    cache.set("warm", 1)
    redis_server.freeze()
    try:
        assert cache.get("warm") is None  # the stand-in: this process's empty memory
        _after_retry_interval()
        durations = []
        barrier = threading.Barrier(8)

        def read():
            barrier.wait()
            started = time.monotonic()
            cache.get("anything")
            durations.append(time.monotonic() - started)

        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        redis_server.thaw()

    slow = [elapsed for elapsed in durations if elapsed >= SOCKET_TIMEOUT * 0.8]
    assert len(durations) == 8
    assert len(slow) == 1, durations


def test_cached_reads_move_to_the_process_and_writes_made_meanwhile_reach_redis_when_back(
    redis_server, api_client, settings, django_capture_on_commit_callbacks
):
    # A write during the outage bumps its scopes only in this process's memory; once Redis
    # is back its answers from before the outage must not be served again.
    settings.CATALOG_CACHE_SECONDS = 300
    product = ProductFactory(name="Old name")
    assert api_client.get(f"{PRODUCTS}{product.pk}/").json()["name"] == "Old name"
    assert _redis_keys(redis_server, "*v1:answer:*")  # cached in Redis

    redis_server.freeze()
    try:
        assert api_client.get(f"{PRODUCTS}{product.pk}/").json()["name"] == "Old name"
        with django_capture_on_commit_callbacks(execute=True):
            product_update(product=product, data={"name": "New name"})
        during = api_client.get(f"{PRODUCTS}{product.pk}/").json()["name"]
    finally:
        redis_server.thaw()
    _after_retry_interval()
    wait_until(lambda: api_client.get("/health/").json()["redis"] == "ok", timeout=5)

    after = api_client.get(f"{PRODUCTS}{product.pk}/").json()["name"]

    assert during == "New name"
    assert after == "New name"
    assert not caches["default"].degraded
