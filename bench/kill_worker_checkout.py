#!/usr/bin/env python
"""Checkouts over HTTP while gunicorn workers are killed (SIGKILL) under them.

    python bench/kill_worker_checkout.py --buyers 200 --kills 30 --kill-every 0.3

Creates a PostgreSQL database of its own (--database, dropped and made again), migrates it,
gives each of --buyers customers a cart over a few products of limited stock, starts
gunicorn with the project's config (config/gunicorn.py, its default ASGI worker) on
loopback, and has --clients threads check out every cart with one Idempotency-Key per
buyer, retrying on a dropped connection, a 409 (the key is still being worked on) or a 5xx,
while another thread SIGKILLs a random worker every --kill-every seconds, --kills times.
The key's lease is shortened (--lease) so that a key left behind by a killed worker is
taken over quickly.

Then it checks what the checkout promises: one order per buyer, every key completed (none
left in progress), no committed checkout that answered 500 (a 500 followed by a replay of
the same key), and the stock of every product equal to what it was less what was sold.
Prints the tally and exits 1 when a guarantee is broken. The PostgreSQL suite runs a small
version of it (checkout/tests/test_kill_worker.py).
"""

import argparse
import collections
import http.client
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


@dataclass
class Report:
    answers: collections.Counter = field(default_factory=collections.Counter)
    replayed: int = 0
    committed_answered_500: int = 0
    unfinished_buyers: int = 0
    kills: int = 0
    orders: int = 0
    keys_in_progress: int = 0
    buyers: int = 0
    stock_exact: bool = False
    products: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            self.orders == self.buyers
            and self.unfinished_buyers == 0
            and self.keys_in_progress == 0
            and self.committed_answered_500 == 0
            and self.stock_exact
            and self.answers.get("500", 0) == 0
        )

    def lines(self) -> list[str]:
        total = sum(self.answers.values())
        return [
            f"requests {total} in {self.seconds:.1f} s: {dict(sorted(self.answers.items()))}",
            f"workers killed {self.kills}; replayed answers {self.replayed}; "
            f"orders {self.orders} for {self.buyers} buyers",
            f"keys in progress {self.keys_in_progress}; "
            f"committed checkouts answered 500: {self.committed_answered_500}; "
            f"buyers without an order {self.unfinished_buyers}",
            f"stock exact for {self.products} products: {self.stock_exact}",
            "OK" if self.ok else "FAILED",
        ]


# The functions below import the project inside them: this file is also a script, and the
# project can only be imported once main() has pointed Django at the benchmark's database.


def prepare(buyers: int, products: int, per_buyer: int):
    """Customers with carts and their access tokens; products with the stock they need.
    Django must be set up on the target database."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.tests.factories import UserFactory
    from catalog.tests.factories import ProductFactory
    from orders.tests.factories import fill_cart

    catalog = [ProductFactory(stock_quantity=buyers * per_buyer) for _ in range(products)]
    rng = random.Random(7)  # noqa: S311 (a repeatable spread, not a secret)
    people = []
    for _ in range(buyers):
        user = UserFactory()
        fill_cart(user, {rng.choice(catalog): per_buyer})
        people.append((user, str(AccessToken.for_user(user))))
    initial = {product.pk: product.stock_quantity for product in catalog}
    return people, initial


def _post_checkout(port: int, token: str, key: str) -> tuple[str, bool]:
    """One checkout request: (status or exception name, replayed)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/v1/orders/",
            body=json.dumps({"shipping_address": ADDRESS}),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
        )
        response = connection.getresponse()
        response.read()
        return str(response.status), response.getheader("Idempotent-Replayed") == "true"
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__, False
    finally:
        connection.close()


def check_out_everyone(port, people, *, clients: int, attempts: int, report: Report):
    queue = collections.deque(enumerate(people))
    lock = threading.Lock()

    def client():
        while True:
            with lock:
                if not queue:
                    return
                index, (_user, token) = queue.popleft()
            key = f"kill-bench-{index}"
            saw_500 = False
            for attempt in range(attempts):
                status, replayed = _post_checkout(port, token, key)
                with lock:
                    report.answers[status] += 1
                if status == "201":
                    with lock:
                        report.replayed += replayed
                        report.committed_answered_500 += saw_500 and replayed
                    break
                saw_500 = saw_500 or status == "500"
                time.sleep(min(0.05 * (attempt + 1), 1.0))
            else:
                with lock:
                    report.unfinished_buyers += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    return threads


