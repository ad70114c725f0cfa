"""/metrics: who may read it, and what it holds (request latency by route, statuses,
database and cache timings, business counters)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import connection
from prometheus_client import REGISTRY

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from core import metrics as business
from core.cache_backends import LocMemCache, RedisCache
from orders.tests.factories import ADDRESS, OrderFactory, fill_cart

BASE_DIR = Path(__file__).resolve().parents[2]
URL = "/metrics"
TOKEN = "scrape-me-7Hq2"
INLINE = {"shipping_address": {k: v for k, v in ADDRESS.items() if v}}


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return TOKEN


# --- who may scrape -------------------------------------------------------------------


def test_without_a_token_configured_metrics_do_not_exist(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []

    response = client.get(URL)
    with_a_guess = client.get(URL, HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert with_a_guess.status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer"],
)
def test_a_missing_or_wrong_token_is_refused(client, token, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}

    response = client.get(URL, **headers)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert b"django_http" not in response.content


def test_loopback_needs_the_token_too(client, token):
    response = client.get(URL, REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 403


def test_the_right_token_reads_the_metrics(client, token):
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("allowed", [["10.0.5.17"], ["10.0.5.0/24"], ["::1", "10.0.5.17"]])
def test_an_allowed_address_reads_without_a_token(client, settings, allowed):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = allowed

    response = client.get(URL, REMOTE_ADDR="10.0.5.17")
    elsewhere = client.get(URL, REMOTE_ADDR="10.0.6.1")

    assert response.status_code == 200
    assert elsewhere.status_code == 404


def test_a_forwarded_address_is_not_trusted(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = ["10.0.5.17"]

    response = client.get(URL, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.5.17")

    assert response.status_code == 403


def test_a_bad_allowed_ips_setting_refuses_to_start():
    environment = {**os.environ, "METRICS_ALLOWED_IPS": "10.0.0.0/33"}

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "METRICS_ALLOWED_IPS" in result.stderr


# --- what it holds ---------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_hold_latency_by_route_statuses_db_and_cache_timings_and_business_counters(
    client, api_client, token
):
    product = ProductFactory()
    api_client.get("/api/v1/products/")
    api_client.get(f"/api/v1/products/{product.pk}/")
    api_client.get("/api/v1/no-such-thing/")

    text = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()

    # Latency histograms are labelled by route (the URL pattern's name), never by raw path.
    assert 'django_http_requests_latency_seconds_by_view_method_bucket{le="0.005",' in text
    assert 'view="api:product-detail"' in text
    assert str(product.pk) not in text
    assert 'django_http_responses_total_by_status_view_method_total{method="GET",status="404"' in (
        text
    )
    assert "django_db_query_duration_seconds_bucket" in text
    assert "marketplace_cache_operation_duration_seconds_bucket" in text
    assert "django_cache_get_total" in text
    for counter in (
        "marketplace_orders_placed_total",
        "marketplace_payments_total",
        "marketplace_checkouts_refused_for_stock_total",
        "marketplace_webhook_deliveries_total",
    ):
        assert f"# TYPE {counter} counter" in text


def test_the_database_and_cache_engines_are_the_measured_ones():
    assert django_settings.DATABASES["default"]["ENGINE"].startswith("django_prometheus.db.")
    assert connection.vendor in ("sqlite", "postgresql")
    assert isinstance(caches["default"], LocMemCache | RedisCache)


# --- business counters ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_checkout_counts_an_order_placed(user, client_for, django_capture_on_commit_callbacks):
    fill_cart(user, {ProductFactory(stock_quantity=3): 2})
    before = sample("marketplace_orders_placed_total", currency="USD")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post("/api/v1/orders/", INLINE)

    assert response.status_code == 201
    assert sample("marketplace_orders_placed_total", currency="USD") == before + 1


@pytest.mark.django_db
def test_a_checkout_refused_for_stock_is_counted_and_places_no_order(
    user, client_for, django_capture_on_commit_callbacks
):
    fill_cart(user, {ProductFactory(stock_quantity=1): 1})
    Product.objects.update(stock_quantity=0)
    refused = sample("marketplace_checkouts_refused_for_stock_total")
    placed = sample("marketplace_orders_placed_total", currency="USD")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post("/api/v1/orders/", INLINE)

    assert response.status_code == 409
    assert sample("marketplace_checkouts_refused_for_stock_total") == refused + 1
    assert sample("marketplace_orders_placed_total", currency="USD") == placed


@pytest.mark.parametrize(
    ("token", "outcome"),
    [("tok_success", "succeeded"), ("tok_decline", "failed"), ("tok_timeout", "timeout")],
)
@pytest.mark.django_db
def test_a_payment_is_counted_by_outcome(
    user, client_for, django_capture_on_commit_callbacks, token, outcome
):
    order = OrderFactory(user=user)
    before = sample("marketplace_payments_total", provider="fake", outcome=outcome)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(
            "/api/v1/payments/", {"order_id": str(order.pk), "provider": "fake", "token": token}
        )

    assert response.status_code in (201, 202), response.content
    assert sample("marketplace_payments_total", provider="fake", outcome=outcome) == before + 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_payment_outcome_is_not_counted():
    from django.db import transaction

    before = sample("marketplace_payments_total", provider="fake", outcome="succeeded")

    with pytest.raises(RuntimeError), transaction.atomic():
        business.payment_outcome(provider="fake", outcome="succeeded")
        raise RuntimeError("rolled back")

    assert sample("marketplace_payments_total", provider="fake", outcome="succeeded") == before


def test_webhook_deliveries_are_counted_by_outcome():
    before = sample("marketplace_webhook_deliveries_total", outcome="delivered")

    business.webhook_delivery(outcome="delivered")

    assert sample("marketplace_webhook_deliveries_total", outcome="delivered") == before + 1


# --- the measured cache backends ----------------------------------------------------------


def test_the_measured_cache_keeps_falsy_values_and_counts_hits_and_misses():
    measured = LocMemCache("falsy-test", {})
    hits = sample("django_cache_get_hits_total", backend="locmem")
    misses = sample("django_cache_get_misses_total", backend="locmem")
    timed = sample(
        "marketplace_cache_operation_duration_seconds_count", backend="locmem", operation="set"
    )

    measured.set("zero", 0)
    measured.set("empty", [])

    assert measured.get("zero", "default") == 0
    assert measured.get("empty", "default") == []
    assert measured.get("absent", "default") == "default"
    assert measured.get_many(["zero", "absent"]) == {"zero": 0}
    assert sample("django_cache_get_hits_total", backend="locmem") == hits + 3
    assert sample("django_cache_get_misses_total", backend="locmem") == misses + 2
    assert (
        sample(
            "marketplace_cache_operation_duration_seconds_count", backend="locmem", operation="set"
        )
        == timed + 2
    )


def test_the_measured_redis_cache_works_with_django_redis():
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    measured = RedisCache(
        url,
        {
            "KEY_PREFIX": "h13a-metrics-test",
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        },
    )
    try:
        measured.set("zero", 0, timeout=30)
        assert measured.get("zero", "default") == 0
        assert measured.get("absent", "default") == "default"
        assert measured.incr("zero") == 1
        assert sample(
            "marketplace_cache_operation_duration_seconds_count", backend="redis", operation="get"
        )
    finally:
        measured.delete_many(["zero"])
