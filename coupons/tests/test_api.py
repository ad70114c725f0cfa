"""coupons/: staff CRUD, permissions, filters and the error answers."""

from decimal import Decimal

import pytest

from coupons.models import Coupon
from coupons.tests.factories import CouponFactory, CouponRedemptionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/coupons/"
BODY = {"code": "spring-10", "kind": "percent", "value": "10.00"}


def detail_url(coupon) -> str:
    return f"{URL}{coupon.pk}/"


def assert_field_errors(response, *fields) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    for field in fields:
        assert body["errors"].get(field), body
    return body


# --- permissions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("get", "list"),
        ("post", "list"),
        ("get", "detail"),
        ("patch", "detail"),
        ("delete", "detail"),
    ],
)
def test_anonymous_callers_get_401_and_customers_and_sellers_403(
    api_client, user_client, seller_client, method, target
):
    coupon = CouponFactory()
    url = URL if target == "list" else detail_url(coupon)

    anonymous = getattr(api_client, method)(url, BODY)
    customer = getattr(user_client, method)(url, BODY)
    seller = getattr(seller_client, method)(url, BODY)

    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert (customer.status_code, seller.status_code) == (403, 403)
    assert customer.json()["code"] == "permission_denied"
    assert Coupon.objects.count() == 1
    assert Coupon.objects.get().code == coupon.code


# --- create -------------------------------------------------------------------------------


def test_staff_create_a_coupon_with_every_field(staff_client):
    body = {
        **BODY,
        "description": "Spring sale",
        "currency": "EUR",
        "min_subtotal": "25.00",
        "valid_from": "2030-03-01T00:00:00Z",
        "valid_until": "2030-04-01T00:00:00Z",
        "usage_limit": 100,
        "per_user_limit": 1,
        "is_active": False,
        "times_used": 50,  # read-only: ignored
    }

    response = staff_client.post(URL, body)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["code"] == "SPRING-10"
    assert (data["kind"], data["value"], data["currency"]) == ("percent", "10.00", "EUR")
    assert data["min_subtotal"] == "25.00"
    assert data["valid_from"] == "2030-03-01T00:00:00Z"
    assert (data["usage_limit"], data["per_user_limit"], data["times_used"]) == (100, 1, 0)
    assert data["is_active"] is False
    assert Coupon.objects.get(pk=data["id"]).code == "SPRING-10"


def test_create_defaults_to_an_active_unlimited_coupon_in_the_store_currency(staff_client):
    data = staff_client.post(URL, BODY).json()

    assert data["is_active"] is True
    assert (data["currency"], data["min_subtotal"]) == ("USD", "0.00")
    assert (data["usage_limit"], data["per_user_limit"]) == (None, None)
    assert (data["valid_from"], data["valid_until"]) == (None, None)


@pytest.mark.parametrize("code", ["SPRING-10", "Spring-10"])
def test_a_code_taken_in_any_case_is_a_400_on_code(staff_client, code):
    CouponFactory(code="SPRING-10")

    response = staff_client.post(URL, {**BODY, "code": code})

    body = assert_field_errors(response, "code")
    assert "already exists" in body["errors"]["code"][0]
    assert Coupon.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"value": "0"}, "value"),
        ({"value": "-1"}, "value"),
        ({"value": "1.005"}, "value"),
        ({"value": "100.01"}, "value"),
        ({"value": "ten"}, "value"),
        ({"kind": "bogo"}, "kind"),
        ({"code": ""}, "code"),
        ({"code": "has space"}, "code"),
        ({"code": "x" * 65}, "code"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "US"}, "currency"),
        ({"min_subtotal": "-0.01"}, "min_subtotal"),
        ({"usage_limit": 0}, "usage_limit"),
        ({"per_user_limit": -1}, "per_user_limit"),
        (
            {"valid_from": "2030-04-01T00:00:00Z", "valid_until": "2030-03-01T00:00:00Z"},
            "valid_until",
        ),
        ({"valid_from": "not a date"}, "valid_from"),
    ],
)
def test_invalid_fields_are_400_field_errors(staff_client, changes, field):
    response = staff_client.post(URL, {**BODY, **changes})

    assert_field_errors(response, field)
    assert Coupon.objects.count() == 0


def test_a_fixed_coupon_may_exceed_100(staff_client):
    response = staff_client.post(URL, {**BODY, "kind": "fixed", "value": "250.00"})

    assert response.status_code == 201, response.content
    assert response.json()["value"] == "250.00"


# --- read ---------------------------------------------------------------------------------


