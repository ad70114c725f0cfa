"""Domain errors of the cart. The one exception handler (core.exceptions) renders them."""

from core.exceptions import Conflict, NotFound


class CartItemNotFound(NotFound):
    """The line is not in the caller's cart (another cart's line answers the same 404)."""

    default_detail = "No such item in your cart."


class CartGone(Conflict):
    """The cart was merged into a user's cart or purged while this request ran."""

    default_detail = "This cart no longer exists (it was merged or expired); please retry."
