"""The product's rating fields, as the catalog shows and sorts them, follow the reviews."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from reviews.models import Review

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
REVIEWS = "/api/v1/reviews/"


def post_reviews(client_for, product, *ratings):
    for rating in ratings:
        response = client_for(UserFactory()).post(
            REVIEWS, {"product": str(product.pk), "rating": rating}
        )
        assert response.status_code == 201, response.content


def test_the_product_detail_shows_the_rating_of_its_reviews(api_client, client_for):
    product = ProductFactory()
    post_reviews(client_for, product, 5, 4, 4)

    body = api_client.get(f"{PRODUCTS}{product.pk}/").json()

    assert (body["average_rating"], body["review_count"]) == ("4.33", 3)


def test_products_sort_by_the_rating_their_reviews_give_them(api_client, client_for):
    low, high, middle, unrated = (ProductFactory() for _ in range(4))
    post_reviews(client_for, low, 1, 2)
    post_reviews(client_for, high, 5)
    post_reviews(client_for, middle, 3, 4)

    best_first = api_client.get(PRODUCTS, {"ordering": "-rating"}).json()["results"]
    worst_first = api_client.get(PRODUCTS, {"ordering": "rating"}).json()["results"]

    assert [p["id"] for p in best_first] == [str(p.pk) for p in (high, middle, low, unrated)]
    assert [p["id"] for p in worst_first] == [str(p.pk) for p in (unrated, low, middle, high)]
    assert [p["average_rating"] for p in best_first] == ["5.00", "3.50", "1.50", "0.00"]


def test_hiding_the_best_review_moves_the_product_down(api_client, client_for, staff_client):
    first, second = ProductFactory(), ProductFactory()
    post_reviews(client_for, first, 5)
    post_reviews(client_for, second, 4)
    best = Review.objects.get(product=first)

    staff_client.post(f"{REVIEWS}{best.pk}/hide/")

    results = api_client.get(PRODUCTS, {"ordering": "-rating"}).json()["results"]
    assert [p["id"] for p in results] == [str(second.pk), str(first.pk)]
    first.refresh_from_db()
    assert (first.average_rating, first.review_count) == (Decimal("0.00"), 0)
