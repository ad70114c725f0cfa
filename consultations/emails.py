"""Consultation emails to the customer (and the dermatologist where it concerns them):
confirmed (with an .ics calendar invitation), reminders the day and the hour before,
cancelled, rescheduled (a new .ics), summary ready. Private notes never appear in any."""

import logging
from datetime import UTC, datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage

from consultations.availability import zone
from consultations.models import Availability, Consultation

logger = logging.getLogger(__name__)

_SUBJECTS = {
    "confirmed": "Your consultation with {store} is booked",
    "rescheduled": "Your consultation with {store} has moved",
    "reminder_day": "Tomorrow: your consultation with {store}",
    "reminder_hour": "In an hour: your consultation with {store}",
    "cancelled": "Your consultation with {store} is cancelled",
    "summary": "{store} wrote the summary of your consultation",
}
_BODIES = {
    "confirmed": "{service} with {store} on {when} ({minutes} minutes), paid. "
    "Join from {site} ten minutes before the start; the calendar invitation is attached.",
    "rescheduled": "{service} with {store} is now on {when} ({minutes} minutes). "
    "The new calendar invitation is attached.",
    "reminder_day": "{service} with {store} is on {when}. Join from {site}.",
    "reminder_hour": "{service} with {store} starts at {when}. Join from {site}.",
    "cancelled": "{service} with {store} on {when} is cancelled. {refund}",
    "summary": "{store} wrote the summary of your consultation of {when}, with the products "
    "they recommend; read it in your consultations on {site}.",
}
EMAIL_KINDS = tuple(_SUBJECTS)


def _ics_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def calendar_invitation(consultation: Consultation, *, sequence: int = 0) -> str:
    """An RFC 5545 VEVENT for the consultation (the same UID whenever it moves)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Marketplace//Consultations//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:consultation-{consultation.pk}@marketplace",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{_ics_time(consultation.updated_at)}",
        f"DTSTART:{_ics_time(consultation.starts_at)}",
        f"DTEND:{_ics_time(consultation.ends_at)}",
        f"SUMMARY:{_ics_text(f'{consultation.service.name} with {consultation.store.name}')}",
        f"DESCRIPTION:{_ics_text('Video consultation. Join from your consultations page.')}",
        "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def send_email(*, consultation: Consultation, kind: str) -> None:
    """Send the `kind` email of a consultation to its customer; raises ValueError for an
    unknown kind."""
    if kind not in _SUBJECTS:
        raise ValueError(f"Unknown consultation email kind: {kind!r}")
    store = consultation.store
    name = Availability.objects.filter(store=store).values_list("timezone", flat=True).first()
    try:
        tz = zone(name) if name else UTC
    except ValueError:
        tz = UTC
    when = consultation.starts_at.astimezone(tz).strftime("%A %d %B %Y, %H:%M %Z")
    refund = "Your payment is refunded in full." if consultation.refunded else ""
    fields = {
        "store": store.name,
        "service": consultation.service.name,
        "when": when,
        "minutes": consultation.service.duration_minutes,
        "site": settings.CONSULTATION_URL.format(id=consultation.pk),
        "refund": refund,
    }
    message = EmailMessage(
        subject=_SUBJECTS[kind].format(**fields),
        body=_BODIES[kind].format(**fields).strip(),
        to=[consultation.customer.email],
    )
    if kind in ("confirmed", "rescheduled"):
        sequence = 0 if kind == "confirmed" else int(consultation.updated_at.timestamp())
        message.attach(
            "consultation.ics",
            calendar_invitation(consultation, sequence=sequence),
            "text/calendar; method=REQUEST",
        )
    message.send()


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_kwargs={"max_retries": 5}, acks_late=True
)
def send_consultation_email(consultation_id: str, kind: str) -> None:
    consultation = (
        Consultation.objects.select_related("service", "store", "customer")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None:
        logger.warning("Consultation %s is gone; %s email not sent", consultation_id, kind)
        return
    send_email(consultation=consultation, kind=kind)
