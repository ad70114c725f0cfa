"""Domain errors of reviews. The one exception handler (core.exceptions) renders them."""

from core.exceptions import Conflict, Forbidden, NotFound


class ReviewExists(Conflict):
    """The customer already reviewed this product (one review per customer per product)."""

    default_detail = "You have already reviewed this product; edit your review instead."


class OwnProductReview(Forbidden):
    """A seller may not review a product they sell."""

    default_detail = "You cannot review a product you sell."


class ReviewNotFound(NotFound):
    """The review was deleted while this request ran."""

    default_detail = "No such review."
