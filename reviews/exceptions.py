"""Domain errors of reviews. The one exception handler (core.exceptions) renders them."""

from rest_framework import status

from core.exceptions import Conflict, DomainError


class ReviewExists(Conflict):
    """The customer already reviewed this product (one review per customer per product)."""

    default_detail = "You have already reviewed this product; edit your review instead."


class OwnProductReview(DomainError):
    """A seller may not review a product they sell."""

    code = "permission_denied"
    status = status.HTTP_403_FORBIDDEN
    default_detail = "You cannot review a product you sell."


class ReviewNotFound(DomainError):
    """The review was deleted while this request ran."""

    code = "not_found"
    status = status.HTTP_404_NOT_FOUND
    default_detail = "No such review."
