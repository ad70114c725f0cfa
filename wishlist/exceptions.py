"""Domain errors of the wishlist. The one exception handler (core.exceptions) renders them."""

from core.exceptions import NotFound


class WishlistItemNotFound(NotFound):
    """The item is not in the caller's wishlist (another user's item answers the same)."""

    default_detail = "No such item in your wishlist."


class SharedWishlistNotFound(NotFound):
    """No wishlist is shared under the token: unknown, or revoked by its owner."""

    default_detail = "No wishlist is shared under this link (it may have been revoked)."
