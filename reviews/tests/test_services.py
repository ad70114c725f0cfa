"""Review services: the rules, and the product's rating fields after every kind of change."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from core.exceptions import BusinessValidationError
from orders.models import OrderStatus
from reviews import services
from reviews.exceptions import OwnProductReview, ReviewExists
from reviews.models import Review, ReviewStatus
from reviews.tests.factories import ReviewFactory, make_purchase

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(db):
    return ProductFactory()


def rating_of(product) -> tuple[Decimal, int]:
    product.refresh_from_db(fields=["average_rating", "review_count"])
    return product.average_rating, product.review_count


def review_by_new_user(product, rating: int) -> Review:
    return services.review_create(user=UserFactory(), product_id=product.pk, rating=rating)


# --- creating ---------------------------------------------------------------------------


def test_creating_a_review_counts_it_in_the_products_rating(product):
    review_by_new_user(product, 5)
    review_by_new_user(product, 4)
    review_by_new_user(product, 4)

    assert rating_of(product) == (Decimal("4.33"), 3)


def test_the_average_is_rounded_half_up_to_two_places(product):
    # 1 + 2 + 2 + 2 + 2 + 2 + 2 + 2 = 15 / 8 = 1.875 -> 1.88
    review_by_new_user(product, 1)
    for _ in range(7):
        review_by_new_user(product, 2)

    assert rating_of(product) == (Decimal("1.88"), 8)


def test_a_review_is_approved_at_once_without_approval_required(settings, user, product):
    settings.REVIEWS_REQUIRE_APPROVAL = False

    review = services.review_create(user=user, product_id=product.pk, rating=3)

    assert review.status == ReviewStatus.APPROVED
    assert rating_of(product) == (Decimal("3.00"), 1)


def test_with_approval_required_a_new_review_waits_and_does_not_count(settings, user, product):
    settings.REVIEWS_REQUIRE_APPROVAL = True

    review = services.review_create(user=user, product_id=product.pk, rating=3)

    assert review.status == ReviewStatus.PENDING
    assert rating_of(product) == (Decimal("0.00"), 0)


def test_a_second_review_of_the_same_product_is_a_conflict(user, product):
    services.review_create(user=user, product_id=product.pk, rating=3)

    with pytest.raises(ReviewExists):
        services.review_create(user=user, product_id=product.pk, rating=5)

    assert Review.objects.filter(user=user).count() == 1
    assert rating_of(product) == (Decimal("3.00"), 1)


def test_a_duplicate_that_slips_past_the_check_is_caught_by_the_constraint(
    monkeypatch, user, product
):
    # What a concurrent first review by the same user looks like: the check saw nothing,
    # the insert hits the unique constraint.
    services.review_create(user=user, product_id=product.pk, rating=3)
    monkeypatch.setattr(services, "_already_reviewed", lambda **kwargs: False)

    with pytest.raises(ReviewExists):
        services.review_create(user=user, product_id=product.pk, rating=5)

    assert Review.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    "changes", [{"is_active": False}, {"is_deleted": True}], ids=["inactive", "deleted"]
)
def test_a_product_not_on_sale_cannot_be_reviewed(user, changes):
    product = ProductFactory(**changes)

    with pytest.raises(BusinessValidationError):
        services.review_create(user=user, product_id=product.pk, rating=4)

    assert not Review.objects.exists()


def test_a_seller_cannot_review_their_own_product(seller):
    product = ProductFactory(created_by=seller)

    with pytest.raises(OwnProductReview):
        services.review_create(user=seller, product_id=product.pk, rating=5)


@pytest.mark.parametrize("rating", [0, 6, -1, True, "5"])
def test_a_rating_outside_1_to_5_is_refused_by_the_service(user, product, rating):
    with pytest.raises(BusinessValidationError):
        services.review_create(user=user, product_id=product.pk, rating=rating)


def test_a_comment_over_2000_characters_is_refused_by_the_service(user, product):
    with pytest.raises(BusinessValidationError):
        services.review_create(user=user, product_id=product.pk, rating=4, comment="x" * 2001)


# --- verified purchase ------------------------------------------------------------------


@pytest.mark.parametrize("status", [OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED])
def test_a_review_after_a_purchase_is_a_verified_purchase(user, product, status):
    make_purchase(user, product, status)

    review = services.review_create(user=user, product_id=product.pk, rating=5)

    assert review.verified_purchase is True


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.CANCELLED])
def test_an_unpaid_or_cancelled_order_is_not_a_purchase(user, product, status):
    make_purchase(user, product, status)

    review = services.review_create(user=user, product_id=product.pk, rating=5)

    assert review.verified_purchase is False


def test_buying_another_product_or_another_user_buying_does_not_verify(user, product):
    make_purchase(user, ProductFactory())
    make_purchase(UserFactory(), product)

    review = services.review_create(user=user, product_id=product.pk, rating=5)

    assert review.verified_purchase is False


def test_an_edit_after_buying_marks_the_review_verified(user, product):
    review = services.review_create(user=user, product_id=product.pk, rating=3)
    make_purchase(user, product, OrderStatus.PAID)

    review = services.review_update(review=review, comment="Bought it since.")

    assert review.verified_purchase is True


# --- editing ----------------------------------------------------------------------------


def test_editing_the_rating_updates_the_products_rating(user, product):
    review_by_new_user(product, 5)
    review = services.review_create(user=user, product_id=product.pk, rating=5)

    services.review_update(review=review, rating=2)

    assert rating_of(product) == (Decimal("3.50"), 2)


def test_with_approval_required_an_edited_approved_review_goes_back_to_pending(
    settings, user, staff, product
):
    review = services.review_create(user=user, product_id=product.pk, rating=5)
    services.review_approve(review=review, by=staff)
    settings.REVIEWS_REQUIRE_APPROVAL = True

    review = services.review_update(review=review, rating=1)

    assert review.status == ReviewStatus.PENDING
    assert (review.moderated_by, review.moderated_at) == (None, None)
    assert rating_of(product) == (Decimal("0.00"), 0)


def test_with_approval_required_an_edit_that_changes_nothing_keeps_it_approved(
    settings, user, product
):
    review = services.review_create(user=user, product_id=product.pk, rating=5, comment="Hi")
    settings.REVIEWS_REQUIRE_APPROVAL = True

    review = services.review_update(review=review, rating=5, comment="Hi")

    assert review.status == ReviewStatus.APPROVED


def test_without_approval_required_an_edit_stays_approved(settings, user, product):
    settings.REVIEWS_REQUIRE_APPROVAL = False
    review = services.review_create(user=user, product_id=product.pk, rating=5)

    review = services.review_update(review=review, rating=1)

    assert review.status == ReviewStatus.APPROVED
    assert rating_of(product) == (Decimal("1.00"), 1)


def test_editing_a_hidden_review_keeps_it_hidden(user, staff, product):
    review = services.review_create(user=user, product_id=product.pk, rating=5)
    services.review_hide(review=review, by=staff)

    review = services.review_update(review=review, rating=4)

    assert review.status == ReviewStatus.HIDDEN
    assert rating_of(product) == (Decimal("0.00"), 0)


# --- moderation and deletion ------------------------------------------------------------


def test_approving_a_pending_review_counts_it_and_records_the_moderator(
    settings, user, staff, product
):
    settings.REVIEWS_REQUIRE_APPROVAL = True
    review_by_new_user(product, 2)  # pending, not counted
    review = services.review_create(user=user, product_id=product.pk, rating=4)

    review = services.review_approve(review=review, by=staff)

    assert review.status == ReviewStatus.APPROVED
    assert review.moderated_by == staff
    assert review.moderated_at is not None
    assert rating_of(product) == (Decimal("4.00"), 1)


def test_hiding_an_approved_review_stops_counting_it(user, staff, product):
    review_by_new_user(product, 2)
    review = services.review_create(user=user, product_id=product.pk, rating=5)

    review = services.review_hide(review=review, by=staff)

    assert review.status == ReviewStatus.HIDDEN
    assert review.moderated_by == staff
    assert rating_of(product) == (Decimal("2.00"), 1)


def test_approving_a_hidden_review_counts_it_again(user, staff, product):
    review = services.review_create(user=user, product_id=product.pk, rating=5)
    services.review_hide(review=review, by=staff)

    services.review_approve(review=review, by=staff)

    assert rating_of(product) == (Decimal("5.00"), 1)


def test_deleting_a_review_removes_it_from_the_rating(user, product):
    review_by_new_user(product, 1)
    review = services.review_create(user=user, product_id=product.pk, rating=5)

    services.review_delete(review=review)

    assert not Review.objects.filter(pk=review.pk).exists()
    assert rating_of(product) == (Decimal("1.00"), 1)


def test_deleting_the_last_review_resets_the_rating_to_zero(user, product):
    review = services.review_create(user=user, product_id=product.pk, rating=5)

    services.review_delete(review=review)

    assert rating_of(product) == (Decimal("0.00"), 0)


def test_the_recompute_command_repairs_ratings_changed_behind_the_services(product):
    ReviewFactory(product=product, rating=5)
    ReviewFactory(product=product, rating=2)
    ReviewFactory(product=product, rating=1, status=ReviewStatus.HIDDEN)
    assert rating_of(product) == (Decimal("0.00"), 0)  # the factory bypasses the services

    call_command("recompute_ratings", stdout=None)

    assert rating_of(product) == (Decimal("3.50"), 2)


def test_refreshing_many_products_sets_each_rating_in_one_update(django_assert_num_queries):
    # 4 + 4 + 3 + 3 + 3 + 3 + 3 + 2 = 25 / 8 = 3.125 -> 3.13 (half up, not to even)
    half_up, plain, unreviewed, only_hidden = (ProductFactory() for _ in range(4))
    for rating in (4, 4, 3, 3, 3, 3, 3, 2):
        ReviewFactory(product=half_up, rating=rating)
    ReviewFactory(product=plain, rating=5)
    ReviewFactory(product=plain, rating=4, status=ReviewStatus.PENDING)
    ReviewFactory(product=only_hidden, rating=1, status=ReviewStatus.HIDDEN)
    ids = [product.pk for product in (half_up, plain, unreviewed, only_hidden)]
    # Stale figures the refresh must overwrite, zeros included.
    Product.objects.filter(pk__in=ids).update(average_rating=Decimal("4.99"), review_count=7)

    # The savepoint and its release, the lock and the one UPDATE.
    with django_assert_num_queries(4):
        updated = services.product_ratings_refresh(product_ids=[*ids, *ids], stores=False)

    assert updated == 4
    assert rating_of(half_up) == (Decimal("3.13"), 8)
    assert rating_of(plain) == (Decimal("5.00"), 1)
    assert rating_of(unreviewed) == (Decimal("0.00"), 0)
    assert rating_of(only_hidden) == (Decimal("0.00"), 0)


def test_the_stores_of_refreshed_products_follow_in_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    products = [ProductFactory() for _ in range(6)]
    for product in products:
        ReviewFactory(product=product, rating=4)

    # The stores' locks first (1), the products' refresh (4), then the stores: their ids,
    # their locks, one UPDATE, in a savepoint (5), however many products and stores.
    with django_assert_max_num_queries(10):
        services.product_ratings_refresh(product_ids=[product.pk for product in products])

    for product in products:
        product.store.refresh_from_db()
        assert (product.store.average_rating, product.store.review_count) == (Decimal("4.00"), 1)


def test_refreshing_products_that_are_gone_updates_nothing(product):
    ReviewFactory(product=product, rating=3)
    gone = ProductFactory()
    gone_id = gone.pk
    gone.delete()

    assert services.product_ratings_refresh(product_ids=[]) == 0
    assert services.product_ratings_refresh(product_ids=[gone_id]) == 0
    assert services.product_rating_refresh(product_id=gone_id) is None
    assert services.product_ratings_refresh(product_ids=[gone_id, product.pk]) == 1
    assert rating_of(product) == (Decimal("3.00"), 1)


def test_recomputing_every_rating_goes_through_the_catalog_chunk_by_chunk():
    products = [ProductFactory() for _ in range(5)]
    for number, product in enumerate(products, start=1):
        ReviewFactory(product=product, rating=number)

    refreshed = services.product_ratings_recompute_all(chunk_size=2)

    assert refreshed == 5
    assert [rating_of(product) for product in products] == [
        (Decimal(f"{number}.00"), 1) for number in range(1, 6)
    ]
