from django.core.management.base import BaseCommand

from webhooks.services import deliveries_send_due


class Command(BaseCommand):
    help = (
        "Attempt every webhook delivery that is due (retries, and deliveries a stopped "
        "process left behind). Safe to run often and concurrently: each delivery is claimed "
        "before it is sent, so two runs never send it twice."
    )

    def handle(self, *args, **options):
        attempted = deliveries_send_due()
        self.stdout.write(f"Attempted {attempted} webhook delivery(ies).")
