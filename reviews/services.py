"""Writes of reviews, with their rules. Views, admin actions and commands call these.

Every write that can change what a product's approved reviews add up to ends with a
rating refresh (product_ratings_refresh, the one place the rating is computed) in the same
transaction, so Product.average_rating and Product.review_count never disagree with the
reviews, even under concurrent writes.
"""

from collections.abc import Iterable
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.cache import catalog_products_changed
from catalog.models import Product
from core.events import publish
from core.exceptions import BusinessValidationError
from reviews.exceptions import OwnProductReview, ReviewExists, ReviewNotFound
from reviews.models import MAX_COMMENT_LENGTH, Review, ReviewStatus
from reviews.selectors import review_initial_status, user_has_purchased
from stores.cache import stores_changed
from stores.models import Store

PRODUCT_NOT_REVIEWABLE = "This product does not exist or is no longer available."
RATING_PLACES = Decimal("0.01")
ZERO_RATING = Decimal("0.00")
# review_id; a review was posted (whatever its status), published inside review_create's
# transaction after the rating refresh, for the apps above (core.events).
REVIEW_CREATED = "reviews.review_created"
# Products per transaction when every rating is recomputed.
RECOMPUTE_CHUNK = 500


def _lock_stores_of(product_ids: Iterable[UUID]) -> None:
    """Lock the stores of these products, in id order, before any of the products: the
    lock order of the whole project is store rows before product rows (a paid cancel's
    refund writes its store's ledger, then restocks the products), and a rating refresh
    writes the store's rating after the product's."""
    # One query: the stores found through the products, locked in id order.
    list(
        Store.objects.select_for_update(no_key=True)
        .filter(pk__in=Product.objects.filter(pk__in=list(product_ids)).values("store_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _lock_product(product_id: UUID) -> Product | None:
    # Its store first (the lock order above). FOR NO KEY UPDATE: it serializes every rating
    # refresh of the product (they all take it), yet does not conflict with the FOR KEY
    # SHARE lock PostgreSQL takes on the product when a review referencing it is inserted.
    # A plain FOR UPDATE would: two transactions that each inserted a review and then
    # locked the product would wait for each other (a deadlock).
    _lock_stores_of([product_id])
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


def _lock_in_pk_order(model, ids: list[UUID]) -> list[UUID]:
    """Lock these rows (no key) in primary-key order, the order of every rating refresh;
    returns the ids of the ones that still exist."""
    return list(
        model.objects.select_for_update(no_key=True)
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _rating_fields(*, of: str = "product") -> dict:
    """average_rating and review_count of each row as SQL: correlated subqueries over the
    approved reviews of the product (`of="product"`) or of the store's products that are
    not deleted (`of="store"`). The average is rounded half up to two places in integer
    arithmetic, (200 * sum + count) // (2 * count) hundredths, never through a float, so
    SQLite and PostgreSQL agree to the cent."""
    if of == "store":
        reviews = Review.objects.filter(product__store=OuterRef("pk"), product__is_deleted=False)
        group = "product__store"
    else:
        reviews = Review.objects.filter(product=OuterRef("pk"))
        group = "product"
    approved = reviews.filter(status=ReviewStatus.APPROVED).order_by().values(group)
    count = Subquery(approved.annotate(n=Count("id")).values("n"), output_field=IntegerField())
    total = Subquery(approved.annotate(s=Sum("rating")).values("s"), output_field=IntegerField())
    hundredths = (Value(200) * total + count) / (Value(2) * count)
    rating = DecimalField(max_digits=3, decimal_places=2)
    return {
        "review_count": Coalesce(count, Value(0)),
        "average_rating": Coalesce(
            ExpressionWrapper(hundredths * Value(RATING_PLACES), output_field=rating),
            Value(ZERO_RATING),
            output_field=rating,
        ),
    }


@transaction.atomic
def product_ratings_refresh(*, product_ids: Iterable[UUID], stores: bool = True) -> int:
    """Recompute average_rating and review_count of these products from their approved
    reviews, in ONE UPDATE however many they are; returns how many products were updated
    (the ones that still exist). Locks the products first, in primary-key order like every
    rating refresh: one waiting for another one's commit then counts that transaction's
    reviews too (under READ COMMITTED each statement sees what was committed before it
    started), and two refreshes cannot deadlock. With `stores` the storefront rating of
    their stores follows (store_ratings_refresh), their rows locked first (store rows
    before product rows, the project's lock order). Raises nothing."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    if stores:
        _lock_stores_of(ids)
    locked = _lock_in_pk_order(Product, ids)
    if not locked:
        return 0
    updated = Product.objects.filter(pk__in=locked).update(**_rating_fields())
    # The catalog shows (and sorts by) the rating: its cached answers go after commit.
    catalog_products_changed(product_ids=locked)
    if stores:
        store_ratings_refresh(
            store_ids=Product.objects.filter(pk__in=locked).values_list("store_id", flat=True)
        )
    return updated


@transaction.atomic
def store_ratings_refresh(*, store_ids: Iterable[UUID | None]) -> int:
    """Recompute the storefront average_rating and review_count of these stores over the
    approved reviews of their products, in one UPDATE, under the stores' row locks (taken
    in primary-key order; a review write has taken them already, before its products').
    Returns how many stores were updated. Raises nothing."""
    ids = sorted({pk for pk in store_ids if pk is not None})
    if not ids:
        return 0
    locked = _lock_in_pk_order(Store, ids)
    stores_changed()
    return Store.objects.filter(pk__in=locked).update(**_rating_fields(of="store"))


@transaction.atomic
def product_rating_refresh(*, product_id: UUID) -> Product | None:
    """product_ratings_refresh for one product; returns the product with its new rating
    fields, or None if it is gone. Raises nothing."""
    if not product_ratings_refresh(product_ids=[product_id]):
        return None
    return Product.objects.get(pk=product_id)


@transaction.atomic
def review_create(*, user, product_id: UUID, rating: int, comment: str = "") -> Review:
    """Post the user's review of a product. `verified_purchase` and the status are decided
    here. Raises BusinessValidationError (product unknown, inactive or deleted; bad rating
    or comment), OwnProductReview (the seller of the product) or ReviewExists (already
    reviewed)."""
    _check_rating(rating)
    comment = _check_comment(comment)
    product = _lock_product(product_id)
    if product is None or not product.is_sellable:
        raise BusinessValidationError({"product": [PRODUCT_NOT_REVIEWABLE]}, PRODUCT_NOT_REVIEWABLE)
    assert product.store is not None  # a sellable product has an approved store
    if product.store.owner_id == user.pk:
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
    publish(REVIEW_CREATED, review_id=review.pk)
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
    # Their stores, then the products in id order, like every rating refresh, so two
    # deletions cannot deadlock.
    _lock_stores_of(product_ids)
    _lock_in_pk_order(Product, product_ids)
    deleted, _ = Review.objects.filter(user_id__in=user_ids).delete()
    product_ratings_refresh(product_ids=product_ids)
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


def product_ratings_recompute_all(*, chunk_size: int = RECOMPUTE_CHUNK) -> int:
    """Refresh every product's rating fields, `chunk_size` products per transaction (one
    UPDATE each, memory flat whatever the catalog size); returns how many were refreshed.
    A repair tool, e.g. after reviews were removed outside these services (a user deleted
    in the admin cascades to their reviews). The stores' ratings follow, once each, at the
    end. Raises nothing."""
    count, last = 0, None
    while True:
        products = Product.objects.order_by("pk")
        if last is not None:
            products = products.filter(pk__gt=last)
        chunk = list(products.values_list("pk", flat=True)[:chunk_size])
        if not chunk:
            store_ratings_refresh(store_ids=Store.objects.values_list("pk", flat=True))
            return count
        count += product_ratings_refresh(product_ids=chunk, stores=False)
        last = chunk[-1]
