"""PUT, PATCH and DELETE cart/{item_id}/: one line of the caller's cart."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cart.models import CartItem
from cart.tests.factories import CartFactory, CartItemFactory
from cart.tests.helpers import (
    assert_not_found,
    assert_validation_error,
    item_url,
    make_stale,
    token_header,
)
from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_item(user):
    return CartItemFactory(cart=CartFactory(user=user), quantity=2)


# --- change quantity --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_user_changes_a_lines_quantity(user_client, user_item, method):
    response = getattr(user_client, method)(item_url(user_item), {"quantity": 7})

    assert response.status_code == 200, response.content
    user_item.refresh_from_db()
    assert user_item.quantity == 7
    body = response.json()
    assert body["items"][0]["quantity"] == 7
    assert body["item_count"] == 7
    assert body["total"] == "139.93"


def test_guest_changes_a_lines_quantity_with_the_token(api_client, guest_cart):
    item = CartItemFactory(cart=guest_cart)

    response = api_client.patch(item_url(item), {"quantity": 3}, **token_header(guest_cart.token))

    assert response.status_code == 200
    assert response["X-Cart-Token"] == guest_cart.token
    item.refresh_from_db()
    assert item.quantity == 3


def test_changing_a_quantity_can_lower_it(user_client, user_item):
    response = user_client.patch(item_url(user_item), {"quantity": 1})

    assert response.status_code == 200
    user_item.refresh_from_db()
    assert user_item.quantity == 1


@pytest.mark.parametrize("quantity", [0, -3, "two", 2.5, None])
def test_changing_to_a_bad_quantity_is_refused(user_client, user_item, quantity):
    response = user_client.patch(item_url(user_item), {"quantity": quantity})

    assert_validation_error(response, "quantity")
    user_item.refresh_from_db()
    assert user_item.quantity == 2


def test_changing_without_a_quantity_is_refused(user_client, user_item):
    response = user_client.put(item_url(user_item), {})

    assert_validation_error(response, "quantity")


def test_changing_beyond_the_stock_is_refused_naming_the_stock(user, user_client):
    item = CartItemFactory(cart=CartFactory(user=user), product=ProductFactory(stock_quantity=3))

    response = user_client.patch(item_url(item), {"quantity": 4})

    body = assert_validation_error(response, "quantity")
    assert body["errors"]["quantity"] == ["Only 3 in stock."]
    item.refresh_from_db()
    assert item.quantity == 1


def test_changing_up_to_the_stock_is_accepted(user, user_client):
    item = CartItemFactory(cart=CartFactory(user=user), product=ProductFactory(stock_quantity=3))

    response = user_client.patch(item_url(item), {"quantity": 3})

    assert response.status_code == 200


@pytest.mark.parametrize("flags", [{"is_active": False}, {"is_deleted": True}])
def test_changing_a_line_of_a_product_no_longer_sold_is_refused(user_client, user_item, flags):
    for field, value in flags.items():
        setattr(user_item.product, field, value)
    user_item.product.save()

    response = user_client.patch(item_url(user_item), {"quantity": 1})

    body = assert_validation_error(response, "quantity")
    assert "no longer available" in body["detail"]


def test_changing_a_quantity_bumps_the_carts_updated_at(user_client, user_item):
    make_stale(user_item.cart, days=3)

    user_client.patch(item_url(user_item), {"quantity": 3})

    user_item.cart.refresh_from_db()
    assert timezone.now() - user_item.cart.updated_at < timedelta(minutes=1)


def test_user_cannot_change_another_users_line(user_client, user_item):
    other = CartItemFactory(quantity=2)

    response = user_client.patch(item_url(other), {"quantity": 5})

    assert_not_found(response)
    other.refresh_from_db()
    assert other.quantity == 2


def test_user_cannot_change_a_guest_carts_line_by_its_id(user_client, user_item, guest_cart):
    guest_item = CartItemFactory(cart=guest_cart)

    response = user_client.patch(item_url(guest_item), {"quantity": 5})

    assert_not_found(response)


def test_guest_cannot_change_another_carts_line(api_client, guest_cart):
    CartItemFactory(cart=guest_cart)
    others = [CartItemFactory(cart=CartFactory(guest=True)), CartItemFactory()]

    for other in others:
        response = api_client.patch(
            item_url(other), {"quantity": 5}, **token_header(guest_cart.token)
        )
        assert_not_found(response)
        other.refresh_from_db()
        assert other.quantity == 1


def test_guest_without_a_cart_gets_404_on_a_line(api_client, user_item):
    response = api_client.patch(item_url(user_item), {"quantity": 5})

    assert_not_found(response)


def test_unknown_or_malformed_line_id_is_404(user_client, user_item):
    assert_not_found(
        user_client.patch(item_url("00000000-0000-4000-8000-000000000000"), {"quantity": 1})
    )
    assert_not_found(user_client.patch(item_url("not-a-uuid"), {"quantity": 1}))


# --- remove -----------------------------------------------------------------------------


def test_user_removes_a_line(user_client, user_item):
    keep = CartItemFactory(cart=user_item.cart)

    response = user_client.delete(item_url(user_item))

    assert response.status_code == 204
    assert list(CartItem.objects.all()) == [keep]


def test_guest_removes_a_line_with_the_token(api_client, guest_cart):
    item = CartItemFactory(cart=guest_cart)
    make_stale(guest_cart, days=3)

    response = api_client.delete(item_url(item), **token_header(guest_cart.token))

    assert response.status_code == 204
    assert not CartItem.objects.exists()
    guest_cart.refresh_from_db()
    assert timezone.now() - guest_cart.updated_at < timedelta(minutes=1)


def test_user_cannot_remove_another_users_line(user_client, user_item):
    other = CartItemFactory()

    response = user_client.delete(item_url(other))

    assert_not_found(response)
    assert CartItem.objects.filter(pk=other.pk).exists()


def test_guest_cannot_remove_another_carts_line(api_client, guest_cart):
    other = CartItemFactory()

    assert_not_found(api_client.delete(item_url(other), **token_header(guest_cart.token)))
    assert_not_found(api_client.delete(item_url(other)))
    assert CartItem.objects.filter(pk=other.pk).exists()


def test_removing_a_line_twice_is_404_the_second_time(user_client, user_item):
    assert user_client.delete(item_url(user_item)).status_code == 204

    assert_not_found(user_client.delete(item_url(user_item)))


def test_post_on_a_line_is_not_allowed(user_client, user_item):
    response = user_client.post(item_url(user_item), {"quantity": 1})

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
