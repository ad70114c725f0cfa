import logging
import time

from django.core.management.base import BaseCommand

from core.scheduler import scheduler_from_settings

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the Celery beat schedule (CELERY_BEAT_SCHEDULE) in this process, without a "
        "broker: for development (`make run` starts it). Production runs celery beat."
    )

    def handle(self, *args, **options):
        scheduler = scheduler_from_settings()
        names = ", ".join(entry.name for entry in scheduler.entries)
        self.stdout.write(f"Running the schedule in-process: {names}.")
        try:
            while True:
                for name in scheduler.tick():
                    logger.info("Scheduled job %s ran", name)
                time.sleep(min(scheduler.seconds_to_next(), 5.0))
        except KeyboardInterrupt:
            return
