"""Coupons at checkout: checked again, counted once, priced exactly, given back on cancel.
A refused coupon changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from cart.models import Cart
from cart.tests.factories import CartFactory, CartItemFactory
from catalog.tests.factories import ProductFactory
from checkout.services import order_cancel, order_expire_unpaid, order_place
from core.exceptions import InvalidTransition
from coupons.exceptions import CouponNotApplicable
from coupons.models import Coupon, CouponRedemption
from coupons.tests.factories import CouponFactory
from orders.models import Order, OrderStatus
from orders.tests.factories import ADDRESS, cart_lines, fill_cart, stock_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
INLINE = {"shipping_address": {k: v for k, v in ADDRESS.items() if v}}


@pytest.fixture
def product(db):
    return ProductFactory(price=Decimal("19.99"), stock_quantity=10)


def cart_with(user, lines: dict, coupon=None) -> Cart:
    cart = fill_cart(user, lines)
    Cart.objects.filter(pk=cart.pk).update(coupon=coupon)
    return cart


def times_used(coupon) -> int:
    coupon.refresh_from_db(fields=["times_used"])
    return coupon.times_used


def assert_nothing_written(user, product, *, stock: int, lines: dict, coupon, uses: int):
    assert Order.objects.count() == 0
    assert stock_of(product) == stock
    assert cart_lines(user) == lines
    assert Cart.objects.get(user=user).coupon_id == coupon.pk
    assert times_used(coupon) == uses
    assert not CouponRedemption.objects.exists()


# --- a coupon that applies -----------------------------------------------------------------


def test_checkout_with_a_percent_coupon_prices_records_and_counts_it(user, user_client, product):
    coupon = CouponFactory(code="SPRING-15", value=Decimal("15"), usage_limit=10)
    cart_with(user, {product: 3}, coupon)

    response = user_client.post(URL, INLINE)

    assert response.status_code == 201, response.content
    body = response.json()
    # 3 x 19.99 = 59.97; 15 % = 8.9955 -> 9.00 (half up)
    assert (body["subtotal"], body["discount_total"], body["total"]) == ("59.97", "9.00", "50.97")
    assert body["coupon_code"] == "SPRING-15"
    order = Order.objects.get(pk=body["id"])
    assert (order.subtotal, order.discount_total, order.total) == (
        Decimal("59.97"),
        Decimal("9.00"),
        Decimal("50.97"),
    )
    redemption = CouponRedemption.objects.get()
    assert (redemption.coupon_id, redemption.order_id, redemption.user_id) == (
        coupon.pk,
        order.pk,
        user.pk,
    )
    assert redemption.amount == Decimal("9.00")
    assert times_used(coupon) == 1
    cart = Cart.objects.get(user=user)
    assert cart.coupon_id is None
    assert cart_lines(user) == {}
    assert stock_of(product) == 7


def test_checkout_with_a_fixed_coupon_takes_the_amount_off(user, product):
    coupon = CouponFactory(code="FIVE", fixed=True)
    cart_with(user, {product: 1}, coupon)

    order = order_place(user=user, shipping_address=ADDRESS)

    assert (order.subtotal, order.discount_total, order.total) == (
        Decimal("19.99"),
        Decimal("5.00"),
        Decimal("14.99"),
    )
    assert order.coupon_code == "FIVE"


def test_a_fixed_coupon_above_the_subtotal_makes_the_order_free_not_negative(user, product):
    coupon = CouponFactory(kind="fixed", value=Decimal("50.00"))
    cart_with(user, {product: 1}, coupon)

    order = order_place(user=user, shipping_address=ADDRESS)

    assert (order.discount_total, order.total) == (Decimal("19.99"), Decimal("0.00"))
    assert CouponRedemption.objects.get().amount == Decimal("19.99")


def test_the_coupon_applies_to_the_promotion_prices(user):
    promoted = ProductFactory(price=Decimal("40.00"), discount_percent=Decimal("25"))
    coupon = CouponFactory(value=Decimal("10"))
    cart_with(user, {promoted: 2}, coupon)

    order = order_place(user=user, shipping_address=ADDRESS)

    # 2 x 30.00 = 60.00, less 10 %.
    assert (order.subtotal, order.discount_total, order.total) == (
        Decimal("60.00"),
        Decimal("6.00"),
        Decimal("54.00"),
    )


def test_checkout_without_a_coupon_records_no_redemption(user, product):
    coupon = CouponFactory()
    fill_cart(user, {product: 1})

    order = order_place(user=user, shipping_address=ADDRESS)

    assert (order.discount_total, order.coupon_code) == (Decimal("0.00"), "")
    assert not CouponRedemption.objects.exists()
    assert times_used(coupon) == 0


def test_a_coupon_applied_as_a_guest_is_used_when_checking_out_after_login(
    user, user_client, product
):
    coupon = CouponFactory(code="GUEST")
    guest = CartFactory(guest=True, coupon=coupon)
    CartItemFactory(cart=guest, product=product, quantity=1)

    response = user_client.post(URL, INLINE, HTTP_X_CART_TOKEN=guest.token)

    assert response.status_code == 201, response.content
    assert (response.json()["coupon_code"], response.json()["discount_total"]) == ("GUEST", "2.00")
    assert times_used(coupon) == 1


def test_an_idempotent_retry_counts_the_coupon_once(user, user_client, product):
    coupon = CouponFactory(usage_limit=5)
    cart_with(user, {product: 1}, coupon)

    first = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="coupon-1")
    replay = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="coupon-1")

    assert first.status_code == replay.status_code == 201
    assert first.json()["id"] == replay.json()["id"]
    assert times_used(coupon) == 1
    assert CouponRedemption.objects.count() == 1


# --- a coupon that no longer applies: nothing is written ------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"valid_until": timezone.now() - timedelta(seconds=1)}, "expired"),
        ({"min_subtotal": Decimal("100.00")}, "below_minimum"),
        ({"is_active": False}, "inactive"),
        ({"valid_from": timezone.now() + timedelta(days=1)}, "not_yet_valid"),
    ],
)
def test_a_coupon_that_stopped_applying_refuses_checkout_and_changes_nothing(
    user, user_client, product, change, reason
):
    coupon = CouponFactory(code="STALE", usage_limit=10, times_used=2)
    cart_with(user, {product: 2}, coupon)
    Coupon.objects.filter(pk=coupon.pk).update(**change)

    response = user_client.post(URL, INLINE)

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["reason"] == reason
    assert "STALE" in body["errors"]["coupon"][0]
    assert_nothing_written(user, product, stock=10, lines={product.pk: 2}, coupon=coupon, uses=2)


def test_a_used_up_coupon_is_a_409_and_changes_nothing(user, user_client, product):
    coupon = CouponFactory(code="LAST", usage_limit=3, times_used=3)
    cart_with(user, {product: 1}, coupon)

    response = user_client.post(URL, INLINE)

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "conflict"
    assert "LAST" in body["detail"] and "usage limit" in body["detail"]
    assert_nothing_written(user, product, stock=10, lines={product.pk: 1}, coupon=coupon, uses=3)


def test_insufficient_stock_with_a_coupon_counts_no_use(user, user_client):
    scarce = ProductFactory(stock_quantity=1)
    coupon = CouponFactory(usage_limit=1)
    cart_with(user, {scarce: 2}, coupon)

    response = user_client.post(URL, INLINE)

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert_nothing_written(user, scarce, stock=1, lines={scarce.pk: 2}, coupon=coupon, uses=0)


def test_a_second_checkout_past_the_per_user_limit_is_refused(user, product):
    coupon = CouponFactory(code="ONCE", per_user_limit=1)
    cart_with(user, {product: 1}, coupon)
    order_place(user=user, shipping_address=ADDRESS)
    cart_with(user, {product: 1}, coupon)  # put on the cart again, as an old tab might

    with pytest.raises(CouponNotApplicable) as excinfo:
        order_place(user=user, shipping_address=ADDRESS)

    assert excinfo.value.reason == "per_user_limit_reached"
    assert Order.objects.count() == 1
    assert times_used(coupon) == 1
    assert stock_of(product) == 9
    assert cart_lines(user) == {product.pk: 1}


def test_the_per_user_limit_does_not_stop_other_users(product):
    coupon = CouponFactory(per_user_limit=1)
    first, second = UserFactory(), UserFactory()
    for buyer in (first, second):
        cart_with(buyer, {product: 1}, coupon)
        order_place(user=buyer, shipping_address=ADDRESS)

    assert times_used(coupon) == 2


# --- cancel and expiry give the use back ---------------------------------------------------


def test_cancelling_gives_the_use_back_and_the_coupon_can_be_used_again(user, user_client, product):
    coupon = CouponFactory(code="SOLO", usage_limit=1, per_user_limit=1)
    cart_with(user, {product: 1}, coupon)
    order = order_place(user=user, shipping_address=ADDRESS)
    assert times_used(coupon) == 1

    response = user_client.post(f"{URL}{order.pk}/cancel/", {})

    assert response.status_code == 200, response.content
    assert times_used(coupon) == 0
    assert not CouponRedemption.objects.exists()
    # The order keeps what it said at checkout.
    order.refresh_from_db()
    assert (order.coupon_code, order.discount_total) == ("SOLO", Decimal("2.00"))
    # The one use is free again, for the same user too.
    cart_with(user, {product: 1}, coupon)
    again = order_place(user=user, shipping_address=ADDRESS)
    assert again.coupon_code == "SOLO"
    assert times_used(coupon) == 1


def test_cancelling_twice_gives_the_use_back_once(user, product):
    coupon = CouponFactory(times_used=4)
    cart_with(user, {product: 1}, coupon)
    order = order_place(user=user, shipping_address=ADDRESS)
    order_cancel(order=order, by=user)

    with pytest.raises(InvalidTransition):
        order_cancel(order=order, by=user)

    assert times_used(coupon) == 4


def test_an_expired_unpaid_order_gives_its_use_back(user, product):
    coupon = CouponFactory(usage_limit=1)
    cart_with(user, {product: 1}, coupon)
    order = order_place(user=user, shipping_address=ADDRESS)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=1))

    assert order_expire_unpaid(older_than=timedelta(hours=1)) == 1

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert times_used(coupon) == 0
    assert not CouponRedemption.objects.exists()


def test_cancelling_an_order_without_a_coupon_leaves_coupons_alone(user, product):
    coupon = CouponFactory(times_used=2)
    fill_cart(user, {product: 1})
    order = order_place(user=user, shipping_address=ADDRESS)

    order_cancel(order=order, by=user)

    assert times_used(coupon) == 2
