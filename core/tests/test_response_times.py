"""The response-time samples behind the dashboard's KPI: per-minute histograms per route
group, kept in memory and added to the database once a minute."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.utils import timezone

from core import response_times
from core.models import RESPONSE_TIME_BOUNDS_MS, RESPONSE_TIME_BUCKETS, ResponseTimeMinute
from core.response_times import (
    ResponseTimeRecorder,
    bucket_counts,
    percentile,
    response_time_summary,
    response_times_add,
)

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, moment: datetime):
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta).total_seconds()


@pytest.fixture
def global_recorder(settings, monkeypatch):
    """A fresh recorder in place of the process' one, its clock stopped, sampling on."""
    settings.API_RESPONSE_TIMES = True
    recorder = ResponseTimeRecorder(clock=Clock(T0))
    monkeypatch.setattr(response_times, "recorder", recorder)
    return recorder


# --- percentiles ----------------------------------------------------------------------


def test_percentiles_of_a_known_distribution():
    # 1 ms, 2 ms, ... 100 ms: the median is 50 ms, the 95th percentile 95 ms.
    buckets = bucket_counts(range(1, 101))

    assert percentile(buckets, 0.50) == pytest.approx(50, abs=1)
    assert percentile(buckets, 0.95) == pytest.approx(95, abs=2)


def test_percentiles_are_interpolated_inside_a_bucket():
    # Every answer took between 100 and 120 ms (one bucket): the median reads half way.
    buckets = bucket_counts([110] * 10)

    assert percentile(buckets, 0.5) == 110.0


def test_answers_slower_than_the_last_bound_read_as_that_bound():
    buckets = bucket_counts([60_000] * 3)

    assert buckets[-1] == 3
    assert percentile(buckets, 0.95) == float(RESPONSE_TIME_BOUNDS_MS[-1])


def test_no_answer_has_no_percentile():
    assert percentile([0] * len(RESPONSE_TIME_BUCKETS), 0.5) is None


def test_a_duration_on_a_bound_belongs_to_the_bucket_it_bounds():
    assert bucket_counts([5])[RESPONSE_TIME_BOUNDS_MS.index(5)] == 1
    assert bucket_counts([5.01])[RESPONSE_TIME_BOUNDS_MS.index(6)] == 1


# --- the recorder ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_minute_is_written_by_the_first_answer_of_the_next_one():
    clock = Clock(T0 + timedelta(seconds=5))
    recorder = ResponseTimeRecorder(clock=clock)
    for duration in [3] * 9 + [200]:
        recorder.record("catalog", duration)
    recorder.record("cart", 40)
    clock.advance(seconds=50)  # still 12:00
    recorder.record("catalog", 4)

    assert not ResponseTimeMinute.objects.exists()

    clock.advance(seconds=10)  # 12:01
    recorder.record("catalog", 7)

    rows = {row.route_group: row for row in ResponseTimeMinute.objects.all()}
    assert set(rows) == {"catalog", "cart"}
    assert rows["catalog"].minute == T0
    assert rows["catalog"].requests == 11
    assert getattr(rows["catalog"], RESPONSE_TIME_BUCKETS[RESPONSE_TIME_BOUNDS_MS.index(3)]) == 9
    assert getattr(rows["catalog"], RESPONSE_TIME_BUCKETS[RESPONSE_TIME_BOUNDS_MS.index(200)]) == 1
    assert rows["cart"].requests == 1
    assert recorder.pending() == {"catalog": bucket_counts([7])}


