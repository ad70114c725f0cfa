from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from checkout.services import order_expire_unpaid


class Command(BaseCommand):
    help = (
        "Cancel pending orders older than ORDER_UNPAID_EXPIRY_MINUTES (or --minutes) and "
        "restore their stock. Safe to run often and concurrently: orders being paid right "
        "now are skipped and picked up next time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--minutes",
            type=int,
            default=None,
            help="Age in minutes after which an unpaid order expires "
            f"(default: ORDER_UNPAID_EXPIRY_MINUTES = {settings.ORDER_UNPAID_EXPIRY_MINUTES}).",
        )

    def handle(self, *args, minutes=None, **options):
        if minutes is None:
            minutes = settings.ORDER_UNPAID_EXPIRY_MINUTES
        if minutes < 1:
            raise CommandError("--minutes must be at least 1.")
        expired = order_expire_unpaid(older_than=timedelta(minutes=minutes))
        self.stdout.write(f"Expired {expired} unpaid order(s) older than {minutes} minutes.")
