"""Product promotions: PUT|DELETE products/{id}/discount/, and the discounted price in the
list, the detail, carts and checkout; orders keep the price they were placed at."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cart.tests.factories import CartFactory, CartItemFactory
from catalog.models import Product
from catalog.services import product_set_discount
from catalog.tests.factories import CategoryFactory, ProductFactory
from catalog.tests.helpers import PRODUCTS, assert_validation_error, product_url
from orders.models import OrderItem
from orders.tests.factories import ADDRESS

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
CHECKOUT = {"shipping_address": {k: v for k, v in ADDRESS.items() if v}}


def discount_url(product) -> str:
    return f"{product_url(product)}discount/"


def later(**delta) -> str:
    return (timezone.now() + timedelta(**delta)).isoformat()


@pytest.fixture
def own_product(seller):
    return ProductFactory(created_by=seller, price=Decimal("40.00"), stock_quantity=10)


# --- setting and removing ------------------------------------------------------------------


def test_a_seller_puts_a_scheduled_discount_on_their_product(seller_client, own_product):
    starts, ends = "2030-05-01T00:00:00Z", "2030-05-08T00:00:00Z"

    response = seller_client.put(
        discount_url(own_product),
        {"discount_percent": "25", "starts_at": starts, "ends_at": ends},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["discount_percent"] == "25.00"
    assert body["discount_starts_at"] is not None and body["discount_ends_at"] is not None
    assert body["effective_price"] == "40.00"  # not started yet
    own_product.refresh_from_db()
    assert own_product.discount_percent == Decimal("25.00")
    assert own_product.discount_starts_at.isoformat() == "2030-05-01T00:00:00+00:00"
    assert own_product.discount_ends_at.isoformat() == "2030-05-08T00:00:00+00:00"


def test_a_discount_without_dates_runs_at_once_and_until_removed(seller_client, own_product):
    response = seller_client.put(discount_url(own_product), {"discount_percent": "12.5"})

    assert response.status_code == 200, response.content
    assert response.json()["effective_price"] == "35.00"


def test_putting_a_discount_replaces_the_previous_window(seller_client, seller):
    product = ProductFactory(
        created_by=seller,
        discount_percent=Decimal("10"),
        discount_starts_at=timezone.now() + timedelta(days=1),
        discount_ends_at=timezone.now() + timedelta(days=2),
    )

    seller_client.put(discount_url(product), {"discount_percent": "20"})

    product.refresh_from_db()
    assert (product.discount_percent, product.discount_starts_at, product.discount_ends_at) == (
        Decimal("20.00"),
        None,
        None,
    )


def test_staff_put_and_remove_a_discount_on_any_product(staff_client):
    product = ProductFactory(price=Decimal("10.00"))

    put = staff_client.put(discount_url(product), {"discount_percent": "50"})
    assert put.status_code == 200, put.content
    assert put.json()["effective_price"] == "5.00"

    assert staff_client.delete(discount_url(product)).status_code == 204
    product.refresh_from_db()
    assert product.discount_percent is None


def test_removing_a_discount_clears_it_and_its_window(seller_client, seller, api_client):
    product = ProductFactory(
        created_by=seller,
        price=Decimal("10.00"),
        discount_percent=Decimal("50"),
        discount_ends_at=timezone.now() + timedelta(days=1),
    )

    response = seller_client.delete(discount_url(product))

    assert response.status_code == 204
    product.refresh_from_db()
    assert (product.discount_percent, product.discount_starts_at, product.discount_ends_at) == (
        None,
        None,
        None,
    )
    assert api_client.get(product_url(product)).json()["effective_price"] == "10.00"


@pytest.mark.parametrize("method", ["put", "delete"])
def test_only_the_seller_of_the_product_or_staff_may_change_its_discount(
    method, api_client, user_client, other_seller_client, own_product
):
    body = {"discount_percent": "30"}

    anonymous = getattr(api_client, method)(discount_url(own_product), body)
    customer = getattr(user_client, method)(discount_url(own_product), body)
    other_seller = getattr(other_seller_client, method)(discount_url(own_product), body)

    assert anonymous.status_code == 401
    assert customer.status_code == 403
    assert other_seller.status_code == 403
    assert other_seller.json()["code"] == "permission_denied"
    own_product.refresh_from_db()
    assert own_product.discount_percent is None


def test_another_sellers_hidden_product_is_404(other_seller_client, seller):
    hidden = ProductFactory(created_by=seller, is_active=False)

    response = other_seller_client.put(discount_url(hidden), {"discount_percent": "30"})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "discount_percent"),
        ({"discount_percent": None}, "discount_percent"),
        ({"discount_percent": "0"}, "discount_percent"),
        ({"discount_percent": "100"}, "discount_percent"),
        ({"discount_percent": "-5"}, "discount_percent"),
        ({"discount_percent": "12.345"}, "discount_percent"),
        ({"discount_percent": "lots"}, "discount_percent"),
        ({"discount_percent": "10", "starts_at": "soon"}, "starts_at"),
        (
            {
                "discount_percent": "10",
                "starts_at": "2030-01-02T00:00:00Z",
                "ends_at": "2030-01-01T00:00:00Z",
            },
            "ends_at",
        ),
        ({"discount_percent": "10", "ends_at": "2020-01-01T00:00:00Z"}, "ends_at"),
    ],
)
def test_invalid_discounts_are_400_field_errors(seller_client, own_product, body, field):
    response = seller_client.put(discount_url(own_product), body, format="json")

    assert_validation_error(response, field)
    own_product.refresh_from_db()
    assert own_product.discount_percent is None


def test_setting_a_discount_never_writes_back_a_stale_stock(own_product):
    stale = Product.objects.get(pk=own_product.pk)
    Product.objects.filter(pk=own_product.pk).update(stock_quantity=3)  # a checkout meanwhile

    product_set_discount(product=stale, discount_percent=Decimal("10"))

    own_product.refresh_from_db()
    assert (own_product.stock_quantity, own_product.discount_percent) == (3, Decimal("10.00"))


def test_a_discount_put_or_removed_re_sorts_the_price_ordered_list_at_once(
    api_client, staff_client
):
    ProductFactory(name="Ten", price=Decimal("10.00"))
    dear = ProductFactory(name="Forty", price=Decimal("40.00"))

    staff_client.put(discount_url(dear), {"discount_percent": "90"})
    discounted = api_client.get(PRODUCTS, {"ordering": "price"}).json()["results"]
    staff_client.delete(discount_url(dear))
    removed = api_client.get(PRODUCTS, {"ordering": "price"}).json()["results"]

    assert [(p["name"], p["effective_price"]) for p in discounted] == [
        ("Forty", "4.00"),
        ("Ten", "10.00"),
    ]
    assert [p["name"] for p in removed] == ["Ten", "Forty"]


def test_a_price_change_re_sorts_and_re_filters_the_list_at_once(api_client, seller_client, seller):
    ProductFactory(name="Twenty", price=Decimal("20.00"))
    mine = ProductFactory(name="Mine", price=Decimal("10.00"), created_by=seller)

    response = seller_client.patch(product_url(mine), {"price": "30.00"}, format="json")

    assert response.status_code == 200, response.content
    ordered = api_client.get(PRODUCTS, {"ordering": "price"}).json()["results"]
    assert [p["name"] for p in ordered] == ["Twenty", "Mine"]
    filtered = api_client.get(PRODUCTS, {"min_price": "25"}).json()["results"]
    assert [p["name"] for p in filtered] == ["Mine"]


# --- the effective price everywhere ---------------------------------------------------------


def prices_seen(client, product, buyer_client, buyer) -> dict:
    listed = {p["id"]: p for p in client.get(PRODUCTS).json()["results"]}[str(product.pk)]
    detail = client.get(product_url(product)).json()
    CartItemFactory(cart=CartFactory(user=buyer), product=product, quantity=2)
    cart = buyer_client.get("/api/v1/cart/").json()
    order = buyer_client.post(ORDERS, CHECKOUT).json()
    return {
        "list": listed["effective_price"],
        "detail": detail["effective_price"],
        "cart": cart["items"][0]["unit_price"],
        "checkout": order["items"][0]["unit_price"],
        "order_total": order["total"],
    }


def test_a_scheduled_discount_does_not_apply_before_it_starts(
    api_client, seller_client, own_product, user, user_client
):
    seller_client.put(
        discount_url(own_product), {"discount_percent": "25", "starts_at": later(hours=1)}
    )

    seen = prices_seen(api_client, own_product, user_client, user)

    assert seen == {
        "list": "40.00",
        "detail": "40.00",
        "cart": "40.00",
        "checkout": "40.00",
        "order_total": "80.00",
    }


def test_a_running_discount_applies_in_list_detail_cart_and_checkout(
    api_client, seller_client, own_product, user, user_client
):
    seller_client.put(
        discount_url(own_product),
        {"discount_percent": "25", "starts_at": later(hours=-1), "ends_at": later(days=1)},
    )

    seen = prices_seen(api_client, own_product, user_client, user)

    assert seen == {
        "list": "30.00",
        "detail": "30.00",
        "cart": "30.00",
        "checkout": "30.00",
        "order_total": "60.00",
    }


def test_an_order_keeps_the_price_paid_after_the_discount_ends_or_changes(
    seller_client, own_product, user, user_client
):
    seller_client.put(discount_url(own_product), {"discount_percent": "25"})
    CartItemFactory(cart=CartFactory(user=user), product=own_product, quantity=1)
    order = user_client.post(ORDERS, CHECKOUT).json()
    assert order["items"][0]["unit_price"] == "30.00"

    seller_client.put(discount_url(own_product), {"discount_percent": "50"})
    changed = user_client.get(f"{ORDERS}{order['id']}/").json()
    seller_client.delete(discount_url(own_product))
    ended = user_client.get(f"{ORDERS}{order['id']}/").json()

    for seen in (changed, ended):
        assert seen["items"][0]["unit_price"] == "30.00"
        assert (seen["subtotal"], seen["total"]) == ("30.00", "30.00")
    assert OrderItem.objects.get().unit_price == Decimal("30.00")
    own_product.refresh_from_db()
    assert own_product.effective_price == Decimal("40.00")


def test_patching_the_discount_to_zero_ends_the_promotion(seller_client, own_product):
    product_set_discount(
        product=own_product,
        discount_percent=Decimal("25"),
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=6),
    )

    response = seller_client.patch(product_url(own_product), {"discount_percent": "0"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["discount_percent"] is None
    assert (body["discount_starts_at"], body["discount_ends_at"]) == (None, None)
    assert body["effective_price"] == "40.00"
    own_product.refresh_from_db()
    assert (own_product.discount_percent, own_product.current_price) == (None, Decimal("40.00"))


def test_creating_a_product_with_a_zero_discount_means_no_discount(seller_client):
    response = seller_client.post(
        PRODUCTS,
        {
            "name": "Plain",
            "price": "9.00",
            "category": str(CategoryFactory().pk),
            "discount_percent": "0.00",
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["discount_percent"] is None
