"""The rules of coupons, through their services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from cart.models import Cart
from cart.tests.factories import CartFactory
from core.exceptions import BusinessValidationError, Conflict
from coupons import services
from coupons.exceptions import CouponNotApplicable, CouponUsedUp
from coupons.models import Coupon, CouponRedemption
from coupons.services import (
    coupon_check,
    coupon_claim,
    coupon_create,
    coupon_delete,
    coupon_discount,
    coupon_release,
    coupon_update,
)
from coupons.tests.factories import CouponFactory, CouponRedemptionFactory
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def new_coupon(**overrides) -> Coupon:
    data = {"code": "spring-10", "kind": "percent", "value": Decimal("10.00")}
    data.update(overrides)
    return coupon_create(**data)


def errors_of(excinfo) -> dict:
    return excinfo.value.extra["errors"]


def check(coupon, *, user=None, subtotal="50.00", currency="USD", at=None):
    coupon_check(coupon=coupon, user=user, subtotal=Decimal(subtotal), currency=currency, at=at)


def refusal(coupon, **kwargs) -> CouponNotApplicable:
    with pytest.raises(CouponNotApplicable) as excinfo:
        check(coupon, **kwargs)
    assert excinfo.value.status == 400
    assert excinfo.value.code == "validation_error"
    assert excinfo.value.extra["errors"]["code"] == [excinfo.value.detail]
    return excinfo.value


# --- create, update, delete --------------------------------------------------------------


def test_create_stores_the_code_upper_case_and_trimmed():
    coupon = new_coupon(code="  spring-10 ")

    assert Coupon.objects.get(pk=coupon.pk).code == "SPRING-10"
    assert coupon.times_used == 0


@pytest.mark.parametrize("code", ["SPRING-10", "spring-10", "Spring-10"])
def test_a_code_taken_in_any_case_is_a_field_error(code):
    new_coupon(code="spring-10")

    with pytest.raises(BusinessValidationError) as excinfo:
        new_coupon(code=code)

    assert errors_of(excinfo) == {"code": [services.CODE_TAKEN]}
    assert Coupon.objects.count() == 1


def test_a_code_taken_by_a_concurrent_writer_is_a_field_error_not_a_500(monkeypatch):
    # The writer that lost the race passed the check; the unique index decides.
    CouponFactory(code="RACE")
    monkeypatch.setattr(services, "coupon_code_taken", lambda **kwargs: False)

    with pytest.raises(BusinessValidationError) as excinfo:
        new_coupon(code="race")

    assert errors_of(excinfo) == {"code": [services.CODE_TAKEN]}


def test_a_percent_coupon_takes_at_most_100_percent():
    with pytest.raises(BusinessValidationError) as excinfo:
        new_coupon(value=Decimal("100.01"))

    assert "value" in errors_of(excinfo)
    assert new_coupon(value=Decimal("100")).value == Decimal("100")


def test_a_fixed_coupon_may_take_more_than_100():
    coupon = new_coupon(kind="fixed", value=Decimal("150.00"))

    assert coupon.value == Decimal("150.00")


@pytest.mark.parametrize("value", [Decimal("0"), Decimal("-5")])
def test_the_value_must_be_positive(value):
    with pytest.raises(BusinessValidationError) as excinfo:
        new_coupon(value=value)

    assert "value" in errors_of(excinfo)


def test_the_minimum_subtotal_cannot_be_negative():
    with pytest.raises(BusinessValidationError) as excinfo:
        new_coupon(min_subtotal=Decimal("-0.01"))

    assert "min_subtotal" in errors_of(excinfo)


@pytest.mark.parametrize("until", [NOW, NOW - timedelta(seconds=1)])
def test_the_window_must_end_after_it_starts(until):
    with pytest.raises(BusinessValidationError) as excinfo:
        new_coupon(valid_from=NOW, valid_until=until)

    assert "valid_until" in errors_of(excinfo)


def test_the_usage_limit_cannot_go_below_the_uses_counted():
    coupon = CouponFactory(usage_limit=5, times_used=3)

    with pytest.raises(BusinessValidationError) as excinfo:
        coupon_update(coupon=coupon, data={"usage_limit": 2})

    assert "usage_limit" in errors_of(excinfo)
    assert coupon_update(coupon=coupon, data={"usage_limit": 3}).usage_limit == 3


def test_update_never_writes_back_a_stale_use_count():
    coupon = CouponFactory(times_used=0)
    stale = Coupon.objects.get(pk=coupon.pk)
    Coupon.objects.filter(pk=coupon.pk).update(times_used=4)  # checkouts meanwhile

    coupon_update(coupon=stale, data={"description": "Spring sale"})

    coupon.refresh_from_db()
    assert (coupon.description, coupon.times_used) == ("Spring sale", 4)


def test_update_normalises_a_new_code_and_refuses_one_taken_in_another_case():
    CouponFactory(code="TAKEN")
    coupon = CouponFactory(code="MINE")

    assert coupon_update(coupon=coupon, data={"code": "mine-2"}).code == "MINE-2"
    with pytest.raises(BusinessValidationError) as excinfo:
        coupon_update(coupon=coupon, data={"code": "taken"})
    assert errors_of(excinfo) == {"code": [services.CODE_TAKEN]}


def test_deleting_an_unused_coupon_removes_it_from_carts():
    coupon = CouponFactory()
    cart = CartFactory(coupon=coupon)

    coupon_delete(coupon=coupon)

    assert not Coupon.objects.filter(pk=coupon.pk).exists()
    assert Cart.objects.get(pk=cart.pk).coupon_id is None


def test_deleting_a_coupon_that_orders_used_is_a_conflict():
    redemption = CouponRedemptionFactory()

    with pytest.raises(Conflict) as excinfo:
        coupon_delete(coupon=redemption.coupon)

    assert "deactivate" in excinfo.value.detail
    assert Coupon.objects.filter(pk=redemption.coupon_id).exists()


# --- coupon_check: every reason ----------------------------------------------------------


def test_a_coupon_within_every_rule_passes():
    coupon = CouponFactory(
        min_subtotal=Decimal("50.00"),
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=1),
        usage_limit=2,
        times_used=1,
        per_user_limit=1,
    )

    check(coupon, user=UserFactory(), subtotal="50.00")  # raises nothing


def test_an_inactive_coupon_is_refused():
    error = refusal(CouponFactory(code="OFF", is_active=False))

    assert error.reason == "inactive"
    assert error.extra["reason"] == "inactive"
    assert "OFF" in error.detail and "not active" in error.detail


def test_a_coupon_is_refused_before_its_window_and_valid_from_its_start():
    coupon = CouponFactory(valid_from=NOW + timedelta(hours=1))

    assert refusal(coupon).reason == "not_yet_valid"
    check(coupon, at=NOW + timedelta(hours=1))  # the start itself is inside the window


def test_a_coupon_expires_at_its_end():
    coupon = CouponFactory(code="OLD", valid_until=NOW)

    error = refusal(coupon, at=NOW)

    assert error.reason == "expired"
    assert "OLD" in error.detail and "expired" in error.detail
    check(coupon, at=NOW - timedelta(seconds=1))


def test_below_the_minimum_subtotal_the_message_says_the_minimum():
    coupon = CouponFactory(code="BIG", min_subtotal=Decimal("50"))

    error = refusal(coupon, subtotal="49.99")

    assert error.reason == "below_minimum"
    assert "50.00 USD" in error.detail and "49.99" in error.detail


def test_a_used_up_coupon_is_refused():
    error = refusal(CouponFactory(usage_limit=3, times_used=3))

    assert error.reason == "usage_limit_reached"


def test_the_per_user_limit_counts_that_users_redemptions():
    coupon = CouponFactory(per_user_limit=1)
    buyer, other = UserFactory(), UserFactory()
    CouponRedemptionFactory(coupon=coupon, order=OrderFactory(user=buyer))

    assert refusal(coupon, user=buyer).reason == "per_user_limit_reached"
    check(coupon, user=other)


def test_the_per_user_limit_is_not_checked_for_a_guest():
    coupon = CouponFactory(per_user_limit=1)
    CouponRedemptionFactory(coupon=coupon)

    check(coupon, user=None)  # raises nothing: checkout checks it once the user is known


def test_a_fixed_coupon_is_refused_on_a_cart_in_another_currency():
    coupon = CouponFactory(fixed=True, currency="USD")

    error = refusal(coupon, currency="EUR")

    assert error.reason == "currency_mismatch"
    assert "USD" in error.detail and "EUR" in error.detail


def test_a_percent_coupon_works_in_any_currency_unless_it_has_a_minimum():
    check(CouponFactory(currency="USD"), currency="EUR")

    with_minimum = CouponFactory(currency="USD", min_subtotal=Decimal("10"))
    assert refusal(with_minimum, currency="EUR").reason == "currency_mismatch"


# --- coupon_discount ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "subtotal", "expected"),
    [
        ("10", "50.00", "5.00"),
        ("15", "19.99", "3.00"),  # 2.9985 rounds half up
        ("12.5", "0.04", "0.01"),  # 0.005 rounds half up
        ("33.33", "100.00", "33.33"),
        ("100", "42.42", "42.42"),
    ],
)
def test_a_percent_discount_is_rounded_half_up_to_cents(percent, subtotal, expected):
    coupon = CouponFactory(value=Decimal(percent))

    discount = coupon_discount(coupon=coupon, subtotal=Decimal(subtotal))

    assert discount == Decimal(expected)
    assert discount.as_tuple().exponent == -2


@pytest.mark.parametrize(("subtotal", "expected"), [("30.00", "5.00"), ("3.50", "3.50")])
def test_a_fixed_discount_never_exceeds_the_subtotal(subtotal, expected):
    coupon = CouponFactory(fixed=True)

    assert coupon_discount(coupon=coupon, subtotal=Decimal(subtotal)) == Decimal(expected)


# --- claim and release --------------------------------------------------------------------


def claim(coupon, user, subtotal="40.00"):
    return coupon_claim(coupon=coupon, user=user, subtotal=Decimal(subtotal), currency="USD")


def test_claiming_counts_one_use_in_one_conditional_update(user):
    coupon = CouponFactory(usage_limit=2)

    with CaptureQueriesContext(connection) as queries:
        current, discount = claim(coupon, user)

    coupon.refresh_from_db()
    assert coupon.times_used == 1
    assert (current.pk, discount) == (coupon.pk, Decimal("4.00"))
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert '"times_used" < ' in updates[0] and '"is_active"' in updates[0]


def test_claiming_a_used_up_coupon_is_a_409_and_counts_nothing(user):
    coupon = CouponFactory(code="GONE", usage_limit=1, times_used=1)

    with pytest.raises(CouponUsedUp) as excinfo:
        claim(coupon, user)

    assert (excinfo.value.status, excinfo.value.code) == (409, "conflict")
    assert "GONE" in excinfo.value.detail
    assert excinfo.value.extra == {"reason": "usage_limit_reached"}
    coupon.refresh_from_db()
    assert coupon.times_used == 1


def test_claiming_a_coupon_deactivated_meanwhile_is_refused_as_inactive(user):
    coupon = CouponFactory()
    Coupon.objects.filter(pk=coupon.pk).update(is_active=False)

    with pytest.raises(CouponNotApplicable) as excinfo:
        claim(coupon, user)  # the caller's copy still says active

    assert excinfo.value.reason == "inactive"
    assert excinfo.value.extra["errors"] == {"coupon": [excinfo.value.detail]}


def test_claiming_checks_the_rules_on_the_current_row_and_uncounts_a_refusal(user):
    coupon = CouponFactory(usage_limit=5)
    Coupon.objects.filter(pk=coupon.pk).update(valid_until=NOW - timedelta(minutes=1))

    with pytest.raises(CouponNotApplicable) as excinfo:
        claim(coupon, user)

    assert excinfo.value.reason == "expired"
    coupon.refresh_from_db()
    assert coupon.times_used == 0


def test_claiming_past_the_per_user_limit_is_refused_and_uncounted(user):
    coupon = CouponFactory(per_user_limit=1)
    CouponRedemptionFactory(coupon=coupon, order=OrderFactory(user=user))

    with pytest.raises(CouponNotApplicable) as excinfo:
        claim(coupon, user)

    assert excinfo.value.reason == "per_user_limit_reached"
    coupon.refresh_from_db()
    assert coupon.times_used == 1


def test_releasing_deletes_the_redemption_and_uncounts_the_use():
    redemption = CouponRedemptionFactory()
    coupon = redemption.coupon
    assert coupon.times_used == 1

    assert coupon_release(order=redemption.order) is True

    coupon.refresh_from_db()
    assert coupon.times_used == 0
    assert not CouponRedemption.objects.exists()


def test_releasing_an_order_without_a_coupon_changes_nothing():
    coupon = CouponFactory(times_used=2)

    assert coupon_release(order=OrderFactory()) is False

    coupon.refresh_from_db()
    assert coupon.times_used == 2
