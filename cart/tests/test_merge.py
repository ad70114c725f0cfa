"""An authenticated caller who sends a guest cart's token gets that cart merged into theirs."""

import pytest

from cart.models import Cart, CartItem
from cart.services import cart_merge_guest
from cart.tests.factories import CartFactory, CartItemFactory
from cart.tests.helpers import CART, item_url, token_header
from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _quantities(cart: Cart) -> dict:
    return dict(CartItem.objects.filter(cart=cart).values_list("product_id", "quantity"))


def test_guest_lines_move_into_a_user_without_a_cart(user, user_client, guest_cart):
    a, b = ProductFactory(), ProductFactory()
    CartItemFactory(cart=guest_cart, product=a, quantity=2)
    CartItemFactory(cart=guest_cart, product=b, quantity=1)

    response = user_client.get(CART, **token_header(guest_cart.token))

    assert response.status_code == 200
    cart = Cart.objects.get(user=user)
    assert _quantities(cart) == {a.pk: 2, b.pk: 1}
    assert response.json()["id"] == str(cart.pk)
    assert response.json()["token"] is None
    assert "X-Cart-Token" not in response
    assert not Cart.objects.filter(pk=guest_cart.pk).exists()


def test_merge_sums_quantities_of_the_same_product(user, user_client, guest_cart):
    shared, own = ProductFactory(stock_quantity=10), ProductFactory()
    cart = CartFactory(user=user)
    CartItemFactory(cart=cart, product=shared, quantity=3)
    CartItemFactory(cart=cart, product=own, quantity=1)
    CartItemFactory(cart=guest_cart, product=shared, quantity=4)

    user_client.get(CART, **token_header(guest_cart.token))

    assert _quantities(cart) == {shared.pk: 7, own.pk: 1}


def test_merge_caps_summed_quantities_at_the_stock(user, user_client, guest_cart):
    product = ProductFactory(stock_quantity=5)
    cart = CartFactory(user=user)
    CartItemFactory(cart=cart, product=product, quantity=3)
    CartItemFactory(cart=guest_cart, product=product, quantity=4)

    response = user_client.get(CART, **token_header(guest_cart.token))

    assert _quantities(cart) == {product.pk: 5}
    assert response.json()["item_count"] == 5


def test_merge_drops_lines_of_products_no_longer_available(user, user_client, guest_cart):
    kept = ProductFactory()
    inactive = ProductFactory(is_active=False)
    deleted = ProductFactory(is_deleted=True)
    sold_out = ProductFactory(stock_quantity=0)
    for product in (kept, inactive, deleted, sold_out):
        CartItemFactory(cart=guest_cart, product=product, quantity=1)

    user_client.get(CART, **token_header(guest_cart.token))

    assert _quantities(Cart.objects.get(user=user)) == {kept.pk: 1}
    assert not Cart.objects.filter(pk=guest_cart.pk).exists()


def test_merge_drops_lines_in_another_currency_than_the_users_cart(user, user_client, guest_cart):
    dollars = ProductFactory(currency="USD")
    cart = CartFactory(user=user)
    CartItemFactory(cart=cart, product=dollars)
    CartItemFactory(cart=guest_cart, product=ProductFactory(currency="EUR"))

    user_client.get(CART, **token_header(guest_cart.token))

    assert _quantities(cart) == {dollars.pk: 1}


def test_merge_never_lowers_the_users_own_line(user, user_client, guest_cart):
    product = ProductFactory(stock_quantity=2)
    cart = CartFactory(user=user)
    CartItemFactory(cart=cart, product=product, quantity=2)
    CartItemFactory(cart=guest_cart, product=product, quantity=1)
    product.stock_quantity = 1
    product.save()

    user_client.get(CART, **token_header(guest_cart.token))

    assert _quantities(cart) == {product.pk: 2}  # checkout re-validates against the stock


def test_the_merged_token_is_unusable_afterwards(user, user_client, api_client, guest_cart):
    product = ProductFactory()
    CartItemFactory(cart=guest_cart, product=product, quantity=2)
    token = guest_cart.token
    user_client.get(CART, **token_header(token))

    again = user_client.get(CART, **token_header(token))
    as_guest = api_client.get(CART, **token_header(token))

    assert again.json()["item_count"] == 2  # not merged twice
    assert as_guest.json()["items"] == []
    assert as_guest.json()["id"] is None


def test_merge_happens_on_an_add_too(user, user_client, guest_cart):
    in_guest, added = ProductFactory(), ProductFactory()
    CartItemFactory(cart=guest_cart, product=in_guest, quantity=2)

    response = user_client.post(
        CART, {"product_id": str(added.pk), "quantity": 1}, **token_header(guest_cart.token)
    )

    assert response.status_code == 200
    assert _quantities(Cart.objects.get(user=user)) == {in_guest.pk: 2, added.pk: 1}
    assert not Cart.objects.filter(pk=guest_cart.pk).exists()


def test_a_moved_line_keeps_its_id(user, user_client, guest_cart):
    item = CartItemFactory(cart=guest_cart, quantity=1)

    response = user_client.patch(item_url(item), {"quantity": 3}, **token_header(guest_cart.token))

    assert response.status_code == 200
    item.refresh_from_db()
    assert item.cart.user == user
    assert item.quantity == 3


def test_an_empty_guest_cart_is_deleted_on_merge(user, user_client, guest_cart):
    user_client.delete(CART, **token_header(guest_cart.token))

    assert not Cart.objects.filter(pk=guest_cart.pk).exists()
    assert Cart.objects.filter(user=user).exists()


def test_an_unknown_token_with_an_access_token_just_answers_the_users_cart(user, user_client):
    cart = CartFactory(user=user)
    CartItemFactory(cart=cart)

    response = user_client.get(CART, **token_header("unknown-token"))

    assert response.json()["id"] == str(cart.pk)
    assert Cart.objects.count() == 1


def test_another_users_cart_is_never_merged(user):
    other_cart = CartFactory()
    CartItemFactory(cart=other_cart)

    # A user cart has no token (the model's constraint), so no token can name it; even
    # its id as a token finds nothing.
    assert cart_merge_guest(user=user, token=str(other_cart.pk)) is None
    assert CartItem.objects.filter(cart=other_cart).count() == 1


def test_merge_bumps_the_users_carts_updated_at(user, guest_cart):
    cart = CartFactory(user=user)
    before = cart.updated_at
    CartItemFactory(cart=guest_cart)

    merged = cart_merge_guest(user=user, token=guest_cart.token)

    assert merged.pk == cart.pk
    cart.refresh_from_db()
    assert cart.updated_at > before
