"""Concurrent reviews of one product (PostgreSQL only: SQLite has no row locks)."""

import threading
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from reviews.models import Review

THREADS = 8
RATINGS = [5, 4, 4, 3, 5, 2, 1, 5]  # sum 29 / 8 = 3.625 -> 3.63

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks (SELECT ... FOR UPDATE) need PostgreSQL; SQLite serializes writers",
)


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_of_one_product_are_all_counted():
    product = ProductFactory()
    users = [UserFactory() for _ in range(THREADS)]
    tokens = [str(RefreshToken.for_user(user).access_token) for user in users]
    barrier = threading.Barrier(THREADS)
    results: list = []

    def worker(token: str, rating: int):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait(timeout=10)
            response = client.post(
                "/api/v1/reviews/", {"product": str(product.pk), "rating": rating}
            )
            results.append(response.status_code)
        except Exception as exc:  # reported by the assertions below
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(token, rating))
        for token, rating in zip(tokens, RATINGS, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results == [201] * THREADS
    assert Review.objects.filter(product=product).count() == THREADS
    product.refresh_from_db()
    expected = (Decimal(sum(RATINGS)) / THREADS).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert (product.review_count, product.average_rating) == (THREADS, expected)
    assert expected == Decimal("3.63")
