"""Reviews in the admin: moderation and deletion go through the services."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from reviews.models import Review, ReviewStatus
from reviews.services import product_rating_refresh
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/reviews/review/"


@pytest.fixture
def admin_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def act(admin, action, *reviews):
    return admin.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(r.pk) for r in reviews]},
        follow=True,
    )


def test_the_changelist_searches_by_product_name_and_user_email_and_filters(admin):
    wanted = ReviewFactory(
        product=ProductFactory(name="Lavender soap"),
        user=UserFactory(email="findme@example.com"),
        rating=2,
    )
    ReviewFactory(rating=5)

    by_name = admin.get(CHANGELIST, {"q": "lavender"})
    by_email = admin.get(CHANGELIST, {"q": "findme"})
    by_rating = admin.get(CHANGELIST, {"rating": "2", "status": "approved"})

    assert list(by_name.context["cl"].result_list) == [wanted]
    assert list(by_email.context["cl"].result_list) == [wanted]
    assert list(by_rating.context["cl"].result_list) == [wanted]


def test_the_change_form_opens_read_only(admin):
    review = ReviewFactory(comment="Lovely")

    response = admin.get(f"{CHANGELIST}{review.pk}/change/")

    assert response.status_code == 200
    assert "Lovely" in response.content.decode()
    assert "rating" not in response.context["adminform"].form.fields


def test_the_approve_action_approves_and_counts(admin, admin_user):
    product = ProductFactory()
    reviews = [
        ReviewFactory(product=product, rating=r, status=ReviewStatus.PENDING) for r in (2, 5)
    ]

    act(admin, "approve_reviews", *reviews)

    assert set(Review.objects.values_list("status", "moderated_by")) == {
        (ReviewStatus.APPROVED, admin_user.pk)
    }
    product.refresh_from_db()
    assert (product.average_rating, product.review_count) == (Decimal("3.50"), 2)


def test_the_hide_action_hides_and_uncounts(admin):
    product = ProductFactory()
    review = ReviewFactory(product=product, rating=5)
    product_rating_refresh(product_id=product.pk)

    act(admin, "hide_reviews", review)

    review.refresh_from_db()
    assert review.status == ReviewStatus.HIDDEN
    product.refresh_from_db()
    assert product.review_count == 0


def test_bulk_deletion_refreshes_the_ratings(admin):
    product = ProductFactory()
    keep = ReviewFactory(product=product, rating=1)
    gone = ReviewFactory(product=product, rating=5)
    product_rating_refresh(product_id=product.pk)

    admin.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [str(gone.pk)], "post": "yes"},
    )

    assert list(Review.objects.all()) == [keep]
    product.refresh_from_db()
    assert (product.average_rating, product.review_count) == (Decimal("1.00"), 1)


def test_deleting_one_review_from_its_page_refreshes_the_rating(admin):
    product = ProductFactory()
    review = ReviewFactory(product=product, rating=5)
    product_rating_refresh(product_id=product.pk)

    admin.post(f"{CHANGELIST}{review.pk}/delete/", {"post": "yes"})

    assert not Review.objects.exists()
    product.refresh_from_db()
    assert product.review_count == 0


def test_reviews_cannot_be_added_in_the_admin(admin):
    assert admin.get(f"{CHANGELIST}add/").status_code == 403
