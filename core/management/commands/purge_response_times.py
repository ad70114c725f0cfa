from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.response_times import response_times_purge


class Command(BaseCommand):
    help = (
        "Delete the per-minute API response-time histograms older than "
        "RESPONSE_TIME_RETENTION_DAYS (run daily)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.RESPONSE_TIME_RETENTION_DAYS,
            help="Age in days past which minutes are removed (default: %(default)s).",
        )

    def handle(self, *args, days, **options):
        if days < 1:
            raise CommandError("Keep at least one day (--days 1 or more).")
        deleted = response_times_purge(older_than=timedelta(days=days))
        self.stdout.write(f"Deleted {deleted} response-time minute(s) older than {days} days.")
