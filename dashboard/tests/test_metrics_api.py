from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from dashboard.selectors import SELLER_CONVERSION_EXPLANATION
from dashboard.tests.helpers import (
    AFTER_WINDOW,
    BEFORE_WINDOW,
    IN_WINDOW,
    MARCH,
    carts,
    metrics,
    pay,
    place,
)
from orders.models import OrderStatus
from payments.models import PaymentStatus

pytestmark = pytest.mark.django_db

URL = "/api/v1/dashboard/metrics/"
ALL_STATUSES = {"pending", "paid", "shipped", "delivered", "cancelled"}


# --- revenue --------------------------------------------------------------------------


def test_revenue_sums_paid_shipped_and_delivered_orders_of_the_window(staff_client):
    product = ProductFactory()
    place(lines=[(product, 1, "10.00")], status=OrderStatus.PAID)
    place(lines=[(product, 2, "10.00")], status=OrderStatus.SHIPPED)
    place(lines=[(product, 3, "10.00")], status=OrderStatus.DELIVERED)
    place(lines=[(product, 4, "10.00")], status=OrderStatus.PENDING)
    place(lines=[(product, 5, "10.00")], status=OrderStatus.CANCELLED)
    place(lines=[(product, 6, "10.00")], at=BEFORE_WINDOW)
    place(lines=[(product, 7, "10.00")], at=AFTER_WINDOW)

    data = metrics(staff_client, **MARCH)

    assert data["scope"] == "all"
    assert data["revenue"] == {
        "USD": {"orders": 3, "gross": "60.00", "refunds": "0.00", "net": "60.00"}
    }


def test_revenue_subtracts_refunds_and_counts_orders_after_their_discount(staff_client):
    product = ProductFactory()
    place(lines=[(product, 1, "50.00")], discount="5.00")  # total 45.00
    place(
        lines=[(product, 2, "20.00")],
        payment=PaymentStatus.PARTIALLY_REFUNDED,
        refunded="15.50",
    )
    # A paid order cancelled and refunded in full is no revenue, and its refund is not
    # subtracted a second time.
    place(
        lines=[(product, 1, "99.00")],
        status=OrderStatus.CANCELLED,
        payment=PaymentStatus.REFUNDED,
        refunded="99.00",
    )

    revenue = metrics(staff_client, **MARCH)["revenue"]["USD"]

    assert revenue == {"orders": 2, "gross": "85.00", "refunds": "15.50", "net": "69.50"}


def test_revenue_is_reported_per_currency_and_never_added_across(staff_client):
    product = ProductFactory()
    place(lines=[(product, 1, "10.00")], currency="USD")
    place(lines=[(product, 1, "30.00")], currency="USD")
    place(lines=[(product, 2, "7.25")], currency="EUR", refunded="1.00")

    data = metrics(staff_client, **MARCH)

    assert data["revenue"] == {
        "EUR": {"orders": 1, "gross": "14.50", "refunds": "1.00", "net": "13.50"},
        "USD": {"orders": 2, "gross": "40.00", "refunds": "0.00", "net": "40.00"},
    }
    assert data["average_order_value"] == {"EUR": "14.50", "USD": "20.00"}
    assert any("currenc" in note for note in data["notes"])


def test_average_order_value_is_gross_revenue_over_its_orders(staff_client):
    product = ProductFactory()
    place(lines=[(product, 1, "10.00")])
    place(lines=[(product, 1, "10.00")])
    place(lines=[(product, 1, "10.01")])
    place(lines=[(product, 1, "500.00")], status=OrderStatus.CANCELLED)

    assert metrics(staff_client, **MARCH)["average_order_value"] == {"USD": "10.00"}


# --- orders and rates -----------------------------------------------------------------


