"""Wishlist services: idempotent adds, moves to the cart that happen whole or not at all,
share tokens."""

import pytest

from cart.exceptions import CartGone
from cart.models import CartItem
from catalog.tests.factories import ProductFactory
from core.exceptions import BusinessValidationError
from wishlist import services
from wishlist.exceptions import WishlistItemNotFound
from wishlist.models import Wishlist, WishlistItem
from wishlist.selectors import wishlist_shared_get
from wishlist.tests.factories import WishlistFactory, WishlistItemFactory

pytestmark = pytest.mark.django_db


def test_adding_creates_one_wishlist_and_one_item_however_often(user):
    product = ProductFactory()

    first, created = services.wishlist_add_item(user=user, product_id=product.pk)
    again, created_again = services.wishlist_add_item(user=user, product_id=product.pk)

    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert Wishlist.objects.filter(user=user).count() == 1
    assert WishlistItem.objects.count() == 1


def test_removing_an_item_of_another_wishlist_raises_not_found(user):
    item = WishlistItemFactory()

    with pytest.raises(WishlistItemNotFound):
        services.wishlist_item_remove(user=user, item_id=item.pk)

    assert WishlistItem.objects.filter(pk=item.pk).exists()


def test_a_failed_cart_add_leaves_the_item_on_the_wishlist(user):
    product = ProductFactory(stock_quantity=1)
    item = WishlistItemFactory(wishlist=WishlistFactory(user=user), product=product)

    with pytest.raises(BusinessValidationError):
        services.wishlist_item_move_to_cart(user=user, item_id=item.pk, quantity=2)

    assert WishlistItem.objects.filter(pk=item.pk).exists()
    assert not CartItem.objects.exists()


def test_a_failure_after_the_cart_add_undoes_the_cart_add(user, monkeypatch):
    # Both or neither: when taking the item off fails, the line added to the cart goes too.
    item = WishlistItemFactory(wishlist=WishlistFactory(user=user))

    def fail(self, *args, **kwargs):
        raise CartGone()

    monkeypatch.setattr(WishlistItem, "delete", fail)

    with pytest.raises(CartGone):
        services.wishlist_item_move_to_cart(user=user, item_id=item.pk)

    assert not CartItem.objects.exists()
    assert WishlistItem.objects.filter(pk=item.pk).exists()


def test_sharing_keeps_a_token_until_it_is_revoked(user):
    wishlist, created = services.wishlist_share(user=user)
    same, created_again = services.wishlist_share(user=user)

    assert (created, created_again) == (True, False)
    assert same.share_token == wishlist.share_token
    assert wishlist_shared_get(token=wishlist.share_token) == wishlist

    services.wishlist_unshare(wishlist=wishlist)

    assert wishlist_shared_get(token=wishlist.share_token) is None
    wishlist.refresh_from_db()
    assert wishlist.share_token is None
