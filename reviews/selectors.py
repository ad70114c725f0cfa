"""Reads of reviews worth naming. Every view that lists reviews goes through these, so they
all get the same joins (and the same query count, whatever the page size)."""

from django.conf import settings
from django.db.models import Q, QuerySet

from catalog.selectors import sellable_q
from orders.models import SOLD_STATUSES, Order
from reviews.models import Review, ReviewStatus


def review_list_for(*, user) -> QuerySet[Review]:
    """The reviews `user` may see, newest first: everyone sees approved reviews of visible
    products (active, not deleted); an author also sees their own reviews in any status;
    staff see every review."""
    reviews = Review.objects.select_related("user__profile").order_by("-created_at", "-id")
    if user is not None and user.is_authenticated and user.is_staff:
        return reviews
    visible = Q(sellable_q("product__"), status=ReviewStatus.APPROVED)
    if user is not None and user.is_authenticated:
        visible |= Q(user=user)
    return reviews.filter(visible)


def review_get_for(*, user, review_id) -> Review | None:
    """One review `user` may see, or None."""
    return review_list_for(user=user).filter(pk=review_id).first()


def review_initial_status() -> str:
    """Where a new review starts: waiting for a moderator, or public at once."""
    if settings.REVIEWS_REQUIRE_APPROVAL:
        return ReviewStatus.PENDING
    return ReviewStatus.APPROVED


def user_has_purchased(*, user_id, product_id) -> bool:
    """Whether the user has a paid, shipped or delivered order containing the product."""
    return Order.objects.filter(
        user_id=user_id, status__in=SOLD_STATUSES, items__product_id=product_id
    ).exists()


def author_display_name(user) -> str:
    """The name shown with a review: first name and last initial when the author's profile
    is public and names them, otherwise "Anonymous". Never the email."""
    profile = getattr(user, "profile", None)
    if profile is None or profile.visibility != profile.Visibility.PUBLIC:
        return "Anonymous"
    first, last = profile.first_name.strip(), profile.last_name.strip()
    if not first:
        return "Anonymous"
    return f"{first} {last[0]}." if last else first
