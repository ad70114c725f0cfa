"""Writes of wishlists, with their rules. Views, admin actions and commands call these."""

import secrets
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from cart.models import Cart
from cart.selectors import product_is_available
from cart.services import cart_add_item, cart_for_request
from catalog.models import Product
from core.exceptions import BusinessValidationError
from wishlist.exceptions import WishlistItemNotFound
from wishlist.models import Wishlist, WishlistItem

PRODUCT_UNAVAILABLE = "This product does not exist or is no longer available."
SHARE_TOKEN_BYTES = 32


@transaction.atomic
def wishlist_get_or_create(*, user) -> Wishlist:
    """The user's one wishlist, created on first use. Raises nothing: a concurrent request
    that created it first wins the unique constraint, and get_or_create reads its row."""
    wishlist, _ = Wishlist.objects.get_or_create(user=user)
    return wishlist


@transaction.atomic
def wishlist_add_item(*, user, product_id: UUID) -> tuple[WishlistItem, bool]:
    """Put a product on the user's wishlist; adding it again changes nothing. Returns the
    item and whether it was new. Raises BusinessValidationError (unknown, inactive or
    deleted product)."""
    product = Product.objects.select_related("store").filter(pk=product_id).first()
    if product is None or not product_is_available(product):
        raise BusinessValidationError({"product_id": [PRODUCT_UNAVAILABLE]}, PRODUCT_UNAVAILABLE)
    wishlist = wishlist_get_or_create(user=user)
    # get_or_create inserts in a savepoint: of two concurrent adds, the one that loses
    # the unique constraint reads the winner's row.
    return WishlistItem.objects.get_or_create(wishlist=wishlist, product=product)


@transaction.atomic
def wishlist_item_remove(*, user, item_id: UUID) -> None:
    """Remove an item from the user's wishlist. Raises WishlistItemNotFound."""
    deleted, _ = WishlistItem.objects.filter(pk=item_id, wishlist__user=user).delete()
    if not deleted:
        raise WishlistItemNotFound()


@transaction.atomic
def wishlist_item_move_to_cart(
    *, user, item_id: UUID, quantity: int = 1, cart_token: str | None = None
) -> Cart:
    """Add the item's product to the user's cart (a guest cart whose token is sent is
    merged first, as on every cart endpoint) and take it off the wishlist, both or
    neither. Returns the cart. Raises WishlistItemNotFound, or what cart_add_item raises
    (BusinessValidationError: product gone, more than the stock; CartGone)."""
    # The item's row stays locked until commit: a second move of the same item waits,
    # then finds it gone (404) instead of adding the product to the cart twice.
    item = (
        WishlistItem.objects.select_for_update(of=("self",))
        .filter(pk=item_id, wishlist__user=user)
        .first()
    )
    if item is None:
        raise WishlistItemNotFound()
    cart = cart_for_request(user=user, token=cart_token, create=True)
    cart_add_item(cart=cart, product_id=item.product_id, quantity=quantity)
    item.delete()
    return cart


@transaction.atomic
def wishlist_share(*, user) -> tuple[Wishlist, bool]:
    """Give the user's wishlist a share token, or keep the one it has. Returns the
    wishlist and whether a new token was made. Raises nothing."""
    wishlist = wishlist_get_or_create(user=user)
    wishlist = Wishlist.objects.select_for_update().get(pk=wishlist.pk)
    if wishlist.share_token:
        return wishlist, False
    wishlist.share_token = secrets.token_urlsafe(SHARE_TOKEN_BYTES)
    wishlist.save(update_fields=["share_token", "updated_at"])
    return wishlist, True


@transaction.atomic
def wishlist_unshare(*, wishlist: Wishlist) -> None:
    """Revoke the wishlist's share link: the old URL answers 404 from now on. Raises
    nothing (revoking an unshared list changes nothing)."""
    Wishlist.objects.filter(pk=wishlist.pk).update(share_token=None, updated_at=timezone.now())