def test_orders_by_status_counts_every_status_of_the_window_with_zeros(staff_client):
    product = ProductFactory()
    place(lines=[(product, 1, "10.00")], status=OrderStatus.PENDING)
    place(lines=[(product, 1, "10.00")], status=OrderStatus.PENDING)
    place(lines=[(product, 1, "10.00")], status=OrderStatus.DELIVERED)
    place(lines=[(product, 1, "10.00")], status=OrderStatus.CANCELLED, at=BEFORE_WINDOW)

    by_status = metrics(staff_client, **MARCH)["orders_by_status"]

    assert by_status == {"pending": 2, "paid": 0, "shipped": 0, "delivered": 1, "cancelled": 0}


def test_order_completion_rate_is_delivered_over_orders_past_pending(staff_client):
    product = ProductFactory()
    for status in [OrderStatus.DELIVERED] * 2 + [OrderStatus.PAID, OrderStatus.SHIPPED]:
        place(lines=[(product, 1, "10.00")], status=status)
    place(lines=[(product, 1, "10.00")], status=OrderStatus.CANCELLED)
    place(lines=[(product, 1, "10.00")], status=OrderStatus.CANCELLED)
    place(lines=[(product, 1, "10.00")], status=OrderStatus.PENDING)  # not counted
    place(lines=[(product, 1, "10.00")], status=OrderStatus.DELIVERED, at=BEFORE_WINDOW)

    assert metrics(staff_client, **MARCH)["order_completion_rate"] == "0.3333"  # 2 / 6


def test_payment_success_rate_counts_refunded_as_succeeded_and_skips_pending(staff_client):
    product = ProductFactory()
    place(lines=[(product, 1, "10.00")], payment=PaymentStatus.SUCCEEDED)
    place(lines=[(product, 1, "10.00")], payment=PaymentStatus.REFUNDED, refunded="10.00")
    place(lines=[(product, 1, "10.00")], payment=PaymentStatus.PARTIALLY_REFUNDED)
    for _ in range(3):
        place(
            lines=[(product, 1, "10.00")], status=OrderStatus.PENDING, payment=PaymentStatus.FAILED
        )
    place(lines=[(product, 1, "10.00")], status=OrderStatus.PENDING, payment=PaymentStatus.PENDING)
    old = place(lines=[(product, 1, "10.00")], status=OrderStatus.PENDING, payment=None)
    pay(old, status=PaymentStatus.FAILED, at=BEFORE_WINDOW)

    data = metrics(staff_client, **MARCH)

    assert data["payments"] == {"successful": 3, "final": 6}
    assert data["payment_success_rate"] == "0.5000"


def test_cart_to_order_conversion_is_orders_over_carts_created_in_the_window(staff_client):
    product = ProductFactory()
    for status in (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.CANCELLED):
        place(lines=[(product, 1, "10.00")], status=status)
    carts(8)
    carts(5, at=BEFORE_WINDOW)

    conversion = metrics(staff_client, **MARCH)["cart_to_order_conversion"]

    assert conversion == {"rate": "0.3750", "orders": 3, "carts": 8, "explanation": ""}


def test_rates_are_null_when_there_is_nothing_to_divide_by(staff_client):
    place(lines=[(ProductFactory(), 1, "10.00")], status=OrderStatus.PENDING, payment=None)

    data = metrics(staff_client, **MARCH)

    assert data["order_completion_rate"] is None
    assert data["payment_success_rate"] is None
    assert data["cart_to_order_conversion"]["rate"] is None
    # No sales: zero figures in the default currency, so a dashboard still has numbers.
    assert data["revenue"] == {
        "USD": {"orders": 0, "gross": "0.00", "refunds": "0.00", "net": "0.00"}
    }
    assert data["average_order_value"] == {"USD": "0.00"}


# --- top products ---------------------------------------------------------------------


