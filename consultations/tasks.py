from celery import shared_task

from consultations.services import consultations_expire_holds, consultations_send_reminders


@shared_task
def expire_consultation_holds() -> int:
    """Free the slots of unpaid bookings whose hold ran out (beat: every minute)."""
    return consultations_expire_holds()


@shared_task
def send_consultation_reminders() -> int:
    """The reminders due, the day and the hour before (beat: every five minutes)."""
    return consultations_send_reminders()
