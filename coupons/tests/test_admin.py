from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from coupons.models import Coupon
from coupons.tests.factories import CouponFactory, CouponRedemptionFactory

pytestmark = pytest.mark.django_db

COUPONS = "/admin/coupons/coupon/"
REDEMPTIONS = "/admin/coupons/couponredemption/"
FORM = {
    "code": "spring",
    "description": "",
    "kind": "percent",
    "value": "10.00",
    "currency": "USD",
    "min_subtotal": "0",
    "is_active": "on",
    "redemptions-TOTAL_FORMS": "0",
    "redemptions-INITIAL_FORMS": "0",
}


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_changelist_shows_uses_against_the_limit_and_searches_by_code(admin_client):
    CouponFactory(code="SPRING", usage_limit=10, times_used=4)
    CouponFactory(code="WINTER")

    response = admin_client.get(COUPONS, {"q": "spri"})

    assert response.status_code == 200
    assert [c.code for c in response.context["cl"].result_list] == ["SPRING"]
    content = response.content.decode()
    assert '<td class="field-times_used">4</td>' in content
    assert '<td class="field-usage_limit">10</td>' in content


def test_changelist_filters_by_active_and_kind(admin_client):
    CouponFactory(code="ON")
    CouponFactory(code="OFF", is_active=False)
    CouponFactory(code="FIXED", fixed=True)

    inactive = admin_client.get(COUPONS, {"is_active__exact": "0"})
    fixed = admin_client.get(COUPONS, {"kind__exact": "fixed"})

    assert [c.code for c in inactive.context["cl"].result_list] == ["OFF"]
    assert [c.code for c in fixed.context["cl"].result_list] == ["FIXED"]


def test_the_change_page_lists_redemptions_read_only(admin_client):
    redemption = CouponRedemptionFactory(amount=Decimal("3.50"))

    response = admin_client.get(f"{COUPONS}{redemption.coupon_id}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert str(redemption.order_id) in content and "3.50" in content
    assert 'name="redemptions-0-amount"' not in content  # not editable


def test_the_add_form_stores_the_code_upper_case(admin_client):
    response = admin_client.post(f"{COUPONS}add/", FORM)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Coupon.objects.get().code == "SPRING"


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"code": "TAKEN"}, "code"), ({"code": "taken"}, "code"), ({"value": "101"}, "value")],
)
def test_the_add_form_applies_the_same_rules_as_the_api(admin_client, changes, field):
    CouponFactory(code="TAKEN")

    response = admin_client.post(f"{COUPONS}add/", {**FORM, **changes})

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert Coupon.objects.count() == 1


def test_the_deactivate_action_deactivates_the_selected_coupons(admin_client):
    chosen, other = CouponFactory(), CouponFactory()

    admin_client.post(COUPONS, {"action": "deactivate", "_selected_action": [str(chosen.pk)]})

    chosen.refresh_from_db()
    other.refresh_from_db()
    assert (chosen.is_active, other.is_active) == (False, True)


def test_redemptions_are_read_only(admin_client):
    redemption = CouponRedemptionFactory()

    assert admin_client.get(REDEMPTIONS).status_code == 200
    assert admin_client.get(f"{REDEMPTIONS}add/").status_code == 403
    change = admin_client.post(f"{REDEMPTIONS}{redemption.pk}/change/", {"amount": "0"})
    assert change.status_code == 403
    redemption.refresh_from_db()
    assert redemption.amount == Decimal("1.00")


def test_redemptions_search_by_code_email_or_order_id(admin_client):
    redemption = CouponRedemptionFactory()

    for term in (redemption.coupon.code.lower(), redemption.user.email, str(redemption.order_id)):
        response = admin_client.get(REDEMPTIONS, {"q": term})
        assert [r.pk for r in response.context["cl"].result_list] == [redemption.pk], term
    assert admin_client.get(REDEMPTIONS, {"q": "not-an-id"}).status_code == 200
