"""The email to staff when an endpoint is disabled after repeated failures."""

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string

from webhooks.models import Endpoint


def staff_emails() -> list[str]:
    """The addresses of the active staff users (who can switch the endpoint back on)."""
    users = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    return sorted(users.values_list("email", flat=True))


def send_endpoint_disabled_email(*, endpoint: Endpoint) -> None:
    """Email every active staff user that `endpoint` was disabled; nobody to tell, nothing
    sent."""
    recipients = staff_emails()
    if not recipients:
        return
    context = {"endpoint": endpoint}
    subject = render_to_string("webhooks/email/endpoint_disabled_subject.txt", context)
    send_mail(
        subject=" ".join(subject.split()),
        message=render_to_string("webhooks/email/endpoint_disabled.txt", context),
        from_email=None,
        recipient_list=recipients,
    )
