from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_password_reset_email(*, email: str, uid: str, token: str) -> None:
    """Send the "choose a new password" link (plain text with an HTML alternative)."""
    context = {
        "email": email,
        "uid": uid,
        "token": token,
        "reset_url": settings.PASSWORD_RESET_URL.format(uid=uid, token=token),
        "timeout_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    subject = render_to_string("accounts/email/password_reset_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # a header: one line, no newlines
        body=render_to_string("accounts/email/password_reset.txt", context),
        to=[email],
    )
    message.attach_alternative(
        render_to_string("accounts/email/password_reset.html", context), "text/html"
    )
    message.send()
