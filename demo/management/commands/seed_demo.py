"""`manage.py seed_demo --products N --orders M`: the demo data of demo.seed, with a
progress line for the products and a summary, including the demo accounts to log in with."""

import time

from django.core.management.base import BaseCommand, CommandError

from demo.accounts_seed import DEMO_SHOPPERS, DEMO_USERS, SHOPPER_EMAIL, SHOPPER_PASSWORD
from demo.catalog_seed import BATCH_SIZE
from demo.history import HistoryReport
from demo.seed import demo_seed
from demo.stores_seed import DEMO_STORES, STORE_OWNER_PASSWORD

DEFAULT_PRODUCTS = 200
DEFAULT_ORDERS = 300


class Command(BaseCommand):
    help = (
        "Create demo users, categories, brands and N products, then demo customers with "
        "past orders, payments, coupons, reviews, wishlists and carts (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--products",
            type=int,
            default=DEFAULT_PRODUCTS,
            help=f"Number of demo products wanted in total (default {DEFAULT_PRODUCTS}).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Rows per INSERT (default {BATCH_SIZE}).",
        )
        parser.add_argument(
            "--orders",
            type=int,
            default=DEFAULT_ORDERS,
            help=f"Number of past demo orders wanted in total (default {DEFAULT_ORDERS}); "
            "bounded work whatever --products is.",
        )

    def handle(self, *args, products: int, batch_size: int, orders: int, verbosity: int, **options):
        if products < 0:
            raise CommandError("--products must be zero or more.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if orders < 0:
            raise CommandError("--orders must be zero or more.")
        self.verbosity = verbosity
        started = time.monotonic()

        report = demo_seed(
            products=products,
            orders=orders,
            batch_size=batch_size,
            progress=self._progress if verbosity > 0 else None,
        )

        elapsed = time.monotonic() - started
        self._say(
            self.style.SUCCESS(
                f"Demo data ready in {elapsed:.1f}s: {report.stores} stores, "
                f"{report.subcategories} subcategories, "
                f"{report.brands} brands, {report.products_created} products created "
                f"({products} demo products wanted)."
            )
        )
        self._history(report.history, report.recommendations)
        self._say(
            f"Conversations: {report.conversations} created; consultations: "
            f"{report.consultations} created; skin analyses: {report.skin_analyses} created."
        )
        self._say("Demo accounts (local use only):")
        printed = {spec["email"] for spec in DEMO_USERS}
        for spec in DEMO_USERS:
            self._say(f"  {spec['role']:<28} {spec['email']:<24} password: {spec['password']}")
        shoppers = f"{SHOPPER_EMAIL.format(1)} .. {SHOPPER_EMAIL.format(DEMO_SHOPPERS)}"
        self._say(f"  {'customers with history':<28} {shoppers}  password: {SHOPPER_PASSWORD}")
        owners = ", ".join(spec.email for spec in DEMO_STORES if spec.email not in printed)
        self._say(f"  {'other store owners':<28} {owners}  password: {STORE_OWNER_PASSWORD}")

    def _history(self, report: HistoryReport, recommendations: int) -> None:
        orders = sum(report.orders.values())
        by_status = ", ".join(
            f"{count} {status}" for status, count in sorted(report.orders.items())
        )
        payments = ", ".join(
            f"{count} {status}" for status, count in sorted(report.payments.items())
        )
        self._say(
            f"History: {report.customers} customers, {report.coupons} coupons, "
            f"{orders} orders created" + (f" ({by_status})" if orders else "") + "."
        )
        if report.skipped:
            self._say(f"  Skipped: {report.skipped}.")
        else:
            self._say(
                f"  {sum(report.payments.values())} payments"
                + (f" ({payments})" if payments else "")
                + f", {report.redemptions} coupon redemptions, {report.reviews} reviews "
                f"({report.rated_products} products rated), {report.wishlists} wishlists "
                f"({report.wishlist_items} items), {report.carts} carts created."
            )
        if report.fulfilments:
            parts = ", ".join(
                f"{count} {status}" for status, count in sorted(report.fulfilments.items())
            )
            self._say(
                f"  Marketplace: {sum(report.fulfilments.values())} store parts ({parts}), "
                f"{report.ledger_entries} ledger entries, {report.payouts} payouts created."
            )
        self._say(f"  Recommendations: {recommendations} rows computed.")

    def _say(self, message: str) -> None:
        if self.verbosity > 0:
            self.stdout.write(message)

    def _progress(self, done: int, total: int, elapsed: float) -> None:
        width = 30
        filled = width * done // total
        rate = done / elapsed if elapsed > 0 else 0
        bar = "#" * filled + "-" * (width - filled)
        line = f"\rProducts [{bar}] {done:>{len(str(total))}}/{total} ({rate:,.0f}/s)"
        self.stdout.write(line, ending="\n" if done >= total else "")
        self.stdout.flush()