def kill_workers(server, *, kills: int, every: float, stop: threading.Event, report: Report):
    rng = random.Random(11)  # noqa: S311 (which worker dies, not a secret)
    while report.kills < kills and not stop.wait(every):
        workers = server.worker_pids()
        if not workers:
            continue
        try:
            os.kill(rng.choice(workers), signal.SIGKILL)
        except ProcessLookupError:
            continue
        report.kills += 1


def verify(people, initial: dict, report: Report) -> None:
    from django.db.models import Sum

    from catalog.models import Product
    from core.models import IdempotencyKey
    from orders.models import Order, OrderItem

    users = [user for user, _token in people]
    report.buyers = len(users)
    report.orders = Order.objects.filter(user__in=users).count()
    report.keys_in_progress = IdempotencyKey.objects.filter(
        state=IdempotencyKey.State.IN_PROGRESS
    ).count()
    sold = dict(
        OrderItem.objects.filter(product_id__in=initial)
        .values_list("product_id")
        .annotate(total=Sum("quantity"))
    )
    stock = dict(Product.objects.filter(pk__in=initial).values_list("pk", "stock_quantity"))
    report.products = len(initial)
    report.stock_exact = all(
        stock[pk] == initial[pk] - sold.get(pk, 0) and stock[pk] >= 0 for pk in initial
    )


def run(
    database_url: str,
    *,
    buyers: int,
    products: int = 15,
    kills: int,
    kill_every: float,
    clients: int,
    workers: int = 2,
    lease: int = 2,
    attempts: int = 60,
    log_dir: Path,
) -> Report:
    """Prepare, serve, race and verify against `database_url`, which Django's default
    connection must already use."""
    from django.conf import settings

    from core.tests.servers import GunicornServer, production_environment

    people, initial = prepare(buyers, products, per_buyer=1)
    metrics_dir = log_dir / "metrics"
    metrics_dir.mkdir(parents=True, exist_ok=True)
    env = production_environment(
        DATABASE_URL=database_url,
        JWT_SIGNING_KEY=settings.SIMPLE_JWT["SIGNING_KEY"],
        GUNICORN_WORKERS=str(workers),
        # Workers are killed on purpose: the master must start new ones at once.
        GUNICORN_MAX_REQUESTS="0",
        IDEMPOTENCY_LEASE_SECONDS=str(lease),
        THROTTLE_USER="1000000/min",
        THROTTLE_ANON="1000000/min",
        API_RESPONSE_TIMES="False",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    server = GunicornServer(env=env, log_path=log_dir / "gunicorn.log").start()
    report = Report()
    stop = threading.Event()
    started = time.monotonic()
    try:
        threads = check_out_everyone(
            server.port, people, clients=clients, attempts=attempts, report=report
        )
        killer = threading.Thread(
            target=kill_workers,
            args=(server,),
            kwargs={"kills": kills, "every": kill_every, "stop": stop, "report": report},
        )
        killer.start()
        for thread in threads:
            thread.join()
        stop.set()
        killer.join()
    finally:
        stop.set()
        server.stop()
    report.seconds = time.monotonic() - started
    verify(people, initial, report)
    return report


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/marketplace_kill_bench",
        help="PostgreSQL database to (re)create for the run",
    )
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--products", type=int, default=15)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--kill-every", type=float, default=0.3)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port-range", default="18570-18579")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ["TEST_PORT_RANGE"] = args.port_range
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DEBUG", "True")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    import django
    import psycopg

    base, _, name = args.database.rpartition("/")
    admin = psycopg.connect(f"{base}/postgres", autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    report = run(
        args.database,
        buyers=args.buyers,
        products=args.products,
        kills=args.kills,
        kill_every=args.kill_every,
        clients=args.clients,
        workers=args.workers,
        log_dir=Path(tempfile.mkdtemp(prefix="kill-bench-")),
    )
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
