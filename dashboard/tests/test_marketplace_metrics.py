"""The marketplace's money in the metrics: a seller's sales, earnings and balance; staff's
commission earned and payouts made."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory, approved_store_for
from catalog.tests.factories import ProductFactory
from checkout.services import fulfilment_cancel, order_place
from earnings.models import Payout, PayoutStatus
from orders.models import Fulfilment
from orders.services import fulfilment_deliver, fulfilment_ship
from orders.tests.factories import ADDRESS, fill_cart
from payments.services import payment_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/dashboard/metrics/"


def _window():
    today = timezone.now().date()
    return {"from": str(today - timedelta(days=1)), "to": str(today)}


def _sell(buyer, owners_prices):
    products = {}
    for owner, price in owners_prices:
        product = ProductFactory(
            store=approved_store_for(owner), created_by=owner, price=Decimal(price)
        )
        products[product] = 1
    fill_cart(buyer, products)
    order = order_place(user=buyer, shipping_address=ADDRESS)
    payment_create(user=buyer, order_id=order.pk)
    return order


def test_a_seller_sees_gross_sales_commission_net_earnings_and_balance(client_for):
    seller, other = UserFactory(is_seller=True), UserFactory(is_seller=True)
    first = _sell(UserFactory(), [(seller, "100.00"), (other, "50.00")])
    second = _sell(UserFactory(), [(seller, "40.00")])
    delivered = Fulfilment.objects.get(order=first, store__owner=seller)
    fulfilment_ship(fulfilment=delivered, by=seller, tracking_number="1Z", carrier="UPS")
    fulfilment_deliver(fulfilment=delivered, by=seller)
    cancelled = Fulfilment.objects.get(order=second, store__owner=seller)
    fulfilment_cancel(fulfilment=cancelled, by=seller, reason="Out of stock")

    answer = client_for(seller).get(URL, _window())

    assert answer.status_code == 200, answer.data
    money = answer.data["marketplace"]
    # Sold: the 100.00 part only (the 40.00 part was cancelled), 10 % commission.
    assert money["sales"] == {
        "USD": {
            "gross_sales": "100.00",
            "commission": "10.00",
            "refunds": "0.00",
            "net_earnings": "90.00",  # the cancelled part's sale and reversal net to zero
        }
    }
    # Delivered today: still held for the payout hold.
    assert money["balance"] == {
        "USD": {"pending": "90.00", "available": "0.00", "paid_out": "0.00"}
    }


def test_staff_see_the_commission_earned_and_the_payouts_made(staff_client):
    seller, other = UserFactory(is_seller=True), UserFactory(is_seller=True)
    order = _sell(UserFactory(), [(seller, "100.00"), (other, "50.00")])
    fulfilment_cancel(
        fulfilment=Fulfilment.objects.get(order=order, store__owner=other),
        by=other,
        reason="Recalled",
    )
    Payout.objects.create(
        store=approved_store_for(seller),
        currency="USD",
        amount=Decimal("42.00"),
        status=PayoutStatus.PAID,
        provider="fake",
        destination="acct_test",
        paid_at=timezone.now(),
    )

    money = staff_client.get(URL, _window()).data["marketplace"]

    assert money["commission_earned"] == {"USD": "10.00"}  # nothing kept on the cancelled part
    assert money["payouts_made"] == {"USD": {"count": 1, "amount": "42.00"}}
    assert "balance" not in money


def test_a_window_without_sales_shows_zeros_in_the_default_currency(staff_client, settings):
    money = staff_client.get(URL, _window()).data["marketplace"]

    assert money["commission_earned"] == {settings.DEFAULT_CURRENCY: "0.00"}
    assert money["payouts_made"] == {settings.DEFAULT_CURRENCY: {"count": 0, "amount": "0.00"}}
