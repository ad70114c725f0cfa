"""Emails to a store's owner about its review: plain text, one template per kind."""

from django.core.mail import send_mail
from django.template.loader import render_to_string

from stores.models import Store

EMAIL_KINDS = ("received", "approved", "rejected", "suspended", "reinstated")


def send_store_email(*, store: Store, kind: str) -> None:
    """Send the `kind` email of a store to its contact address (the owner's when blank);
    raises ValueError for an unknown kind."""
    if kind not in EMAIL_KINDS:
        raise ValueError(f"Unknown store email kind: {kind!r}")
    context = {"store": store}
    subject = render_to_string(f"stores/email/{kind}_subject.txt", context)
    send_mail(
        subject=" ".join(subject.split()),
        message=render_to_string(f"stores/email/{kind}.txt", context),
        from_email=None,
        recipient_list=[store.contact_email or store.owner.email],
    )
