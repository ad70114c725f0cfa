"""Writes of reviews, with their rules. Views, admin actions and commands call these.

Every write that can change what a product's approved reviews add up to ends with
product_rating_refresh() in the same transaction, so Product.average_rating and
Product.review_count never disagree with the reviews, even under concurrent writes.
"""

from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from catalog.cache import catalog_products_changed
from catalog.models import Product
from core.exceptions import BusinessValidationError
from reviews.exceptions import OwnProductReview, ReviewExists, ReviewNotFound
from reviews.models import MAX_COMMENT_LENGTH, Review, ReviewStatus
from reviews.selectors import review_initial_status, user_has_purchased

PRODUCT_NOT_REVIEWABLE = "This product does not exist or is no longer available."
RATING_PLACES = Decimal("0.01")
ZERO_RATING = Decimal("0.00")


def _lock_product(product_id: UUID) -> Product | None:
    # FOR NO KEY UPDATE: it serializes every rating refresh of the product (they all take
    # it), yet does not conflict with the FOR KEY SHARE lock PostgreSQL takes on the
    # product when a review referencing it is inserted. A plain FOR UPDATE would: two
    # transactions that each inserted a review and then locked the product would wait
    # for each other (a deadlock).
    return Product.objects.select_for_update(no_key=True).filter(pk=product_id).first()


def _lock_review(review: Review) -> Review:
    # Always after the product's lock (the order every review write takes them in).
    locked = Review.objects.select_for_update().filter(pk=review.pk).first()
    if locked is None:
        raise ReviewNotFound()
    return locked


def _already_reviewed(*, product_id: UUID, user) -> bool:
    return Review.objects.filter(product_id=product_id, user=user).exists()


def _check_rating(rating: int) -> None:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise BusinessValidationError({"rating": ["The rating must be a whole number 1 to 5."]})


def _check_comment(comment: str) -> str:
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise BusinessValidationError(
            {"comment": [f"The comment must be at most {MAX_COMMENT_LENGTH} characters."]}
        )
    return comment


@transaction.atomic
def product_rating_refresh(*, product_id: UUID) -> Product | None:
    """Recompute the product's average_rating and review_count from its approved reviews.
    Locks the product row first: a refresh waiting for another one's commit then counts
    that transaction's review too (under READ COMMITTED each statement sees what was
    committed before it started). Returns the product, or None if it is gone. Raises
    nothing."""
    product = _lock_product(product_id)
    if product is None:
        return None
    # Sum and Count rather than Avg: the average is then computed exactly in Decimal,
    # never through a float, on every database.
    totals = Review.objects.filter(product_id=product_id, status=ReviewStatus.APPROVED).aggregate(
        rating_sum=Sum("rating"), count=Count("id")
    )
    count = totals["count"]
    average = (
        (Decimal(totals["rating_sum"]) / count).quantize(RATING_PLACES, rounding=ROUND_HALF_UP)
        if count
        else ZERO_RATING
    )
    Product.objects.filter(pk=product_id).update(average_rating=average, review_count=count)
    product.average_rating, product.review_count = average, count
    # The catalog shows (and sorts by) the rating: its cached answers go after commit.
    catalog_products_changed(product_ids=[product_id])
    return product


@transaction.atomic
def review_create(*, user, product_id: UUID, rating: int, comment: str = "") -> Review:
    """Post the user's review of a product. `verified_purchase` and the status are decided
    here. Raises BusinessValidationError (product unknown, inactive or deleted; bad rating
    or comment), OwnProductReview (the seller of the product) or ReviewExists (already
    reviewed)."""
    _check_rating(rating)
    comment = _check_comment(comment)
    product = _lock_product(product_id)
    if product is None or not product.is_active or product.is_deleted:
        raise BusinessValidationError({"product": [PRODUCT_NOT_REVIEWABLE]}, PRODUCT_NOT_REVIEWABLE)
    if product.created_by_id is not None and product.created_by_id == user.pk:
        raise OwnProductReview()
    if _already_reviewed(product_id=product.pk, user=user):
        raise ReviewExists()
    try:
        # A savepoint: a concurrent first review by the same user loses on the unique
        # constraint, and this transaction stays usable to answer 409.
        with transaction.atomic():
            review = Review.objects.create(
                product=product,
                user=user,
                rating=rating,
                comment=comment,
                status=review_initial_status(),
                verified_purchase=user_has_purchased(user_id=user.pk, product_id=product.pk),
            )
    except IntegrityError:
        raise ReviewExists() from None
    product_rating_refresh(product_id=product.pk)
    return review