def test_top_products_rank_by_units_and_by_revenue(staff_client):
    cheap, dear, other = ProductFactory(name="Cheap"), ProductFactory(name="Dear"), ProductFactory()
    place(lines=[(cheap, 5, "2.00"), (dear, 1, "100.00")])
    place(lines=[(cheap, 3, "2.00"), (dear, 1, "100.00"), (other, 2, "10.00")])
    place(lines=[(other, 50, "10.00")], status=OrderStatus.CANCELLED)  # not sold
    place(lines=[(other, 50, "10.00")], at=BEFORE_WINDOW)

    top = metrics(staff_client, **MARCH)["top_products"]

    assert [(row["name"], row["units"], row["revenue"]) for row in top["by_units"]] == [
        ("Cheap", 8, "16.00"),
        ("Dear", 2, "200.00"),  # a tie on units goes to the higher revenue
        (other.name, 2, "20.00"),
    ]
    assert [row["name"] for row in top["by_revenue"]] == ["Dear", other.name, "Cheap"]
    assert top["by_units"][0]["product_id"] == str(cheap.pk)
    assert top["by_units"][0]["currency"] == "USD"


def test_top_products_keep_a_deleted_product_under_its_snapshot_name(staff_client):
    gone = ProductFactory(name="Discontinued Balm")
    place(lines=[(gone, 4, "5.00")])
    Product.objects.filter(pk=gone.pk).delete()  # for good: the items keep their snapshot

    by_units = metrics(staff_client, **MARCH)["top_products"]["by_units"]

    assert by_units == [
        {
            "product_id": None,
            "name": "Discontinued Balm",
            "currency": "USD",
            "units": 4,
            "revenue": "20.00",
        }
    ]


def test_top_products_by_revenue_ranks_within_each_currency(staff_client):
    products = [ProductFactory(name=f"P{i}") for i in range(4)]
    place(lines=[(products[0], 1, "1000.00"), (products[1], 1, "900.00")], currency="USD")
    place(lines=[(products[2], 1, "5.00"), (products[3], 1, "4.00")], currency="EUR")

    by_revenue = metrics(staff_client, top=1, **MARCH)["top_products"]["by_revenue"]

    assert [(row["currency"], row["name"]) for row in by_revenue] == [
        ("EUR", "P2"),
        ("USD", "P0"),
    ]


def test_top_parameter_limits_the_lists(staff_client):
    for i in range(5):
        place(lines=[(ProductFactory(), i + 1, "1.00")])

    top = metrics(staff_client, top=2, **MARCH)["top_products"]

    assert [row["units"] for row in top["by_units"]] == [5, 4]
    assert len(top["by_revenue"]) == 2


# --- low stock ------------------------------------------------------------------------


def test_low_stock_lists_active_products_at_or_below_the_threshold_fewest_first(
    staff_client, settings
):
    settings.LOW_STOCK_THRESHOLD = 3
    ProductFactory(name="Three", stock_quantity=3)
    ProductFactory(name="None left", stock_quantity=0)
    ProductFactory(name="Plenty", stock_quantity=4)
    ProductFactory(name="Inactive", stock_quantity=0, is_active=False)
    ProductFactory(name="Deleted", stock_quantity=0, is_deleted=True)

    low = metrics(staff_client, **MARCH)["low_stock"]

    assert low["threshold"] == 3
    assert [(p["name"], p["stock_quantity"]) for p in low["products"]] == [
        ("None left", 0),
        ("Three", 3),
    ]
    wider = metrics(staff_client, low_stock=10, **MARCH)["low_stock"]["products"]
    assert [p["name"] for p in wider] == ["None left", "Three", "Plenty"]


def test_low_stock_lists_at_most_fifty_products(staff_client):
    for i in range(55):
        ProductFactory(stock_quantity=i % 3)

    assert len(metrics(staff_client)["low_stock"]["products"]) == 50


# --- sellers --------------------------------------------------------------------------


