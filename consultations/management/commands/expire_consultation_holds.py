from django.core.management.base import BaseCommand

from consultations.services import consultations_expire_holds


class Command(BaseCommand):
    help = "Cancel unpaid consultation bookings whose hold ran out, freeing their slots."

    def handle(self, *args, **options):
        expired = consultations_expire_holds()
        self.stdout.write(f"Expired {expired} unpaid consultation booking(s).")
