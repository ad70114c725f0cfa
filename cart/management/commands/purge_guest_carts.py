from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cart.services import cart_purge_guest_carts


class Command(BaseCommand):
    help = (
        "Delete guest carts untouched for GUEST_CART_MAX_AGE_DAYS days (or --days). "
        "User carts are never purged. Meant to run daily from cron or Celery beat."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Age in days past which a guest cart goes (default: GUEST_CART_MAX_AGE_DAYS).",
        )

    def handle(self, *args, days=None, **options):
        days = settings.GUEST_CART_MAX_AGE_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        purged = cart_purge_guest_carts(older_than_days=days)
        self.stdout.write(f"Purged {purged} guest cart(s) older than {days} day(s).")