def test_a_seller_sees_the_same_figures_for_their_own_products_only(seller, seller_client):
    mine, also_mine = ProductFactory(created_by=seller), ProductFactory(created_by=seller)
    theirs = ProductFactory(name="Theirs")
    ProductFactory(created_by=seller, name="My low one", stock_quantity=1)
    ProductFactory(name="Their low one", stock_quantity=1)
    # A shared order: only my lines are my revenue; its refund is not attributed to me.
    place(
        lines=[(mine, 2, "10.00"), (also_mine, 1, "5.00"), (theirs, 1, "100.00")],
        payment=PaymentStatus.PARTIALLY_REFUNDED,
        refunded="50.00",
    )
    place(lines=[(mine, 1, "10.00")], currency="EUR", status=OrderStatus.SHIPPED)
    place(lines=[(mine, 1, "10.00")], status=OrderStatus.PENDING, payment=PaymentStatus.FAILED)
    place(lines=[(theirs, 9, "10.00")], status=OrderStatus.CANCELLED)
    place(lines=[(theirs, 9, "10.00")])
    carts(4)

    data = metrics(seller_client, **MARCH)

    assert data["scope"] == "seller"
    assert data["revenue"] == {
        "EUR": {"orders": 1, "gross": "10.00", "refunds": None, "net": "10.00"},
        "USD": {"orders": 1, "gross": "25.00", "refunds": None, "net": "25.00"},
    }
    assert data["orders_by_status"] == {
        "pending": 1,
        "paid": 0,
        "shipped": 1,
        "delivered": 1,
        "cancelled": 0,
    }
    assert data["order_completion_rate"] == "0.5000"
    assert data["payments"] == {"successful": 2, "final": 3}
    assert data["cart_to_order_conversion"] == {
        "rate": None,
        "orders": 3,
        "carts": None,
        "explanation": SELLER_CONVERSION_EXPLANATION,
    }
    names = {row["name"] for row in data["top_products"]["by_units"]}
    assert names == {mine.name, also_mine.name}
    assert "Theirs" not in {row["name"] for row in data["top_products"]["by_revenue"]}
    assert [p["name"] for p in data["low_stock"]["products"]] == ["My low one"]


def test_staff_who_also_sell_see_the_whole_store(client_for):
    staff_seller = UserFactory(is_staff=True, is_seller=True)
    place(lines=[(ProductFactory(), 1, "10.00")])

    data = metrics(client_for(staff_seller), **MARCH)

    assert data["scope"] == "all"
    assert data["revenue"]["USD"]["gross"] == "10.00"


# --- permissions ----------------------------------------------------------------------


@pytest.mark.parametrize("url", [URL, URL + "export/"])
def test_anonymous_callers_must_authenticate(api_client, url):
    response = api_client.get(url)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("url", [URL, URL + "export/"])
def test_customers_may_not_see_metrics(user_client, url):
    response = user_client.get(url)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_metrics_are_read_only(staff_client, method):
    response = getattr(staff_client, method)(URL)

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- the window and the parameters ----------------------------------------------------


def test_dates_are_inclusive_and_datetimes_bound_exactly(staff_client):
    product = ProductFactory()
    place(lines=[(product, 1, "10.00")], at=IN_WINDOW.replace(day=31, hour=23, minute=30))
    place(lines=[(product, 1, "20.00")], at=IN_WINDOW.replace(day=1, hour=0, minute=0))

    whole_month = metrics(staff_client, **MARCH)
    to_datetime = metrics(staff_client, **{"from": "2026-03-01", "to": "2026-03-31T23:00:00Z"})
    from_datetime = metrics(staff_client, **{"from": "2026-03-01T00:00:01Z", "to": "2026-03-31"})

    assert whole_month["revenue"]["USD"]["gross"] == "30.00"
    assert whole_month["window"] == {
        "from": "2026-03-01T00:00:00Z",
        "to": "2026-04-01T00:00:00Z",
        "days": "31.00",
    }
    assert to_datetime["revenue"]["USD"]["gross"] == "20.00"
    assert from_datetime["revenue"]["USD"]["gross"] == "10.00"


