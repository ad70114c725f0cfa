"""The API response-time KPI: per-minute latency histograms per route group.

Each process adds every API answer's duration to a small in-memory histogram of the current
minute (a bisect and an increment under a lock: about a microsecond). The first answer of
the next minute writes the finished minute to the database, one row per route group added
to whatever other processes wrote (`INSERT ... ON CONFLICT DO UPDATE SET b = b + excluded.b`,
one statement for every group), so the database sees a few rows a minute whatever the
traffic. Percentiles over any window come from summing the bucket columns.

Recording never fails a request: a failed write is logged and that minute of this process
is dropped. A gunicorn worker writes its last minute when it exits (config/gunicorn.py).
"""

import logging
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from core.models import RESPONSE_TIME_BOUNDS_MS, RESPONSE_TIME_BUCKETS, ResponseTimeMinute

logger = logging.getLogger(__name__)

PERCENTILES = {"p50_ms": 0.50, "p95_ms": 0.95}


class ResponseTimeRecorder:
    """The histograms of the current minute in this process, and their write-out."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._lock = threading.Lock()
        self._minute: int | None = None
        self._counts: dict[str, list[int]] = {}

    def record(self, group: str, duration_ms: float) -> None:
        """Count one answer; the first one of a new minute writes out the previous one."""
        minute = int(self._clock() // 60)
        bucket = bisect_left(RESPONSE_TIME_BOUNDS_MS, duration_ms)
        finished = None
        with self._lock:
            if minute != self._minute:
                if self._counts:
                    finished = (self._minute, self._counts)
                self._minute, self._counts = minute, {}
            counts = self._counts.get(group)
            if counts is None:
                counts = self._counts[group] = [0] * len(RESPONSE_TIME_BUCKETS)
            counts[bucket] += 1
        if finished is not None:
            self._write(*finished)

    def flush(self) -> None:
        """Write out the current minute now (a worker that is about to exit)."""
        with self._lock:
            finished = (self._minute, self._counts) if self._counts else None
            self._minute, self._counts = None, {}
        if finished is not None:
            self._write(*finished)

    def pending(self) -> dict[str, list[int]]:
        """A copy of the counts not written yet."""
        with self._lock:
            return {group: list(counts) for group, counts in self._counts.items()}

    def _write(self, minute: int, counts: dict[str, list[int]]) -> None:
        try:
            response_times_add(minute=datetime.fromtimestamp(minute * 60, tz=UTC), counts=counts)
        except Exception:  # a metric must never cost an answer
            logger.warning("Could not store the response times of one minute", exc_info=True)


recorder = ResponseTimeRecorder()


def response_time_record(*, group: str, duration_ms: float) -> None:
    """Count one API answer of `group` that took `duration_ms`; raises nothing."""
    recorder.record(group, duration_ms)


def response_times_add(*, minute: datetime, counts: dict[str, list[int]]) -> None:
    """Add per-group bucket counts to the rows of `minute`, in one upsert statement.
    Raises DatabaseError."""
    if not counts:
        return
    table = connection.ops.quote_name(ResponseTimeMinute._meta.db_table)
    columns = ["minute", "route_group", "requests", *RESPONSE_TIME_BUCKETS]
    quoted = [connection.ops.quote_name(column) for column in columns]
    added = ", ".join(f"{column} = {table}.{column} + excluded.{column}" for column in quoted[2:])
    one_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # ON CONFLICT ... DO UPDATE is the same on PostgreSQL and SQLite (3.24+). Only the
    # model's own, quoted names are spliced in; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(quoted)}) VALUES "  # noqa: S608
        + ", ".join([one_row] * len(counts))
        + f" ON CONFLICT ({quoted[0]}, {quoted[1]}) DO UPDATE SET {added}"
    )
    stamp = connection.ops.adapt_datetimefield_value(minute.replace(second=0, microsecond=0))
    params = []
    for group, buckets in sorted(counts.items()):
        params.extend([stamp, group[:64], sum(buckets), *buckets])
    # A savepoint: inside a caller's transaction a failure must not poison it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def percentile(buckets: list[int], fraction: float) -> float | None:
    """The `fraction` quantile (0.95) of a histogram, interpolated linearly inside the bucket
    it falls in (as Prometheus' histogram_quantile); the slowest bucket has no upper bound,
    so a quantile in it reads as that bucket's lower bound. None for an empty histogram."""
    total = sum(buckets)
    if not total:
        return None
    rank = fraction * total
    seen = 0
    for index, count in enumerate(buckets):
        if count and seen + count >= rank:
            if index == len(RESPONSE_TIME_BOUNDS_MS):
                return float(RESPONSE_TIME_BOUNDS_MS[-1])
            lower = RESPONSE_TIME_BOUNDS_MS[index - 1] if index else 0
            upper = RESPONSE_TIME_BOUNDS_MS[index]
            return round(lower + (upper - lower) * (rank - seen) / count, 1)
        seen += count
    return float(RESPONSE_TIME_BOUNDS_MS[-1])


def _summary(requests: int, buckets: list[int]) -> dict:
    return {
        "requests": requests,
        **{name: percentile(buckets, fraction) for name, fraction in PERCENTILES.items()},
    }


def response_time_summary(*, start: datetime, end: datetime) -> dict:
    """p50/p95 per route group and over all of them, for the minutes in [start, end): one
    aggregate query. {"groups": {"catalog": {"requests", "p50_ms", "p95_ms"}, ...}, "all"}"""
    rows = (
        ResponseTimeMinute.objects.filter(minute__gte=start, minute__lt=end)
        .values("route_group")
        .annotate(total=Sum("requests"), **{f"sum_{b}": Sum(b) for b in RESPONSE_TIME_BUCKETS})
        .order_by("route_group")
    )
    groups = {}
    overall = [0] * len(RESPONSE_TIME_BUCKETS)
    requests = 0
    for row in rows:
        buckets = [row[f"sum_{b}"] or 0 for b in RESPONSE_TIME_BUCKETS]
        groups[row["route_group"]] = _summary(row["total"] or 0, buckets)
        overall = [a + b for a, b in zip(overall, buckets, strict=True)]
        requests += row["total"] or 0
    return {"groups": groups, "all": _summary(requests, overall)}


def response_times_purge(*, older_than: timedelta | None = None) -> int:
    """Delete minutes older than the retention; returns how many rows went."""
    keep = older_than or timedelta(days=settings.RESPONSE_TIME_RETENTION_DAYS)
    deleted, _ = ResponseTimeMinute.objects.filter(minute__lt=timezone.now() - keep).delete()
    return deleted


def bucket_counts(durations_ms: Iterable[float]) -> list[int]:
    """A histogram of the given durations (for loading samples and for tests)."""
    counts = [0] * len(RESPONSE_TIME_BUCKETS)
    for duration in durations_ms:
        counts[bisect_left(RESPONSE_TIME_BOUNDS_MS, duration)] += 1
    return counts
