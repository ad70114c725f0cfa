from django.core.management.base import BaseCommand

from earnings.services import payouts_run


class Command(BaseCommand):
    help = (
        "Pay every store its available balance at or above SELLER_PAYOUT_MINIMUM, and send "
        "again the payouts an earlier run left processing (the daily beat job)."
    )

    def handle(self, *args, **options):
        run = payouts_run()
        self.stdout.write(
            f"{len(run.opened)} payout(s) opened, {len(run.resent)} resent: {run.paid} paid, "
            f"{run.failed} failed (amount available again), {run.still_processing} still "
            "processing."
        )
