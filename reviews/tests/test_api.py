"""reviews/ through the API: visibility per role, writing, moderation, ordering, queries."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from orders.models import OrderStatus
from reviews.models import Review, ReviewStatus
from reviews.services import product_rating_refresh
from reviews.tests.factories import ReviewFactory, make_purchase, name_user

pytestmark = pytest.mark.django_db

REVIEWS = "/api/v1/reviews/"


def review_url(review, action: str = "") -> str:
    return f"{REVIEWS}{review.pk}/" + (f"{action}/" if action else "")


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    return body


@pytest.fixture
def product(db):
    return ProductFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def other_client(other_user, client_for):
    return client_for(other_user)


# --- reading ----------------------------------------------------------------------------


def test_anyone_lists_approved_reviews_only(api_client, product):
    approved = ReviewFactory(product=product)
    ReviewFactory(product=product, status=ReviewStatus.PENDING)
    ReviewFactory(product=product, status=ReviewStatus.HIDDEN)

    assert ids(api_client.get(REVIEWS)) == [str(approved.pk)]


def test_reviews_of_products_no_longer_on_sale_are_not_listed_publicly(api_client):
    ReviewFactory(product=ProductFactory(is_active=False))
    ReviewFactory(product=ProductFactory(is_deleted=True))

    assert ids(api_client.get(REVIEWS)) == []


def test_an_author_also_sees_their_own_pending_and_hidden_reviews(user, user_client, product):
    pending = ReviewFactory(user=user, status=ReviewStatus.PENDING)
    hidden = ReviewFactory(user=user, status=ReviewStatus.HIDDEN)
    ReviewFactory(status=ReviewStatus.PENDING)  # someone else's

    assert set(ids(user_client.get(REVIEWS))) == {str(pending.pk), str(hidden.pk)}


def test_staff_see_every_review_and_filter_by_status_and_user(staff_client, user):
    approved = ReviewFactory(user=user)
    pending = ReviewFactory(status=ReviewStatus.PENDING)
    hidden = ReviewFactory(status=ReviewStatus.HIDDEN)

    assert set(ids(staff_client.get(REVIEWS))) == {
        str(approved.pk),
        str(pending.pk),
        str(hidden.pk),
    }
    assert ids(staff_client.get(REVIEWS, {"status": "pending"})) == [str(pending.pk)]
    assert ids(staff_client.get(REVIEWS, {"user": str(user.pk)})) == [str(approved.pk)]


@pytest.mark.parametrize("as_user", [False, True], ids=["anonymous", "customer"])
def test_only_staff_may_filter_by_user(api_client, user_client, as_user, user):
    client = user_client if as_user else api_client

    response = client.get(REVIEWS, {"user": str(user.pk)})

    assert_error(response, 403, "permission_denied")


def test_the_list_filters_by_product(api_client, product):
    mine = ReviewFactory(product=product)
    ReviewFactory()

    assert ids(api_client.get(REVIEWS, {"product": str(product.pk)})) == [str(mine.pk)]


@pytest.mark.parametrize(
    "params",
    [{"product": "not-a-uuid"}, {"ordering": "email"}, {"status": "deleted"}],
    ids=["product", "ordering", "status"],
)
def test_malformed_filters_are_a_400(api_client, params):
    response = api_client.get(REVIEWS, params)

    body = assert_error(response, 400, "validation_error")
    assert set(body["errors"]) == set(params)


def test_the_list_is_newest_first_by_default_and_sorts_by_rating(api_client, product):
    old = ReviewFactory(product=product, rating=5)
    middle = ReviewFactory(product=product, rating=1)
    new = ReviewFactory(product=product, rating=3)

    assert ids(api_client.get(REVIEWS)) == [str(new.pk), str(middle.pk), str(old.pk)]
    assert ids(api_client.get(REVIEWS, {"ordering": "created_at"})) == [
        str(old.pk),
        str(middle.pk),
        str(new.pk),
    ]
    assert ids(api_client.get(REVIEWS, {"ordering": "-rating"})) == [
        str(old.pk),
        str(new.pk),
        str(middle.pk),
    ]
    assert ids(api_client.get(REVIEWS, {"ordering": "rating"})) == [
        str(middle.pk),
        str(new.pk),
        str(old.pk),
    ]


def test_a_review_shows_a_display_name_and_never_the_email(api_client, product):
    named = name_user(UserFactory(email="ada@example.com"), "Ada", "Lovelace")
    private = name_user(UserFactory(), "Grace", "Hopper", visibility="private")
    ReviewFactory(product=product, user=named)
    ReviewFactory(product=product, user=private)
    ReviewFactory(product=product)  # no name at all

    response = api_client.get(REVIEWS)

    assert sorted(row["author"] for row in response.json()["results"]) == [
        "Ada L.",
        "Anonymous",
        "Anonymous",
    ]
    assert "@example.com" not in response.content.decode()
    assert str(named.pk) not in response.content.decode()


def test_a_review_has_its_documented_fields(api_client, product):
    review = ReviewFactory(product=product, rating=4, comment="<b>Nice</b>")

    body = api_client.get(review_url(review)).json()

    assert set(body) == {
        "id",
        "product",
        "author",
        "rating",
        "comment",
        "status",
        "verified_purchase",
        "moderated_at",
        "created_at",
        "updated_at",
    }
    assert body["product"] == str(product.pk)
    assert body["comment"] == "<b>Nice</b>"  # plain text, returned as given, never rendered


def test_the_list_query_count_does_not_grow_with_the_page(
    api_client, user_client, product, django_assert_max_num_queries
):
    for _ in range(3):
        ReviewFactory(product=product, user=name_user(UserFactory()))
    with django_assert_max_num_queries(2):  # count + page
        small = api_client.get(REVIEWS, {"page_size": 3})
    for _ in range(20):
        ReviewFactory(product=product, user=name_user(UserFactory()))

    with django_assert_max_num_queries(2):
        big = api_client.get(REVIEWS, {"page_size": 23})
    with django_assert_max_num_queries(3):  # + the authenticated user
        user_client.get(REVIEWS, {"page_size": 23})

    assert len(small.json()["results"]) == 3
    assert len(big.json()["results"]) == 23


def test_a_review_the_caller_cannot_see_is_a_404(api_client, user_client, other_user):
    pending = ReviewFactory(user=other_user, status=ReviewStatus.PENDING)

    assert_error(api_client.get(review_url(pending)), 404, "not_found")
    assert_error(user_client.get(review_url(pending)), 404, "not_found")
    assert_error(api_client.get(f"{REVIEWS}not-a-uuid/"), 404, "not_found")


# --- creating ---------------------------------------------------------------------------


def test_a_customer_posts_a_review(user, user_client, product):
    response = user_client.post(
        REVIEWS, {"product": str(product.pk), "rating": 4, "comment": "  Works well.  "}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rating"], body["comment"], body["status"]) == (4, "Works well.", "approved")
    assert body["verified_purchase"] is False
    review = Review.objects.get(pk=body["id"])
    assert (review.user, review.product) == (user, product)
    product.refresh_from_db()
    assert (product.average_rating, product.review_count) == (Decimal("4.00"), 1)


def test_a_posted_review_is_pending_when_approval_is_required(settings, user_client, product):
    settings.REVIEWS_REQUIRE_APPROVAL = True

    response = user_client.post(REVIEWS, {"product": str(product.pk), "rating": 4})

    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    product.refresh_from_db()
    assert product.review_count == 0


def test_a_purchase_makes_the_review_verified_whatever_the_client_says(user, user_client, product):
    make_purchase(user, product, OrderStatus.DELIVERED)
    unbought = ProductFactory()

    bought = user_client.post(REVIEWS, {"product": str(product.pk), "rating": 5})
    claimed = user_client.post(
        REVIEWS, {"product": str(unbought.pk), "rating": 5, "verified_purchase": True}
    )

    assert bought.json()["verified_purchase"] is True
    assert claimed.json()["verified_purchase"] is False


def test_the_client_cannot_choose_the_status(settings, user_client, product):
    settings.REVIEWS_REQUIRE_APPROVAL = True

    response = user_client.post(
        REVIEWS, {"product": str(product.pk), "rating": 5, "status": "approved"}
    )

    assert response.json()["status"] == "pending"


def test_a_second_review_of_the_same_product_is_409(user, user_client, product):
    ReviewFactory(user=user, product=product)

    response = user_client.post(REVIEWS, {"product": str(product.pk), "rating": 2})

    assert_error(response, 409, "conflict")
    assert Review.objects.filter(user=user).count() == 1


def test_anonymous_cannot_post_a_review(api_client, product):
    response = api_client.post(REVIEWS, {"product": str(product.pk), "rating": 4})

    assert_error(response, 401, "not_authenticated")
    assert not Review.objects.exists()


@pytest.mark.parametrize("rating", [0, 6, -1, 4.5, "five", None, True, ""])
def test_a_rating_that_is_not_1_to_5_is_a_400(user_client, product, rating):
    response = user_client.post(REVIEWS, {"product": str(product.pk), "rating": rating})

    body = assert_error(response, 400, "validation_error")
    assert "rating" in body["errors"]
    assert not Review.objects.exists()


def test_a_missing_rating_or_product_is_a_400(user_client):
    body = assert_error(user_client.post(REVIEWS, {}), 400, "validation_error")

    assert {"rating", "product"} <= set(body["errors"])


def test_a_comment_over_2000_characters_is_a_400(user_client, product):
    response = user_client.post(
        REVIEWS, {"product": str(product.pk), "rating": 4, "comment": "x" * 2001}
    )

    body = assert_error(response, 400, "validation_error")
    assert "comment" in body["errors"]


def test_a_comment_of_exactly_2000_characters_after_trimming_is_accepted(user_client, product):
    response = user_client.post(
        REVIEWS, {"product": str(product.pk), "rating": 4, "comment": "  " + "x" * 2000 + "\n"}
    )

    assert response.status_code == 201
    assert len(response.json()["comment"]) == 2000


def test_control_characters_are_dropped_from_the_comment(user_client, product):
    body = (
        f'{{"product": "{product.pk}", "rating": 4, '
        '"comment": "Good value\\u0007\\r\\nwould buy\\tagain\\u001b"}'
    )

    response = user_client.post(REVIEWS, body, content_type="application/json")

    assert response.status_code == 201, response.content
    assert response.json()["comment"] == "Good value\nwould buy\tagain"
    assert Review.objects.get().comment == "Good value\nwould buy\tagain"


@pytest.mark.parametrize("character", ["\\u0000", "\\ud800"], ids=["nul", "lone-surrogate"])
def test_a_comment_with_a_character_no_text_can_hold_is_a_400(user_client, product, character):
    # Valid JSON, but PostgreSQL stores no NUL and UTF-8 encodes no lone surrogate: the
    # API's JSON parser refuses both, in any field, before a view sees them.
    body = f'{{"product": "{product.pk}", "rating": 4, "comment": "Good{character} value"}}'

    response = user_client.post(REVIEWS, body, content_type="application/json")

    assert_error(response, 400, "validation_error")
    assert not Review.objects.exists()


@pytest.mark.parametrize("comment", [["a list"], {"an": "object"}, False])
def test_a_comment_that_is_not_text_is_a_400(user_client, product, comment):
    response = user_client.post(
        REVIEWS, {"product": str(product.pk), "rating": 4, "comment": comment}
    )

    assert_error(response, 400, "validation_error")


@pytest.mark.parametrize(
    "product_id",
    ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "inactive", "deleted"],
)
def test_reviewing_an_unknown_or_hidden_product_is_a_400(user_client, product_id):
    if product_id == "inactive":
        product_id = str(ProductFactory(is_active=False).pk)
    elif product_id == "deleted":
        product_id = str(ProductFactory(is_deleted=True).pk)

    response = user_client.post(REVIEWS, {"product": product_id, "rating": 4})

    body = assert_error(response, 400, "validation_error")
    assert "product" in body["errors"]


def test_a_seller_cannot_review_their_own_product_but_can_review_others(seller, seller_client):
    own = ProductFactory(created_by=seller)

    refused = seller_client.post(REVIEWS, {"product": str(own.pk), "rating": 5})
    allowed = seller_client.post(REVIEWS, {"product": str(ProductFactory().pk), "rating": 5})

    assert_error(refused, 403, "permission_denied")
    assert allowed.status_code == 201


# --- editing and deleting ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_an_author_edits_their_review(user, user_client, product, method):
    review = ReviewFactory(user=user, product=product, rating=5, comment="Great")

    response = getattr(user_client, method)(review_url(review), {"rating": 2, "comment": " Meh "})

    assert response.status_code == 200, response.content
    assert (response.json()["rating"], response.json()["comment"]) == (2, "Meh")
    product.refresh_from_db()
    assert (product.average_rating, product.review_count) == (Decimal("2.00"), 1)


def test_patch_changes_only_what_is_sent_and_put_needs_the_rating(user, user_client):
    review = ReviewFactory(user=user, rating=5, comment="Great")

    patched = user_client.patch(review_url(review), {"comment": "Still great"})
    put = user_client.put(review_url(review), {"comment": "No rating"})

    assert (patched.json()["rating"], patched.json()["comment"]) == (5, "Still great")
    body = assert_error(put, 400, "validation_error")
    assert "rating" in body["errors"]


def test_an_invalid_edit_is_a_400_and_changes_nothing(user, user_client):
    review = ReviewFactory(user=user, rating=5)

    response = user_client.patch(review_url(review), {"rating": 9})

    assert_error(response, 400, "validation_error")
    review.refresh_from_db()
    assert review.rating == 5


def test_with_approval_required_an_edited_review_goes_back_to_pending(
    settings, user, user_client, product
):
    settings.REVIEWS_REQUIRE_APPROVAL = True
    review = ReviewFactory(user=user, product=product, rating=5)
    product_rating_refresh(product_id=product.pk)

    response = user_client.patch(review_url(review), {"rating": 1})

    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    product.refresh_from_db()
    assert (product.average_rating, product.review_count) == (Decimal("0.00"), 0)


def test_changing_another_users_visible_review_is_403(user_client, other_user):
    review = ReviewFactory(user=other_user, rating=5)

    for method in ("put", "patch"):
        response = getattr(user_client, method)(review_url(review), {"rating": 1})
        assert_error(response, 403, "permission_denied")
    assert_error(user_client.delete(review_url(review)), 403, "permission_denied")
    review.refresh_from_db()
    assert review.rating == 5


def test_changing_another_users_invisible_review_is_404(user_client, other_user):
    review = ReviewFactory(user=other_user, rating=5, status=ReviewStatus.PENDING)

    assert_error(user_client.patch(review_url(review), {"rating": 1}), 404, "not_found")
    assert_error(user_client.delete(review_url(review)), 404, "not_found")
    assert Review.objects.filter(pk=review.pk).exists()


def test_anonymous_cannot_change_or_delete_a_review(api_client):
    review = ReviewFactory()

    assert_error(api_client.patch(review_url(review), {"rating": 1}), 401, "not_authenticated")
    assert_error(api_client.delete(review_url(review)), 401, "not_authenticated")


def test_staff_cannot_edit_someone_elses_review(staff_client):
    review = ReviewFactory(rating=5)

    assert_error(staff_client.patch(review_url(review), {"rating": 1}), 403, "permission_denied")


def test_an_author_deletes_their_review_and_the_rating_follows(user, user_client, product):
    ReviewFactory(product=product, rating=2)
    review = ReviewFactory(user=user, product=product, rating=4)
    product_rating_refresh(product_id=product.pk)

    response = user_client.delete(review_url(review))

    assert response.status_code == 204
    assert not Review.objects.filter(pk=review.pk).exists()
    product.refresh_from_db()
    assert (product.average_rating, product.review_count) == (Decimal("2.00"), 1)


def test_an_author_may_delete_their_hidden_review(user, user_client):
    review = ReviewFactory(user=user, status=ReviewStatus.HIDDEN)

    assert user_client.delete(review_url(review)).status_code == 204


@pytest.mark.parametrize("status", list(ReviewStatus))
def test_staff_delete_any_review(staff_client, status):
    review = ReviewFactory(status=status)

    assert staff_client.delete(review_url(review)).status_code == 204
    assert not Review.objects.filter(pk=review.pk).exists()


# --- moderation -------------------------------------------------------------------------


def test_staff_approve_a_pending_review(staff, staff_client, product):
    review = ReviewFactory(product=product, rating=3, status=ReviewStatus.PENDING)

    response = staff_client.post(review_url(review, "approve"))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    review.refresh_from_db()
    assert review.moderated_by == staff and review.moderated_at is not None
    product.refresh_from_db()
    assert (product.average_rating, product.review_count) == (Decimal("3.00"), 1)


def test_staff_hide_an_approved_review(staff, staff_client, api_client, product):
    review = ReviewFactory(product=product, rating=3)
    product_rating_refresh(product_id=product.pk)

    response = staff_client.post(review_url(review, "hide"))

    assert response.status_code == 200
    assert response.json()["status"] == "hidden"
    review.refresh_from_db()
    assert review.moderated_by == staff
    product.refresh_from_db()
    assert (product.average_rating, product.review_count) == (Decimal("0.00"), 0)
    assert_error(api_client.get(review_url(review)), 404, "not_found")


@pytest.mark.parametrize("action", ["approve", "hide"])
def test_customers_and_even_the_author_cannot_moderate(user, user_client, action):
    review = ReviewFactory(user=user, status=ReviewStatus.PENDING)

    response = user_client.post(review_url(review, action))

    assert_error(response, 403, "permission_denied")
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING


@pytest.mark.parametrize("action", ["approve", "hide"])
def test_anonymous_cannot_moderate(api_client, action):
    review = ReviewFactory(status=ReviewStatus.PENDING)

    assert_error(api_client.post(review_url(review, action)), 401, "not_authenticated")


def test_moderating_an_unknown_review_is_404(staff_client):
    response = staff_client.post(f"{REVIEWS}00000000-0000-0000-0000-000000000000/approve/")

    assert_error(response, 404, "not_found")
