from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.idempotency import idempotency_keys_purge


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than IDEMPOTENCY_KEY_TTL_HOURS (run hourly)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=settings.IDEMPOTENCY_KEY_TTL_HOURS,
            help="Age in hours past which keys are removed (default: %(default)s).",
        )

    def handle(self, *args, hours, **options):
        if hours < 24:
            raise CommandError("Keys are kept at least 24 hours (SPEC); use --hours 24 or more.")
        deleted = idempotency_keys_purge(older_than=timedelta(hours=hours))
        self.stdout.write(f"Deleted {deleted} idempotency key(s) older than {hours} h.")
