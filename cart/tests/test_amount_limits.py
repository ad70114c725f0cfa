"""A cart can never hold more than an order can store: money columns end at 9,999,999,999.99."""

from decimal import Decimal

import pytest

from cart.models import CartItem
from cart.tests.helpers import CART
from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

TOP_PRICE = Decimal("9999999999.99")


def test_adding_a_line_whose_total_an_order_cannot_hold_is_400(user_client):
    product = ProductFactory(price=TOP_PRICE, stock_quantity=5)

    response = user_client.post(CART, {"product_id": str(product.pk), "quantity": 2})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert "9999999999.99" in body["errors"]["quantity"][0]
    assert not CartItem.objects.exists()


def test_one_item_at_the_top_price_fits(user_client):
    product = ProductFactory(price=TOP_PRICE, stock_quantity=5)

    response = user_client.post(CART, {"product_id": str(product.pk), "quantity": 1})

    assert response.status_code == 200, response.content
    assert response.json()["total"] == "9999999999.99"


def test_a_line_that_would_push_the_cart_total_over_the_limit_is_400(user_client):
    first = ProductFactory(price=Decimal("6000000000.00"), stock_quantity=5)
    second = ProductFactory(price=Decimal("5000000000.00"), stock_quantity=5)
    user_client.post(CART, {"product_id": str(first.pk), "quantity": 1})

    response = user_client.post(CART, {"product_id": str(second.pk), "quantity": 1})

    assert response.status_code == 400
    assert list(CartItem.objects.values_list("product_id", flat=True)) == [first.pk]


def test_raising_a_line_quantity_past_the_limit_is_400_and_keeps_the_line(user_client):
    product = ProductFactory(price=TOP_PRICE, stock_quantity=5)
    item_id = user_client.post(CART, {"product_id": str(product.pk)}).json()["items"][0]["id"]

    response = user_client.patch(f"{CART}{item_id}/", {"quantity": 2})

    assert response.status_code == 400
    assert "quantity" in response.json()["errors"]
    assert CartItem.objects.get(pk=item_id).quantity == 1
