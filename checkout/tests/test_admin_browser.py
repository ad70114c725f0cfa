"""The operator's admin in a real browser: log in, ship an order with its tracking number,
refund part of its payment."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from checkout.services import order_place
from core.tests.browser import page  # noqa: F401 (a fixture)
from orders.models import Order, OrderStatus
from orders.tests.factories import ADDRESS, fill_cart
from payments.models import Payment, PaymentStatus
from payments.services import payment_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Operator-pass-2026"


def test_staff_log_in_ship_an_order_and_refund_part_of_it(live_server, page):  # noqa: F811
    UserFactory(email="ops@example.com", password=PASSWORD, is_staff=True, is_superuser=True)
    buyer = UserFactory()
    fill_cart(buyer, {ProductFactory(price=Decimal("40.00")): 1})
    order = order_place(user=buyer, shipping_address=ADDRESS)
    payment_create(user=buyer, order_id=order.pk)

    page.goto(f"{live_server.url}/admin/login/?next=/admin/orders/order/{order.pk}/change/")
    page.fill("#id_username", "ops@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("text=Ada Lovelace")

    page.click(".object-tools a[href$='/ship/']")
    page.fill("#id_tracking_number", "1Z999AA10123456784")
    page.fill("#id_carrier", "UPS")
    page.click("input[name=confirm]")
    page.wait_for_selector("text=The order was shipped")

    page.click(".object-tools a[href$='/refund/']")
    page.fill("#id_amount", "15.00")
    page.fill("#id_reason", "Arrived damaged")
    page.click("input[name=confirm]")
    page.wait_for_selector("text=Refunded 15.00 USD.")

    order = Order.objects.get(pk=order.pk)
    payment = Payment.objects.get(order=order)
    assert (order.status, order.tracking_number) == (OrderStatus.SHIPPED, "1Z999AA10123456784")
    assert (payment.status, payment.amount_refunded) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        Decimal("15.00"),
    )
