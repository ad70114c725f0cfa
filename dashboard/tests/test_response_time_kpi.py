"""The fourth KPI of the dashboard: API response time (p50, p95) per route group."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from core.response_times import bucket_counts, response_times_add
from dashboard.tests.helpers import MARCH, metrics

pytestmark = pytest.mark.django_db

MARCH_10 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _minutes(start: datetime, per_minute: list[dict[str, list[float]]]) -> None:
    for offset, groups in enumerate(per_minute):
        response_times_add(
            minute=start + timedelta(minutes=offset),
            counts={group: bucket_counts(durations) for group, durations in groups.items()},
        )


def test_staff_see_p50_and_p95_per_route_group_over_the_window(staff_client):
    # Several minutes: catalog 95 answers at ~20 ms and 5 at ~800 ms, cart all ~5 ms.
    _minutes(
        MARCH_10,
        [
            {"catalog": [20] * 50, "cart": [5] * 10},
            {"catalog": [20] * 45},
            {"catalog": [800] * 5, "cart": [5] * 10},
        ],
    )
    # Outside March: never counted.
    _minutes(datetime(2026, 4, 2, tzinfo=UTC), [{"catalog": [5000] * 100}])

    kpi = metrics(staff_client, **MARCH)["api_response_time"]

    catalog = kpi["groups"]["catalog"]
    assert catalog["requests"] == 100
    assert 15 <= catalog["p50_ms"] <= 20
    # The 95th answer is the last at 20 ms, just before the five slow ones.
    assert 15 <= catalog["p95_ms"] <= 20
    assert kpi["groups"]["cart"] == {"requests": 20, "p50_ms": 4.5, "p95_ms": pytest.approx(5, 0.1)}
    assert kpi["all"]["requests"] == 120


def test_the_p95_follows_the_slow_tail(staff_client):
    _minutes(MARCH_10, [{"orders": [30] * 90}, {"orders": [600] * 10}])

    orders = metrics(staff_client, **MARCH)["api_response_time"]["groups"]["orders"]

    assert 25 <= orders["p50_ms"] <= 30
    assert 500 <= orders["p95_ms"] <= 600


def test_the_window_bounds_the_minutes_counted(staff_client):
    _minutes(datetime(2026, 3, 31, 23, 59, tzinfo=UTC), [{"payments": [50]}, {"payments": [50]}])

    kpi = metrics(staff_client, **MARCH)["api_response_time"]

    # 23:59 on the 31st is in March, 00:00 on April 1st is not.
    assert kpi["groups"]["payments"]["requests"] == 1


def test_a_window_without_samples_reports_no_figures(staff_client):
    kpi = metrics(staff_client, **MARCH)["api_response_time"]

    assert kpi == {"groups": {}, "all": {"requests": 0, "p50_ms": None, "p95_ms": None}}


def test_sellers_do_not_see_the_store_response_times(seller_client):
    _minutes(MARCH_10, [{"catalog": [20]}])

    assert metrics(seller_client, **MARCH)["api_response_time"] is None


def test_the_csv_export_carries_the_kpi(staff_client):
    _minutes(MARCH_10, [{"reviews": [100] * 4}])

    response = staff_client.get("/api/v1/dashboard/metrics/export/", MARCH)

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["api_response_time", "groups.reviews.requests", "4"] in rows
    assert ["api_response_time", "groups.reviews.p50_ms", "90.0"] in rows
    assert ["api_response_time", "all.requests", "4"] in rows


def test_the_kpi_is_in_the_schema(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    components = schema["components"]["schemas"]
    assert "api_response_time" in components["Metrics"]["properties"]
    figures = components["MetricsResponseTimeFigures"]["properties"]
    assert {"requests", "p50_ms", "p95_ms"} <= set(figures)
