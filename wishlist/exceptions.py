"""Domain errors of the wishlist. The one exception handler (core.exceptions) renders them."""

from rest_framework import status

from core.exceptions import DomainError


class WishlistItemNotFound(DomainError):
    """The item is not in the caller's wishlist (another user's item answers the same)."""

    code = "not_found"
    status = status.HTTP_404_NOT_FOUND
    default_detail = "No such item in your wishlist."


class SharedWishlistNotFound(DomainError):
    """No wishlist is shared under the token: unknown, or revoked by its owner."""

    code = "not_found"
    status = status.HTTP_404_NOT_FOUND
    default_detail = "No wishlist is shared under this link (it may have been revoked)."
