"""Coupon uses under real concurrency: threads checking out at once on separate PostgreSQL
connections. The usage limit holds whatever the timing; a cancel gives a use back.

SQLite serialises writers on one file lock, so these tests say nothing there and are
skipped."""

from decimal import Decimal

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from cart.models import Cart
from catalog.tests.factories import ProductFactory
from checkout.services import order_cancel, order_place
from core.tests.concurrency import run_concurrently
from coupons.exceptions import CouponNotApplicable, CouponUsedUp
from coupons.models import CouponRedemption
from coupons.tests.factories import CouponFactory
from orders.models import Order
from orders.tests.factories import ADDRESS, cart_lines, fill_cart, stock_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: real row locks and concurrent connections",
    ),
]


def cart_with(user, lines: dict, coupon) -> None:
    cart = fill_cart(user, lines)
    Cart.objects.filter(pk=cart.pk).update(coupon=coupon)


def checkout(user):
    return lambda: order_place(user=user, shipping_address=ADDRESS)


def test_ten_buyers_race_for_a_coupon_with_three_uses():
    product = ProductFactory(price=Decimal("20.00"), stock_quantity=100)
    coupon = CouponFactory(code="THREE", value=Decimal("10"), usage_limit=3)
    buyers = UserFactory.create_batch(10)
    for buyer in buyers:
        cart_with(buyer, {product: 1}, coupon)

    outcomes = run_concurrently(*(checkout(buyer) for buyer in buyers))

    orders = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, CouponUsedUp)]
    assert len(orders) == 3, outcomes
    assert len(refused) == 7, outcomes
    assert all(error.status == 409 for error in refused)
    coupon.refresh_from_db()
    assert coupon.times_used == 3
    assert CouponRedemption.objects.count() == 3
    assert Order.objects.count() == 3
    for order in Order.objects.all():
        assert (order.coupon_code, order.discount_total, order.total) == (
            "THREE",
            Decimal("2.00"),
            Decimal("18.00"),
        )
    # The refused buyers keep their carts, their coupon, and the stock.
    assert stock_of(product) == 97
    winners = {order.user_id for order in orders}
    for buyer in buyers:
        if buyer.pk not in winners:
            assert cart_lines(buyer) == {product.pk: 1}
            assert Cart.objects.get(user=buyer).coupon_id == coupon.pk


def test_ten_buyers_race_through_the_api(client_for):
    product = ProductFactory(stock_quantity=100)
    coupon = CouponFactory(usage_limit=3)
    buyers = UserFactory.create_batch(10)
    for buyer in buyers:
        cart_with(buyer, {product: 1}, coupon)
    clients = [client_for(buyer) for buyer in buyers]

    def post(client):
        return lambda: client.post("/api/v1/orders/", {"shipping_address": ADDRESS})

    responses = run_concurrently(*(post(client) for client in clients))

    statuses = sorted(getattr(r, "status_code", repr(r)) for r in responses)
    assert statuses == [201] * 3 + [409] * 7
    assert {r.data["code"] for r in responses if r.status_code == 409} == {"conflict"}
    coupon.refresh_from_db()
    assert coupon.times_used == 3
    assert stock_of(product) == 97


def test_checkouts_racing_a_cancel_take_at_most_the_use_it_frees():
    product = ProductFactory(stock_quantity=100)
    coupon = CouponFactory(usage_limit=2)
    first, second = UserFactory(), UserFactory()
    for buyer in (first, second):
        cart_with(buyer, {product: 1}, coupon)
    placed = [order_place(user=buyer, shipping_address=ADDRESS) for buyer in (first, second)]
    latecomers = UserFactory.create_batch(6)
    for buyer in latecomers:
        cart_with(buyer, {product: 1}, coupon)

    outcomes = run_concurrently(
        lambda: order_cancel(order=placed[0], by=first),
        *(checkout(buyer) for buyer in latecomers),
    )

    new_orders = [o for o in outcomes[1:] if isinstance(o, Order)]
    assert all(isinstance(o, Order | CouponUsedUp) for o in outcomes[1:]), outcomes
    # Whether a latecomer ran before the cancel (refused) or after it (served), the limit
    # holds and at most the one freed use is taken.
    assert len(new_orders) <= 1
    coupon.refresh_from_db()
    assert coupon.times_used == 1 + len(new_orders)
    assert CouponRedemption.objects.count() == coupon.times_used


def test_one_user_checking_out_twice_at_once_gets_the_per_user_limit():
    # A user has one cart; two of their checkouts at once are serialised by its row lock,
    # and the second finds it empty. Two carts cannot exist, so the limit is also shown
    # with two sequential checkouts in orders/tests/test_coupons.py.
    product = ProductFactory(stock_quantity=100)
    coupon = CouponFactory(per_user_limit=1)
    buyer = UserFactory()
    cart_with(buyer, {product: 1}, coupon)

    outcomes = run_concurrently(*(checkout(buyer) for _ in range(4)))

    assert sum(isinstance(o, Order) for o in outcomes) == 1, outcomes
    coupon.refresh_from_db()
    assert coupon.times_used == 1
    cart_with(buyer, {product: 1}, coupon)
    with pytest.raises(CouponNotApplicable) as excinfo:
        order_place(user=buyer, shipping_address=ADDRESS)
    assert excinfo.value.reason == "per_user_limit_reached"
    coupon.refresh_from_db()
    assert coupon.times_used == 1


def test_cancelling_gives_the_use_back_to_the_next_buyer():
    product = ProductFactory(stock_quantity=100)
    coupon = CouponFactory(usage_limit=1)
    first, second = UserFactory(), UserFactory()
    cart_with(first, {product: 1}, coupon)
    order = order_place(user=first, shipping_address=ADDRESS)
    cart_with(second, {product: 1}, coupon)
    with pytest.raises(CouponUsedUp):
        order_place(user=second, shipping_address=ADDRESS)

    order_cancel(order=order, by=first)

    coupon.refresh_from_db()
    assert coupon.times_used == 0
    assert not CouponRedemption.objects.filter(order=order).exists()
    assert order_place(user=second, shipping_address=ADDRESS).coupon_code == coupon.code
    coupon.refresh_from_db()
    assert coupon.times_used == 1
