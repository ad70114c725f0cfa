"""Order emails: one plain-text body with an HTML alternative per kind."""

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from orders.models import Order

EMAIL_KINDS = ("placed", "paid", "shipped", "cancelled")


def send_order_email(*, order: Order, kind: str) -> None:
    """Send the `kind` email of an order to order.email; raises ValueError for an unknown kind."""
    if kind not in EMAIL_KINDS:
        raise ValueError(f"Unknown order email kind: {kind!r}")
    context = {"order": order, "items": list(order.items.all()), "address": order.shipping_address}
    base = f"orders/email/{kind}"
    subject = render_to_string(f"{base}_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # a header: one line, no newlines
        body=render_to_string(f"{base}.txt", context),
        to=[order.email],
    )
    message.attach_alternative(render_to_string(f"{base}.html", context), "text/html")
    message.send()
