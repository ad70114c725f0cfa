"""Order emails: plain text and HTML, queued on commit by the services."""

from decimal import Decimal

import pytest
from django.core import mail

from catalog.tests.factories import ProductFactory
from checkout.services import order_cancel, order_place
from orders.emails import EMAIL_KINDS, send_order_email
from orders.models import OrderStatus
from orders.services import order_mark_paid, order_ship
from orders.tasks import send_order_email as send_order_email_task
from orders.tests.factories import ADDRESS, OrderFactory, OrderItemFactory, fill_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    order = OrderFactory(subtotal=Decimal("12.50"), email="buyer@example.com")
    OrderItemFactory(
        order=order, product_name="Rose <b>& Oud</b>", unit_price=Decimal("6.25"), quantity=2
    )
    return order


@pytest.mark.parametrize("kind", EMAIL_KINDS)
def test_each_email_lists_items_and_totals_in_text_and_html(order, kind):
    send_order_email(order=order, kind=kind)

    [email] = mail.outbox
    html, mimetype = email.alternatives[0]
    assert email.to == ["buyer@example.com"]
    assert str(order.pk) in email.subject and "\n" not in email.subject
    assert mimetype == "text/html"
    # Text is not HTML-escaped; HTML is.
    assert "2 x Rose <b>& Oud</b> @ 6.25 USD = 12.50 USD" in email.body
    assert "Total:    12.50 USD" in email.body
    assert "Rose &lt;b&gt;&amp; Oud&lt;/b&gt;" in html
    assert "12.50 USD" in html
    assert "London" in email.body and "London" in html


def test_the_shipped_email_gives_the_tracking_number(order):
    order.status, order.carrier, order.tracking_number = OrderStatus.SHIPPED, "UPS", "1Z999"

    send_order_email(order=order, kind="shipped")

    assert "Tracking number: 1Z999" in mail.outbox[0].body
    assert "1Z999" in mail.outbox[0].alternatives[0][0]


def test_an_unknown_kind_is_refused(order):
    with pytest.raises(ValueError):
        send_order_email(order=order, kind="lost")


def test_the_task_of_a_vanished_order_sends_nothing():
    send_order_email_task.delay("00000000-0000-0000-0000-000000000000", "placed")

    assert mail.outbox == []


def test_the_services_send_placed_paid_shipped_and_cancelled_emails_after_commit(
    user, staff, django_capture_on_commit_callbacks
):
    product = ProductFactory(stock_quantity=5)
    fill_cart(user, {product: 1})

    with django_capture_on_commit_callbacks() as callbacks:
        order = order_place(user=user, shipping_address=ADDRESS)
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid(order=order)
        order_ship(order=order, by=staff, tracking_number="1Z", carrier="UPS")
    other = OrderFactory(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=other, by=user)

    to_buyer = [m.subject for m in mail.outbox if m.to == [user.email]]
    assert to_buyer == [
        f"Order {order.pk} received",
        f"Order {order.pk}: payment received",
        f"Order {order.pk} has shipped",
        f"Order {other.pk} was cancelled",
    ]
    # The store whose part was paid is told once, and nobody else is mailed.
    seller = product.store.owner.email
    to_seller = [m.subject for m in mail.outbox if m.to == [seller]]
    assert to_seller == [f"New paid order {order.pk} for {product.store.name}"]
    assert len(mail.outbox) == len(to_buyer) + len(to_seller)
