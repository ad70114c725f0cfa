"""Reads of wishlists. Items come with their products and the products' primary images in
a fixed number of queries, whatever the number of items."""

import re

from django.db.models import Prefetch, QuerySet

from catalog.selectors import product_images_prefetch, sellable_q
from wishlist.models import Wishlist, WishlistItem

# secrets.token_urlsafe(32) output: anything else cannot be a token we issued, so it is
# unknown without reaching the database.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _items() -> QuerySet[WishlistItem]:
    images = Prefetch("product__images", queryset=product_images_prefetch().queryset)
    return (
        WishlistItem.objects.select_related("product__store")
        .prefetch_related(images)
        .order_by("-created_at", "-id")
    )


def wishlist_get_for(*, user) -> Wishlist | None:
    """The user's wishlist, or None before their first item (it is made lazily)."""
    return Wishlist.objects.filter(user=user).first()


def wishlist_item_list_for(*, user) -> QuerySet[WishlistItem]:
    """The user's own items, newest first, including products no longer sold (shown with
    is_active false, so the owner can remove them)."""
    return _items().filter(wishlist__user=user)


def wishlist_shared_get(*, token: str | None) -> Wishlist | None:
    """The wishlist currently shared under `token`, or None (unknown or revoked)."""
    if not token or _TOKEN_RE.fullmatch(token) is None:
        return None
    return Wishlist.objects.filter(share_token=token).first()


def wishlist_shared_item_list(*, wishlist: Wishlist) -> QuerySet[WishlistItem]:
    """What a shared list shows: items of products on sale (visible to everyone)."""
    return _items().filter(sellable_q("product__"), wishlist=wishlist)