@pytest.mark.django_db
def test_processes_writing_the_same_minute_add_up():
    response_times_add(minute=T0, counts={"orders": bucket_counts([10, 20])})
    response_times_add(
        minute=T0, counts={"orders": bucket_counts([30]), "cart": bucket_counts([1])}
    )

    orders = ResponseTimeMinute.objects.get(route_group="orders", minute=T0)
    assert orders.requests == 3
    assert [getattr(orders, b) for b in RESPONSE_TIME_BUCKETS] == bucket_counts([10, 20, 30])
    assert ResponseTimeMinute.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_write_is_logged_and_never_raised(monkeypatch, caplog):
    clock = Clock(T0)
    recorder = ResponseTimeRecorder(clock=clock)

    def broken(**kwargs):
        raise DatabaseError("database is down")

    monkeypatch.setattr(response_times, "response_times_add", broken)
    recorder.record("catalog", 5)
    clock.advance(minutes=1)

    recorder.record("catalog", 5)  # must not raise

    assert "Could not store the response times" in caplog.text
    assert recorder.pending() == {"catalog": bucket_counts([5])}


@pytest.mark.django_db
def test_flush_writes_the_unfinished_minute():
    recorder = ResponseTimeRecorder(clock=Clock(T0))
    recorder.record("reviews", 12)

    recorder.flush()

    assert ResponseTimeMinute.objects.get().route_group == "reviews"
    assert recorder.pending() == {}


# --- the summary over a window ----------------------------------------------------------


@pytest.mark.django_db
def test_the_summary_sums_the_minutes_of_the_window_per_group():
    # Three minutes of catalog answers, one minute outside the window.
    response_times_add(minute=T0, counts={"catalog": bucket_counts([10] * 50)})
    response_times_add(
        minute=T0 + timedelta(minutes=1), counts={"catalog": bucket_counts([10] * 40)}
    )
    response_times_add(
        minute=T0 + timedelta(minutes=2),
        counts={"catalog": bucket_counts([400] * 10), "orders": bucket_counts([100] * 4)},
    )
    response_times_add(minute=T0 + timedelta(hours=2), counts={"catalog": bucket_counts([9000])})

    summary = response_time_summary(start=T0, end=T0 + timedelta(hours=1))

    catalog = summary["groups"]["catalog"]
    assert catalog["requests"] == 100
    # 90 answers at 10 ms and 10 at 400 ms: the median is ~10 ms, the p95 ~400 ms.
    assert 8 <= catalog["p50_ms"] <= 10
    assert 300 <= catalog["p95_ms"] <= 400
    assert summary["groups"]["orders"]["requests"] == 4
    assert 80 <= summary["groups"]["orders"]["p50_ms"] <= 100
    assert summary["all"]["requests"] == 104


@pytest.mark.django_db
def test_an_empty_window_has_no_groups():
    summary = response_time_summary(start=T0, end=T0 + timedelta(days=1))

    assert summary == {"groups": {}, "all": {"requests": 0, "p50_ms": None, "p95_ms": None}}


# --- the middleware ---------------------------------------------------------------------


@pytest.mark.django_db
def test_api_answers_are_sampled_by_route_group(global_recorder, api_client, user, client_for):
    api_client.get("/api/v1/products/")
    api_client.get("/api/v1/categories/")
    client_for(user).get("/api/v1/orders/")
    api_client.get("/api/v1/cart/")

    pending = global_recorder.pending()
    assert {group: sum(counts) for group, counts in pending.items()} == {
        "catalog": 2,
        "orders": 1,
        "cart": 1,
    }


@pytest.mark.django_db
def test_non_api_and_unmatched_urls_are_not_sampled(global_recorder, client):
    client.get("/health/")
    client.get("/api/v1/no-such-thing/")
    client.get("/api/schema/")

    assert global_recorder.pending() == {}


@pytest.mark.django_db
def test_sampling_can_be_turned_off(global_recorder, api_client, settings):
    settings.API_RESPONSE_TIMES = False

    api_client.get("/api/v1/products/")

    assert global_recorder.pending() == {}


# --- retention --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_purge_command_removes_minutes_past_the_retention(settings):
    settings.RESPONSE_TIME_RETENTION_DAYS = 30
    now = timezone.now()
    response_times_add(minute=now - timedelta(days=31), counts={"catalog": bucket_counts([1])})
    response_times_add(minute=now - timedelta(days=29), counts={"catalog": bucket_counts([1])})

    call_command("purge_response_times", stdout=io.StringIO())

    assert ResponseTimeMinute.objects.count() == 1