def test_the_default_window_is_the_last_30_days(staff_client):
    product = ProductFactory()
    now = timezone.now()
    place(lines=[(product, 1, "10.00")], at=now - timedelta(days=5))
    place(lines=[(product, 1, "10.00")], at=now - timedelta(minutes=1))
    place(lines=[(product, 1, "99.00")], at=now - timedelta(days=31))

    data = metrics(staff_client)

    assert data["revenue"]["USD"]["gross"] == "20.00"
    assert data["window"]["days"] == "30.00"
    assert data["window"]["to"].startswith((timezone.localdate() + timedelta(days=1)).isoformat())


def test_a_window_of_a_whole_leap_year_is_accepted(staff_client):
    assert (
        metrics(staff_client, **{"from": "2024-01-01", "to": "2024-12-31"})["window"]["days"]
        == "366.00"
    )


def test_empty_parameters_count_as_not_given(staff_client):
    data = metrics(staff_client, **{"from": "", "to": "", "top": ""})

    assert data["window"]["days"] == "30.00"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "2026-03-01T25:00:00Z"}, "to"),
        ({"from": "2026-03-10", "to": "2026-03-09"}, "to"),
        ({"from": "2026-03-10T12:00:00Z", "to": "2026-03-10T12:00:00Z"}, "to"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "from"),
        ({"from": "1900-01-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),  # its next day does not exist
        ({"to": "0001-01-05"}, "to"),  # nor do 30 days before it
        ({"top": "0"}, "top"),
        ({"top": "51"}, "top"),
        ({"top": "ten"}, "top"),
        ({"low_stock": "-1"}, "low_stock"),
        ({"low_stock": "99999999999999999999"}, "low_stock"),
        ({"from": "2026-03-01\x00"}, "from"),
    ],
)
def test_bad_parameters_are_a_validation_error(staff_client, params, field):
    response = staff_client.get(URL, params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["errors"]


# --- shape and query budget -----------------------------------------------------------


def test_money_and_rates_are_decimal_strings(staff_client):
    place(lines=[(ProductFactory(), 3, "3.33")])

    data = metrics(staff_client, **MARCH)

    assert data["revenue"]["USD"]["gross"] == "9.99"
    assert data["top_products"]["by_revenue"][0]["revenue"] == "9.99"
    assert data["order_completion_rate"] == "1.0000"


def _history(size: int, seller):
    """`size` orders of every status in two currencies, half of them with a seller's
    product, plus carts."""
    mine = ProductFactory(created_by=seller, stock_quantity=1)
    theirs = ProductFactory(stock_quantity=0)
    statuses = list(OrderStatus.values)
    for i in range(size):
        lines = [(theirs, 1, "5.00")] + ([(mine, 2, "3.00")] if i % 2 else [])
        place(lines=lines, status=statuses[i % 5], currency="EUR" if i % 3 else "USD")
    carts(size)


def test_the_query_count_does_not_grow_with_the_data(
    staff_client, seller, seller_client, django_assert_max_num_queries
):
    _history(2, seller)
    with django_assert_max_num_queries(14) as small_staff:
        metrics(staff_client, **MARCH)
    with django_assert_max_num_queries(14) as small_seller:
        metrics(seller_client, **MARCH)

    _history(25, seller)

    with django_assert_max_num_queries(len(small_staff.captured_queries)):
        metrics(staff_client, **MARCH)
    with django_assert_max_num_queries(len(small_seller.captured_queries)):
        metrics(seller_client, **MARCH)


def test_a_sellers_window_without_sales_shows_zero_revenue_in_the_default_currency(
    seller_client, settings
):
    settings.DEFAULT_CURRENCY = "EUR"

    data = metrics(seller_client, **MARCH)

    assert data["revenue"] == {
        "EUR": {"orders": 0, "gross": "0.00", "refunds": None, "net": "0.00"}
    }
    assert data["average_order_value"] == {"EUR": "0.00"}
