"""POST and DELETE cart/coupon/, and the coupon in the cart's totals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from cart.models import Cart
from cart.tests.factories import CartFactory, CartItemFactory
from cart.tests.helpers import CART, assert_validation_error, item_url, token_header
from catalog.tests.factories import ProductImageFactory
from coupons.models import Coupon
from coupons.services import NOT_APPLICABLE_MESSAGE
from coupons.tests.factories import CouponFactory, CouponRedemptionFactory
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

COUPON = f"{CART}coupon/"


@pytest.fixture
def guest_with_items(guest_cart, product):
    """A guest cart holding 2 x 19.99 = 39.98."""
    CartItemFactory(cart=guest_cart, product=product, quantity=2)
    return guest_cart


def apply(client, code, cart=None):
    headers = token_header(cart.token) if cart is not None and cart.token else {}
    return client.post(COUPON, {"code": code}, **headers)


def totals(body) -> tuple[str, str, str]:
    return body["subtotal"], body["discount"], body["total"]


# --- applying -----------------------------------------------------------------------------


def test_a_guest_applies_a_percent_coupon_by_code_in_any_case(api_client, guest_with_items):
    CouponFactory(code="SPRING-10", value=Decimal("10"))

    response = apply(api_client, "spring-10", guest_with_items)

    assert response.status_code == 200, response.content
    body = response.json()
    # 10 % of 39.98 is 3.998, rounded half up.
    assert totals(body) == ("39.98", "4.00", "35.98")
    assert body["coupon"] == {
        "code": "SPRING-10",
        "kind": "percent",
        "value": "10.00",
        "currency": "USD",
    }
    assert (body["coupon_valid"], body["coupon_reason"]) == (True, None)
    assert response["X-Cart-Token"] == guest_with_items.token
    assert Cart.objects.get(pk=guest_with_items.pk).coupon.code == "SPRING-10"


def test_a_user_applies_a_fixed_coupon(user, user_client, product):
    CartItemFactory(cart=CartFactory(user=user), product=product, quantity=1)
    CouponFactory(code="FIVE", fixed=True)

    body = apply(user_client, "five").json()

    assert totals(body) == ("19.99", "5.00", "14.99")
    assert body["coupon"]["kind"] == "fixed"


def test_a_fixed_coupon_larger_than_the_cart_makes_it_free_not_negative(
    api_client, guest_with_items
):
    CouponFactory(code="HUGE", kind="fixed", value=Decimal("100.00"))

    body = apply(api_client, "HUGE", guest_with_items).json()

    assert totals(body) == ("39.98", "39.98", "0.00")


def test_an_unknown_code_is_a_400_on_code_and_changes_nothing(api_client, guest_with_items):
    applied = CouponFactory(code="KEEP")
    Cart.objects.filter(pk=guest_with_items.pk).update(coupon=applied)

    response = apply(api_client, "NOPE", guest_with_items)

    body = assert_validation_error(response, "code")
    assert body["errors"]["code"] == [NOT_APPLICABLE_MESSAGE]
    assert body["reason"] == "not_applicable"
    assert Cart.objects.get(pk=guest_with_items.pk).coupon_id == applied.pk


def test_an_empty_cart_answers_the_same_for_a_real_code_and_an_unknown_one(api_client):
    CouponFactory(code="SPRING")

    real = apply(api_client, "SPRING").json()
    unknown = apply(api_client, "NOSUCHCODE").json()

    assert real == unknown
    assert "empty" in real["detail"]


def test_an_empty_cart_cannot_take_a_coupon_and_no_cart_is_created(api_client):
    CouponFactory(code="SPRING")

    response = apply(api_client, "SPRING")

    body = assert_validation_error(response, "code")
    assert "empty" in body["detail"]
    assert Cart.objects.count() == 0


def test_an_emptied_cart_cannot_take_a_coupon(api_client, guest_cart):
    CouponFactory(code="SPRING")

    assert_validation_error(apply(api_client, "SPRING", guest_cart), "code")
    assert Cart.objects.get(pk=guest_cart.pk).coupon_id is None


@pytest.mark.parametrize(
    ("settings_", "reason"),
    [
        ({"is_active": False}, "inactive"),
        ({"valid_from": timezone.now() + timedelta(days=1)}, "not_yet_valid"),
        ({"valid_until": timezone.now() - timedelta(seconds=1)}, "expired"),
        ({"min_subtotal": Decimal("40.00")}, "below_minimum"),
        ({"usage_limit": 1, "times_used": 1}, "usage_limit_reached"),
        ({"kind": "fixed", "currency": "EUR"}, "currency_mismatch"),
    ],
)
def test_a_coupon_that_does_not_apply_answers_like_an_unknown_code(
    api_client, guest_with_items, settings_, reason
):
    CouponFactory(code="REAL", **settings_)

    refused = apply(api_client, "real", guest_with_items)
    unknown = apply(api_client, "FAKE", guest_with_items)

    body = assert_validation_error(refused, "code")
    # Neither the cause nor a date nor the code itself: nothing tells it exists.
    assert body == unknown.json()
    assert body["reason"] == "not_applicable"
    assert "REAL" not in refused.content.decode()
    assert Cart.objects.get(pk=guest_with_items.pk).coupon_id is None


def test_a_user_past_the_per_user_limit_gets_the_same_answer(user, user_client, product):
    CartItemFactory(cart=CartFactory(user=user), product=product)
    coupon = CouponFactory(code="ONCE", per_user_limit=1)
    CouponRedemptionFactory(coupon=coupon, order=OrderFactory(user=user))

    response = apply(user_client, "ONCE")

    assert assert_validation_error(response, "code")["reason"] == "not_applicable"


def test_coupon_tries_are_throttled_per_guest_address_whatever_the_cart_token(
    api_client, guest_with_items, monkeypatch
):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "coupon": "3/min"},
    )

    codes = [apply(api_client, f"GUESS{n}", guest_with_items).status_code for n in range(3)]
    other_cart = api_client.post(COUPON, {"code": "GUESS9"}, format="json")

    assert codes == [400, 400, 400]
    assert other_cart.status_code == 429
    assert other_cart.json()["code"] == "throttled"


def test_a_new_coupon_replaces_the_one_the_cart_had(api_client, guest_with_items):
    CouponFactory(code="FIRST")
    CouponFactory(code="SECOND", fixed=True)
    apply(api_client, "FIRST", guest_with_items)

    body = apply(api_client, "SECOND", guest_with_items).json()

    assert body["coupon"]["code"] == "SECOND"
    assert body["discount"] == "5.00"


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "x" * 65}, {"code": ["A"]}])
def test_a_malformed_code_is_a_400(api_client, guest_with_items, body):
    response = api_client.post(COUPON, body, format="json", **token_header(guest_with_items.token))

    assert_validation_error(response, "code")


# --- removing -----------------------------------------------------------------------------


def test_removing_the_coupon_answers_the_cart_without_it(api_client, guest_with_items):
    CouponFactory(code="SPRING")
    apply(api_client, "SPRING", guest_with_items)

    response = api_client.delete(COUPON, **token_header(guest_with_items.token))

    assert response.status_code == 200, response.content
    body = response.json()
    assert totals(body) == ("39.98", "0.00", "39.98")
    assert (body["coupon"], body["coupon_valid"], body["coupon_reason"]) == (None, None, None)
    assert Cart.objects.get(pk=guest_with_items.pk).coupon_id is None
    assert Coupon.objects.filter(code="SPRING").exists()


def test_removing_without_a_cart_or_a_coupon_is_harmless(api_client, guest_with_items):
    assert api_client.delete(COUPON).json()["id"] is None
    response = api_client.delete(COUPON, **token_header(guest_with_items.token))
    assert response.status_code == 200
    assert response.json()["coupon"] is None


# --- the coupon in the cart's totals -------------------------------------------------------


def test_a_percent_discount_follows_the_subtotal_as_lines_change(api_client, guest_with_items):
    CouponFactory(code="TEN", value=Decimal("10"))
    apply(api_client, "TEN", guest_with_items)
    line = guest_with_items.items.get()

    response = api_client.patch(
        item_url(line), {"quantity": 5}, **token_header(guest_with_items.token)
    )

    # 5 x 19.99 = 99.95; 10 % = 9.995 -> 10.00
    assert totals(response.json()) == ("99.95", "10.00", "89.95")


def test_a_coupon_below_its_minimum_after_a_change_stays_with_no_discount(
    api_client, guest_with_items
):
    CouponFactory(code="BIG", min_subtotal=Decimal("30"))
    apply(api_client, "BIG", guest_with_items)
    line = guest_with_items.items.get()

    response = api_client.patch(
        item_url(line), {"quantity": 1}, **token_header(guest_with_items.token)
    )

    assert response.status_code == 200
    body = response.json()
    assert totals(body) == ("19.99", "0.00", "19.99")
    assert body["coupon"]["code"] == "BIG"
    assert body["coupon_valid"] is False
    assert "30.00 USD" in body["coupon_reason"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"is_active": False}, "not active"),
        ({"valid_until": timezone.now() - timedelta(seconds=1)}, "expired"),
        ({"usage_limit": 2, "times_used": 2}, "usage limit"),
    ],
)
def test_a_coupon_that_stopped_applying_shows_why_instead_of_failing(
    api_client, guest_with_items, change, words
):
    coupon = CouponFactory(code="LATER")
    apply(api_client, "LATER", guest_with_items)
    Coupon.objects.filter(pk=coupon.pk).update(**change)

    response = api_client.get(CART, **token_header(guest_with_items.token))

    assert response.status_code == 200
    body = response.json()
    assert totals(body) == ("39.98", "0.00", "39.98")
    assert body["coupon_valid"] is False
    assert words in body["coupon_reason"]


def test_a_deleted_coupon_disappears_from_the_cart(api_client, guest_with_items):
    coupon = CouponFactory(code="GONE")
    apply(api_client, "GONE", guest_with_items)
    coupon.delete()

    body = api_client.get(CART, **token_header(guest_with_items.token)).json()

    assert body["coupon"] is None
    assert totals(body) == ("39.98", "0.00", "39.98")


def test_a_guest_coupon_comes_along_when_the_guest_logs_in(user, user_client, guest_with_items):
    Cart.objects.filter(pk=guest_with_items.pk).update(coupon=CouponFactory(code="GUEST"))

    body = user_client.get(CART, **token_header(guest_with_items.token)).json()

    assert body["coupon"]["code"] == "GUEST"
    assert body["discount"] == "4.00"
    assert Cart.objects.get(user=user).coupon.code == "GUEST"


def test_the_users_own_coupon_wins_over_the_guest_one_on_merge(user, user_client, guest_with_items):
    mine = CouponFactory(code="MINE")
    CartFactory(user=user, coupon=mine)
    Cart.objects.filter(pk=guest_with_items.pk).update(coupon=CouponFactory(code="GUEST"))

    body = user_client.get(CART, **token_header(guest_with_items.token)).json()

    assert body["coupon"]["code"] == "MINE"


def test_a_merged_guest_coupon_past_the_users_limit_shows_as_not_applying(
    user, user_client, guest_with_items
):
    coupon = CouponFactory(code="ONCE", per_user_limit=1)
    CouponRedemptionFactory(coupon=coupon, order=OrderFactory(user=user))
    Cart.objects.filter(pk=guest_with_items.pk).update(coupon=coupon)

    body = user_client.get(CART, **token_header(guest_with_items.token)).json()

    assert body["coupon_valid"] is False
    assert body["discount"] == "0.00"


@pytest.mark.parametrize("lines", [1, 20])
def test_reading_a_cart_with_a_coupon_takes_the_same_queries_whatever_its_size(
    user, user_client, django_assert_num_queries, lines
):
    coupon = CouponFactory(per_user_limit=3, min_subtotal=Decimal("1"))
    cart = CartFactory(user=user, coupon=coupon)
    for _ in range(lines):
        item = CartItemFactory(cart=cart)
        ProductImageFactory(product=item.product)

    # JWT user, cart with its coupon, lines with products, images, the cart's user and
    # the user's uses of the coupon (for the per-user limit).
    with django_assert_num_queries(6):
        response = user_client.get(CART)

    body = response.json()
    assert len(body["items"]) == lines
    assert body["coupon_valid"] is True
    assert Decimal(body["discount"]) > 0


def test_coupon_endpoints_reach_only_the_callers_cart(api_client, guest_with_items, product):
    CouponFactory(code="SPRING")
    other = CartFactory(guest=True)
    CartItemFactory(cart=other, product=product)
    Cart.objects.filter(pk=other.pk).update(coupon=CouponFactory(code="OTHER"))

    apply(api_client, "SPRING", guest_with_items)
    api_client.delete(COUPON, **token_header(guest_with_items.token))

    assert Cart.objects.get(pk=other.pk).coupon.code == "OTHER"
