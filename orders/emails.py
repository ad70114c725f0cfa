"""Order emails: one plain-text body with an HTML alternative per kind."""

from django.core.mail import EmailMultiAlternatives, send_mail
from django.template.loader import render_to_string

from orders.models import Fulfilment, Order

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


FULFILMENT_EMAIL_KINDS = ("paid", "shipped", "cancelled")


def send_fulfilment_email(*, fulfilment: Fulfilment, kind: str) -> None:
    """Send the `kind` email of one store's part of an order: `paid` tells the store it has
    an order to fulfil, `shipped` and `cancelled` tell the buyer. Raises ValueError for an
    unknown kind."""
    if kind not in FULFILMENT_EMAIL_KINDS:
        raise ValueError(f"Unknown fulfilment email kind: {kind!r}")
    store = fulfilment.store
    if kind == "paid":
        recipient = store.contact_email or store.owner.email
    else:
        recipient = fulfilment.order.email
    context = {
        "fulfilment": fulfilment,
        "order": fulfilment.order,
        "store": store,
        "items": list(fulfilment.items.all()),
        "address": fulfilment.order.shipping_address,
    }
    base = f"orders/email/fulfilment_{kind}"
    subject = render_to_string(f"{base}_subject.txt", context)
    send_mail(
        subject=" ".join(subject.split()),
        message=render_to_string(f"{base}.txt", context),
        from_email=None,
        recipient_list=[recipient],
    )
