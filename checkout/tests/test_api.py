"""Orders API: listing, detail, isolation, filters and the status actions."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from checkout.services import order_place
from orders.models import Order, OrderStatus
from orders.services import order_mark_paid
from orders.tests.factories import ADDRESS, OrderFactory, OrderItemFactory, fill_cart, stock_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"


def detail(order, action=""):
    return f"{URL}{order.pk}/{action + '/' if action else ''}"


def placed_order(user, *, lines: dict):
    """A real checkout of {product: quantity} lines (stock deducted)."""
    fill_cart(user, lines)
    return order_place(user=user, shipping_address=ADDRESS)


# --- list and detail ------------------------------------------------------------------


def test_a_customer_lists_only_their_own_orders_newest_first(user, user_client):
    older = OrderFactory(user=user)
    newer = OrderFactory(user=user)
    Order.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    OrderFactory()  # someone else's

    response = user_client.get(URL)

    assert response.status_code == 200
    assert response.data["count"] == 2
    assert [o["id"] for o in response.data["results"]] == [str(newer.pk), str(older.pk)]
    assert {"count", "next", "previous", "results"} <= set(response.data)


def test_staff_list_every_order(staff_client, user):
    OrderFactory(user=user)
    OrderFactory()

    response = staff_client.get(URL)

    assert response.data["count"] == 2


def test_the_order_list_costs_the_same_queries_whatever_the_page_and_item_count(
    user, user_client, django_assert_max_num_queries
):
    OrderItemFactory(order=OrderFactory(user=user))
    with django_assert_max_num_queries(4) as small:
        user_client.get(URL)
    for _ in range(15):
        order = OrderFactory(user=user)
        OrderItemFactory.create_batch(3, order=order)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = user_client.get(URL, {"page_size": 50})

    assert response.data["count"] == 16
    assert sum(len(o["items"]) for o in response.data["results"]) == 46


def test_the_detail_shows_the_items(user, user_client):
    item = OrderItemFactory(order__user=user, quantity=2, unit_price=Decimal("4.50"))

    response = user_client.get(detail(item.order))

    assert response.status_code == 200
    assert response.data["items"] == [
        {
            "id": str(item.pk),
            "product_id": str(item.product_id),
            "product_name": item.product_name,
            "product_slug": item.product_slug,
            "unit_price": "4.50",
            "quantity": 2,
            "line_total": "9.00",
        }
    ]


def test_another_users_order_is_404(user_client):
    foreign = OrderFactory(status=OrderStatus.PAID)

    assert user_client.get(detail(foreign)).status_code == 404
    for action in ("cancel", "ship", "deliver"):
        response = user_client.post(
            detail(foreign, action), {"tracking_number": "1", "carrier": "X"}
        )
        assert response.status_code == 404, action
        assert response.data["code"] == "not_found"
    foreign.refresh_from_db()
    assert foreign.status == OrderStatus.PAID


def test_staff_see_any_order(staff_client):
    assert staff_client.get(detail(OrderFactory())).status_code == 200


def test_a_malformed_order_id_is_404(user_client):
    assert user_client.get(f"{URL}not-a-uuid/").status_code == 404


def test_orders_need_authentication(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.data["code"] == "not_authenticated"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_orders_cannot_be_edited_or_deleted(staff_client, method):
    order = OrderFactory()

    response = getattr(staff_client, method)(detail(order), {"total": "0.01"})

    assert response.status_code == 405
    order.refresh_from_db()
    assert order.total == Decimal("19.99")


# --- staff filters --------------------------------------------------------------------


def test_staff_filter_by_status_and_user(staff_client, user):
    mine_paid = OrderFactory(user=user, status=OrderStatus.PAID)
    OrderFactory(user=user)
    OrderFactory(status=OrderStatus.PAID)

    by_both = staff_client.get(URL, {"status": "paid", "user": str(user.pk)})
    by_status = staff_client.get(URL, {"status": "paid"})

    assert [o["id"] for o in by_both.data["results"]] == [str(mine_paid.pk)]
    assert by_status.data["count"] == 2


def test_staff_filter_by_creation_date_and_datetime(staff_client):
    now = timezone.now()
    old, mid, new = OrderFactory(), OrderFactory(), OrderFactory()
    for order, age in ((old, 10), (mid, 5), (new, 0)):
        Order.objects.filter(pk=order.pk).update(created_at=now - timedelta(days=age))

    def ids(**params):
        return {o["id"] for o in staff_client.get(URL, params).data["results"]}

    assert ids(created_after=(now - timedelta(days=6)).date().isoformat()) == {
        str(mid.pk),
        str(new.pk),
    }
    # A date bound includes that whole day.
    assert ids(created_before=(now - timedelta(days=5)).date().isoformat()) == {
        str(old.pk),
        str(mid.pk),
    }
    assert ids(
        created_after=(now - timedelta(days=7)).isoformat(),
        created_before=(now - timedelta(days=1)).isoformat(),
    ) == {str(mid.pk)}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lost"},
        {"user": "not-a-uuid"},
        {"created_after": "yesterday"},
        {"created_before": "2026-13-45"},
    ],
)
def test_a_bad_filter_value_is_400(staff_client, params):
    response = staff_client.get(URL, params)

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert set(response.data["errors"]) == set(params)


def test_a_customer_filtering_by_another_user_sees_nothing_of_theirs(user_client):
    other = OrderFactory()

    response = user_client.get(URL, {"user": str(other.user_id)})

    assert response.data["count"] == 0


# --- cancel ---------------------------------------------------------------------------


def test_the_owner_cancels_a_pending_order_and_gets_the_stock_back(user, user_client):
    product = ProductFactory(stock_quantity=7)
    order = placed_order(user, lines={product: 3})
    assert stock_of(product) == 4

    response = user_client.post(detail(order, "cancel"), {"reason": "Changed my mind"})

    assert response.status_code == 200, response.data
    assert response.data["status"] == "cancelled"
    assert response.data["cancel_reason"] == "Changed my mind"
    assert response.data["cancelled_at"] is not None
    assert stock_of(product) == 7


def test_staff_cancel_any_order_without_a_reason(staff_client):
    order = OrderFactory(status=OrderStatus.PAID)

    response = staff_client.post(detail(order, "cancel"))

    assert response.status_code == 200
    assert response.data["status"] == "cancelled"


@pytest.mark.parametrize(
    "current", [OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED]
)
def test_cancelling_an_order_past_payment_is_409(user, user_client, current):
    order = OrderFactory(user=user, status=current)

    response = user_client.post(detail(order, "cancel"))

    assert response.status_code == 409
    assert response.data["code"] == "invalid_transition"
    order.refresh_from_db()
    assert order.status == current


def test_a_too_long_cancel_reason_is_400(user, user_client):
    order = OrderFactory(user=user)

    response = user_client.post(detail(order, "cancel"), {"reason": "x" * 256})

    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


# --- ship and deliver -----------------------------------------------------------------


def test_staff_ship_a_paid_order_with_tracking_and_carrier(staff_client):
    order = OrderFactory(status=OrderStatus.PAID)

    response = staff_client.post(
        detail(order, "ship"), {"tracking_number": "1Z999", "carrier": "UPS"}
    )

    assert response.status_code == 200, response.data
    assert response.data["status"] == "shipped"
    assert (response.data["tracking_number"], response.data["carrier"]) == ("1Z999", "UPS")
    assert response.data["shipped_at"] is not None


@pytest.mark.parametrize(
    ("payload", "missing"),
    [
        ({}, {"tracking_number", "carrier"}),
        ({"tracking_number": "1Z999"}, {"carrier"}),
        ({"carrier": "UPS", "tracking_number": "  "}, {"tracking_number"}),
    ],
)
def test_shipping_needs_tracking_number_and_carrier(staff_client, payload, missing):
    order = OrderFactory(status=OrderStatus.PAID)

    response = staff_client.post(detail(order, "ship"), payload)

    assert response.status_code == 400
    assert set(response.data["errors"]) == missing
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


@pytest.mark.parametrize(
    "current", [OrderStatus.PENDING, OrderStatus.SHIPPED, OrderStatus.CANCELLED]
)
def test_shipping_an_order_that_is_not_paid_is_409(staff_client, current):
    order = OrderFactory(status=current)

    response = staff_client.post(detail(order, "ship"), {"tracking_number": "1", "carrier": "X"})

    assert response.status_code == 409
    assert response.data["code"] == "invalid_transition"


def test_staff_deliver_a_shipped_order(staff_client):
    order = OrderFactory(status=OrderStatus.SHIPPED)

    response = staff_client.post(detail(order, "deliver"))

    assert response.status_code == 200
    assert response.data["status"] == "delivered"
    assert response.data["delivered_at"] is not None


@pytest.mark.parametrize("current", [OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.DELIVERED])
def test_delivering_an_order_that_is_not_shipped_is_409(staff_client, current):
    order = OrderFactory(status=current)

    response = staff_client.post(detail(order, "deliver"))

    assert response.status_code == 409
    assert response.data["code"] == "invalid_transition"


@pytest.mark.parametrize(
    ("action", "current"), [("ship", OrderStatus.PAID), ("deliver", OrderStatus.SHIPPED)]
)
def test_a_customer_cannot_ship_or_deliver_their_own_order(user, user_client, action, current):
    order = OrderFactory(user=user, status=current)

    response = user_client.post(detail(order, action), {"tracking_number": "1", "carrier": "X"})

    assert response.status_code == 403
    assert response.data["code"] == "permission_denied"
    order.refresh_from_db()
    assert order.status == current


def test_a_seller_is_not_staff_for_orders(seller, seller_client):
    order = OrderFactory(user=seller, status=OrderStatus.PAID)

    response = seller_client.post(detail(order, "ship"), {"tracking_number": "1", "carrier": "X"})

    assert response.status_code == 403


def test_the_full_lifecycle_through_the_api(user, user_client, staff_client):
    product = ProductFactory(stock_quantity=2)
    fill_cart(user, {product: 2})
    order_id = user_client.post(URL, {"shipping_address": {**ADDRESS}}).data["id"]
    order = Order.objects.get(pk=order_id)

    order_mark_paid(order=order)
    shipped = staff_client.post(detail(order, "ship"), {"tracking_number": "T", "carrier": "C"})
    delivered = staff_client.post(detail(order, "deliver"))
    late_cancel = user_client.post(detail(order, "cancel"))

    assert shipped.data["status"] == "shipped"
    assert delivered.data["status"] == "delivered"
    assert late_cancel.status_code == 409
    assert stock_of(product) == 0


@pytest.mark.parametrize(
    "params",
    [
        {"created_after": "2026-01-01T00:00:00+20:00"},
        {"created_after": "2026-01-01T00:00:00-15:00"},
        {"created_before": "9999-12-31"},
        {"created_after": "0001-01-01T00:00:00+01:00"},
        {"created_before": "9999-12-31T23:59:59-01:00"},
    ],
)
def test_a_date_filter_with_an_impossible_offset_or_year_is_400(staff_client, params):
    response = staff_client.get(URL, params)

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert set(response.data["errors"]) == set(params)


def test_a_date_filter_with_a_real_offset_is_read_in_utc(staff_client):
    order = OrderFactory()
    Order.objects.filter(pk=order.pk).update(created_at=datetime(2026, 1, 1, 10, 0, tzinfo=UTC))

    # 23:30+14:00 is 09:30 UTC, half an hour before the order; 23:59+14:00 is 09:59 UTC.
    after = staff_client.get(URL, {"created_after": "2026-01-01T23:30:00+14:00"})
    before = staff_client.get(URL, {"created_before": "2026-01-01T23:59:00+14:00"})

    assert [o["id"] for o in after.data["results"]] == [str(order.pk)]
    assert before.data["results"] == []


def test_orders_can_be_ordered_by_total_and_date(staff_client):
    cheap = OrderFactory(subtotal=Decimal("5.00"))
    dear = OrderFactory(subtotal=Decimal("50.00"))

    by_total = staff_client.get(URL, {"ordering": "-total"})
    oldest_first = staff_client.get(URL, {"ordering": "created_at"})

    assert [o["id"] for o in by_total.data["results"]] == [str(dear.pk), str(cheap.pk)]
    assert [o["id"] for o in oldest_first.data["results"]] == [str(cheap.pk), str(dear.pk)]


@pytest.mark.parametrize("ordering", ["email", "-user__password", "total,bogus", "--total"])
def test_an_unknown_ordering_on_orders_is_400(staff_client, ordering):
    OrderFactory()

    response = staff_client.get(URL, {"ordering": ordering})

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert list(response.data["errors"]) == ["ordering"]
