"""Domain errors of the cart. The one exception handler (core.exceptions) renders them."""

from rest_framework import status

from core.exceptions import Conflict, DomainError


class CartItemNotFound(DomainError):
    """The line is not in the caller's cart (another cart's line answers the same 404)."""

    code = "not_found"
    status = status.HTTP_404_NOT_FOUND
    default_detail = "No such item in your cart."


class CartGone(Conflict):
    """The cart was merged into a user's cart or purged while this request ran."""

    default_detail = "This cart no longer exists (it was merged or expired); please retry."
