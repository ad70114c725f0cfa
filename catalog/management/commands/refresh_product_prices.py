from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from catalog.services import PRICE_REFRESH_LOOKBACK, product_prices_refresh


class Command(BaseCommand):
    help = (
        "Bring the stored effective price (Product.current_price) up to date for products "
        "whose discount started or ended recently (what Celery beat runs every minute), or "
        "for every product with --all. Writes only the prices that differ; safe to run "
        "often and concurrently."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            dest="all_products",
            help="Recompute every product (repair after an outage or a write that bypassed "
            "the services).",
        )
        parser.add_argument(
            "--since-minutes",
            type=int,
            default=None,
            help="Look for discount starts and ends in the last N minutes "
            f"(default: {int(PRICE_REFRESH_LOOKBACK.total_seconds() // 60)}).",
        )

    def handle(self, *args, all_products=False, since_minutes=None, **options):
        if all_products and since_minutes is not None:
            raise CommandError("Use either --all or --since-minutes, not both.")
        since = None
        if since_minutes is not None:
            if since_minutes < 1:
                raise CommandError("--since-minutes must be at least 1.")
            since = timezone.now() - timedelta(minutes=since_minutes)
        changed = product_prices_refresh(since=since, all_products=all_products)
        scope = "all products" if all_products else "recent discount starts and ends"
        self.stdout.write(f"Refreshed {changed} product price(s) ({scope}).")
