from django.core.management.base import BaseCommand

from conversations.services import conversations_notify_unread


class Command(BaseCommand):
    help = (
        "Email the participants who have had unread messages for MESSAGE_EMAIL_DELAY_MINUTES "
        "(at most one email per conversation per delay); beat runs it every minute."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{conversations_notify_unread()} unread-message email(s) queued.")