@transaction.atomic
def review_update(
    *, review: Review, rating: int | None = None, comment: str | None = None
) -> Review:
    """The author changes their rating and/or comment. When reviews need approval, a
    changed approved review goes back to pending; a hidden one stays hidden. Raises
    BusinessValidationError (bad rating or comment) or ReviewNotFound (deleted meanwhile)."""
    if rating is not None:
        _check_rating(rating)
    if comment is not None:
        comment = _check_comment(comment)
    _lock_product(review.product_id)
    review = _lock_review(review)
    changed = (rating is not None and rating != review.rating) or (
        comment is not None and comment != review.comment
    )
    if rating is not None:
        review.rating = rating
    if comment is not None:
        review.comment = comment
    # Bought since the review was written: the edit shows it.
    review.verified_purchase = user_has_purchased(
        user_id=review.user_id, product_id=review.product_id
    )
    if changed and review.status == ReviewStatus.APPROVED and settings.REVIEWS_REQUIRE_APPROVAL:
        # What a moderator approved is not what is shown any more.
        review.status = ReviewStatus.PENDING
        review.moderated_by, review.moderated_at = None, None
    review.save()
    product_rating_refresh(product_id=review.product_id)
    return review


@transaction.atomic
def review_delete(*, review: Review) -> None:
    """Delete a review (its author, or staff). Raises nothing."""
    _lock_product(review.product_id)
    Review.objects.filter(pk=review.pk).delete()
    product_rating_refresh(product_id=review.product_id)


@transaction.atomic
def reviews_delete_by_users(*, user_ids) -> int:
    """Delete every review of these users (they are being deleted) and recompute the
    ratings of the products they had reviewed; returns how many reviews went. Raises
    nothing."""
    product_ids = sorted(
        set(Review.objects.filter(user_id__in=user_ids).values_list("product_id", flat=True))
    )
    # Lock in product-id order, like every rating refresh, so two deletions cannot deadlock.
    for product_id in product_ids:
        _lock_product(product_id)
    deleted, _ = Review.objects.filter(user_id__in=user_ids).delete()
    for product_id in product_ids:
        product_rating_refresh(product_id=product_id)
    return deleted


def _moderate(*, review: Review, by, status: str) -> Review:
    _lock_product(review.product_id)
    review = _lock_review(review)
    review.status = status
    review.moderated_by, review.moderated_at = by, timezone.now()
    review.save(update_fields=["status", "moderated_by", "moderated_at", "updated_at"])
    product_rating_refresh(product_id=review.product_id)
    return review


@transaction.atomic
def review_approve(*, review: Review, by) -> Review:
    """Staff make a review public (from pending or hidden). Raises ReviewNotFound."""
    return _moderate(review=review, by=by, status=ReviewStatus.APPROVED)


@transaction.atomic
def review_hide(*, review: Review, by) -> Review:
    """Staff take a review out of public view; its rating stops counting. Raises
    ReviewNotFound."""
    return _moderate(review=review, by=by, status=ReviewStatus.HIDDEN)


def product_ratings_recompute_all() -> int:
    """Refresh every product's rating fields, one product per transaction; returns how
    many were refreshed. A repair tool, e.g. after reviews were removed outside these
    services (a user deleted in the admin cascades to their reviews). Raises nothing."""
    count = 0
    for product_id in Product.objects.values_list("pk", flat=True).iterator():
        if product_rating_refresh(product_id=product_id) is not None:
            count += 1
    return count