def test_staff_list_filters_by_active_and_kind_and_searches_by_code(staff_client):
    CouponFactory(code="SPRING-10")
    CouponFactory(code="SPRING-FIXED", fixed=True)
    CouponFactory(code="WINTER", is_active=False)

    def codes(**params):
        response = staff_client.get(URL, params)
        assert response.status_code == 200, response.content
        return sorted(item["code"] for item in response.json()["results"])

    assert codes() == ["SPRING-10", "SPRING-FIXED", "WINTER"]
    assert codes(is_active="false") == ["WINTER"]
    assert codes(kind="fixed") == ["SPRING-FIXED"]
    assert codes(search="spring") == ["SPRING-10", "SPRING-FIXED"]
    assert codes(search="spring", kind="percent", is_active="true") == ["SPRING-10"]


@pytest.mark.parametrize("params", [{"is_active": "maybe"}, {"kind": "bogo"}])
def test_malformed_filters_are_400(staff_client, params):
    assert staff_client.get(URL, params).status_code == 400


@pytest.mark.parametrize("count", [1, 15])
def test_listing_takes_the_same_queries_whatever_the_page_size(
    staff_client, django_assert_max_num_queries, count
):
    CouponFactory.create_batch(count)

    # JWT user, count, page.
    with django_assert_max_num_queries(3):
        response = staff_client.get(URL)

    assert response.json()["count"] == count


def test_staff_read_one_coupon_and_an_unknown_id_is_404(staff_client):
    coupon = CouponFactory(code="ONE")

    assert staff_client.get(detail_url(coupon)).json()["code"] == "ONE"
    assert staff_client.get(f"{URL}00000000-0000-0000-0000-000000000000/").status_code == 404
    assert staff_client.get(f"{URL}not-a-uuid/").status_code == 404


# --- update -------------------------------------------------------------------------------


def test_staff_patch_changes_only_what_is_sent(staff_client):
    coupon = CouponFactory(code="KEEP", value=Decimal("10"), usage_limit=10)

    response = staff_client.patch(detail_url(coupon), {"is_active": False, "code": "keep-2"})

    assert response.status_code == 200, response.content
    coupon.refresh_from_db()
    assert (coupon.code, coupon.is_active) == ("KEEP-2", False)
    assert (coupon.value, coupon.usage_limit) == (Decimal("10.00"), 10)


def test_put_replaces_the_settings(staff_client):
    coupon = CouponFactory(usage_limit=10, min_subtotal=Decimal("20"))

    response = staff_client.put(detail_url(coupon), {**BODY, "code": "NEW", "value": "15"})

    assert response.status_code == 200, response.content
    coupon.refresh_from_db()
    assert (coupon.code, coupon.value) == ("NEW", Decimal("15.00"))
    assert (coupon.usage_limit, coupon.min_subtotal) == (None, Decimal("0.00"))


def test_patching_percent_above_100_is_checked_against_the_stored_kind(staff_client):
    coupon = CouponFactory(kind="percent")

    assert_field_errors(staff_client.patch(detail_url(coupon), {"value": "150"}), "value")
    response = staff_client.patch(detail_url(coupon), {"value": "150", "kind": "fixed"})
    assert response.status_code == 200, response.content


def test_patching_the_window_backwards_is_a_400(staff_client):
    coupon = CouponFactory(valid_from="2030-03-01T00:00:00Z")

    response = staff_client.patch(detail_url(coupon), {"valid_until": "2030-02-01T00:00:00Z"})

    assert_field_errors(response, "valid_until")


def test_the_usage_limit_cannot_drop_below_the_uses_so_far(staff_client):
    coupon = CouponFactory(usage_limit=10, times_used=4)

    response = staff_client.patch(detail_url(coupon), {"usage_limit": 3})

    body = assert_field_errors(response, "usage_limit")
    assert "4" in body["errors"]["usage_limit"][0]


def test_times_used_cannot_be_written(staff_client):
    coupon = CouponFactory(times_used=2, usage_limit=5)

    response = staff_client.patch(detail_url(coupon), {"times_used": 0})

    assert response.status_code == 200
    coupon.refresh_from_db()
    assert coupon.times_used == 2


def test_renaming_to_a_code_taken_in_another_case_is_a_400(staff_client):
    CouponFactory(code="TAKEN")
    coupon = CouponFactory(code="MINE")

    assert_field_errors(staff_client.patch(detail_url(coupon), {"code": "taken"}), "code")


# --- delete -------------------------------------------------------------------------------


def test_staff_delete_an_unused_coupon(staff_client):
    coupon = CouponFactory()

    response = staff_client.delete(detail_url(coupon))

    assert response.status_code == 204
    assert not Coupon.objects.exists()


def test_deleting_a_used_coupon_is_a_409_and_keeps_it(staff_client):
    redemption = CouponRedemptionFactory()

    response = staff_client.delete(detail_url(redemption.coupon))

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert "deactivate" in body["detail"]
    assert Coupon.objects.filter(pk=redemption.coupon_id).exists()
