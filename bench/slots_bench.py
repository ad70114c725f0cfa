#!/usr/bin/env python
"""Free-slot query benchmark: `GET stores/{slug}/slots/` for a 31-day window, for a
dermatologist with a year of bookings.

    python bench/slots_bench.py                       # PostgreSQL, its own database
    python bench/slots_bench.py --database sqlite:////tmp/slots.sqlite3

(Re)creates the database (--database; a PostgreSQL one is dropped and made again),
migrates it, gives one dermatologist store a weekly plan (Monday to Saturday, 08:00-12:00
and 13:00-19:00, Europe/Paris) and --per-day bookings a day for the past and the coming
half year (a year of them, cancelled ones among them), then times --requests requests of the
next 31 days' slots in-process through Django's test client (the whole Django and DRF stack,
no HTTP server) and prints the median, p95 and the query count.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/marketplace_slots_bench"
    )
    parser.add_argument("--per-day", type=int, default=8)
    parser.add_argument("--requests", type=int, default=30)
    return parser.parse_args()


def recreate(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    import psycopg

    base, _, name = url.rpartition("/")
    admin = psycopg.connect(f"{base}/postgres", autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def main() -> int:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DEBUG", "True")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["THROTTLE_ANON"] = "1000000/min"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    recreate(args.database)

    # Django can only be imported once DATABASE_URL names the benchmark's database.
    import django

    django.setup()
    from datetime import UTC, timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.tests.factories import UserFactory, approved_store_for
    from consultations.models import Consultation, ConsultationService, ConsultationStatus
    from consultations.services import availability_set
    from orders.models import Order
    from stores.models import StoreKind

    call_command("migrate", verbosity=0)
    owner = UserFactory()
    store = approved_store_for(owner, kind=StoreKind.DERMATOLOGIST, slug="bench-derm")
    hours = [("08:00", "12:00"), ("13:00", "19:00")]
    weekly = [{"weekday": d, "start": s, "end": e} for d in range(6) for s, e in hours]
    availability_set(store=store, timezone_name="Europe/Paris", weekly=weekly, exceptions=[])
    service = ConsultationService.objects.create(
        store=store, name="Review", duration_minutes=30, price=Decimal("40.00"), currency="EUR"
    )
    customer = UserFactory()
    # Bookings straight into the tables (the query reads only the consultations): one an
    # hour from 08:00 UTC, --per-day a day, a year centred on today; past ones completed,
    # one in seven of the coming ones cancelled.
    today = timezone.now().replace(hour=8, minute=0, second=0, microsecond=0, tzinfo=UTC)
    times = [
        (day, today + timedelta(days=day, hours=slot), slot)
        for day in range(-182, 183)
        for slot in range(args.per_day)
    ]
    orders = Order.objects.bulk_create(
        [
            Order(
                user=customer,
                email=customer.email,
                currency="EUR",
                subtotal=Decimal("40.00"),
                total=Decimal("40.00"),
                shipping_address={},
            )
            for _ in times
        ],
        batch_size=2000,
    )
    rows = [
        Consultation(
            service=service,
            store=store,
            customer=customer,
            order=order,
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            status=ConsultationStatus.COMPLETED
            if day < 0
            else (ConsultationStatus.CANCELLED if slot % 7 == 6 else ConsultationStatus.CONFIRMED),
            video_provider="jitsi",
            room=f"room-{day}-{slot}",
        )
        for (day, start, slot), order in zip(times, orders, strict=True)
    ]
    Consultation.objects.bulk_create(rows, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE consultations_consultation")

    client = Client()
    first = timezone.now().date() + timedelta(days=1)
    params = {
        "service": str(service.pk),
        "from": first.isoformat(),
        "to": (first + timedelta(days=30)).isoformat(),
    }
    url = f"/api/v1/stores/{store.slug}/slots/"
    for _ in range(5):
        assert client.get(url, params).status_code == 200
    timings = []
    for _ in range(args.requests):
        started = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(
        f"{connection.vendor}: {len(rows)} bookings; 31-day window: "
        f"{len(response.json()['slots'])} free slots, {len(queries)} queries; "
        f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms over {args.requests}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
