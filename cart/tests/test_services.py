"""The cart's rules, through the services that views, admin and commands call."""

from decimal import Decimal

import pytest

from cart.exceptions import CartGone, CartItemNotFound
from cart.models import Cart
from cart.selectors import cart_summary, cart_totals
from cart.services import (
    cart_add_item,
    cart_clear,
    cart_for_request,
    cart_item_remove,
    cart_item_set_quantity,
)
from cart.tests.factories import CartFactory, CartItemFactory
from catalog.tests.factories import ProductFactory
from core.exceptions import BusinessValidationError

pytestmark = pytest.mark.django_db


def test_cart_totals_are_exact_decimals():
    cart = CartFactory()
    CartItemFactory(
        cart=cart,
        product=ProductFactory(price=Decimal("19.99"), discount_percent=Decimal("10")),
        quantity=3,
    )
    CartItemFactory(cart=cart, product=ProductFactory(price=Decimal("0.35")), quantity=3)

    totals = cart_totals(cart=cart)

    assert totals.subtotal == Decimal("55.02")  # 3 x 17.99 + 3 x 0.35
    assert totals.discount == Decimal("0.00")
    assert totals.total == Decimal("55.02")
    assert totals.item_count == 6
    assert all(isinstance(v, Decimal) for v in (totals.subtotal, totals.total))


def test_a_half_cent_discount_rounds_half_up():
    cart = CartFactory()
    # 0.25 less 10% = 0.225 -> 0.23
    CartItemFactory(
        cart=cart, product=ProductFactory(price="0.25", discount_percent="10"), quantity=1
    )

    assert cart_totals(cart=cart).total == Decimal("0.23")


def test_the_totals_of_no_cart_are_zero_in_the_default_currency(settings):
    settings.DEFAULT_CURRENCY = "EUR"

    totals = cart_totals(cart=None)

    assert totals.total == Decimal("0.00")
    assert totals.currency == "EUR"
    assert cart_summary(cart=None).lines == []


def test_cart_for_request_without_create_makes_nothing(user):
    assert cart_for_request(user=user, token=None, create=False) is None
    assert cart_for_request(user=None, token=None, create=False) is None
    assert Cart.objects.count() == 0


def test_cart_for_request_with_create_gives_a_user_one_cart(user):
    first = cart_for_request(user=user, token=None, create=True)
    second = cart_for_request(user=user, token=None, create=True)

    assert first.pk == second.pk
    assert first.token is None


def test_cart_for_request_gives_a_guest_a_new_token_each_time_without_one():
    first = cart_for_request(user=None, token=None, create=True)
    second = cart_for_request(user=None, token=first.token, create=True)
    third = cart_for_request(user=None, token=None, create=True)

    assert first.pk == second.pk
    assert third.pk != first.pk
    assert third.token != first.token


def test_adding_to_a_cart_deleted_meanwhile_is_a_conflict():
    cart = CartFactory(guest=True)
    Cart.objects.filter(pk=cart.pk).delete()

    with pytest.raises(CartGone):
        cart_add_item(cart=cart, product_id=ProductFactory().pk, quantity=1)


def test_adding_beyond_stock_raises_a_field_error():
    product = ProductFactory(stock_quantity=2)

    with pytest.raises(BusinessValidationError) as excinfo:
        cart_add_item(cart=CartFactory(), product_id=product.pk, quantity=3)

    assert excinfo.value.extra["errors"] == {"quantity": ["Only 2 in stock."]}


def test_setting_a_quantity_below_one_is_refused():
    item = CartItemFactory(quantity=2)

    with pytest.raises(BusinessValidationError):
        cart_item_set_quantity(cart=item.cart, item_id=item.pk, quantity=0)


def test_line_services_refuse_another_carts_line():
    item = CartItemFactory()
    cart = CartFactory()

    with pytest.raises(CartItemNotFound):
        cart_item_set_quantity(cart=cart, item_id=item.pk, quantity=1)
    with pytest.raises(CartItemNotFound):
        cart_item_remove(cart=cart, item_id=item.pk)


def test_clearing_leaves_other_carts_alone():
    item, other = CartItemFactory(), CartItemFactory()

    cart_clear(cart=item.cart)

    assert not item.cart.items.exists()
    assert other.cart.items.exists()
