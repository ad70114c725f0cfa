"""Concurrent moves of one wishlist item (PostgreSQL only: SQLite has no row locks)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from cart.models import CartItem
from catalog.tests.factories import ProductFactory
from wishlist.models import WishlistItem
from wishlist.tests.factories import WishlistFactory, WishlistItemFactory

THREADS = 6

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks (SELECT ... FOR UPDATE) need PostgreSQL; SQLite serializes writers",
)


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_item_moved_by_concurrent_requests_reaches_the_cart_once():
    user = UserFactory()
    product = ProductFactory(stock_quantity=100)
    item = WishlistItemFactory(wishlist=WishlistFactory(user=user), product=product)
    access = str(RefreshToken.for_user(user).access_token)
    barrier = threading.Barrier(THREADS)
    results: list = []

    def worker():
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
            barrier.wait(timeout=10)
            response = client.post(f"/api/v1/wishlist/{item.pk}/move-to-cart/", {"quantity": 2})
            results.append(response.status_code)
        except Exception as exc:  # reported by the assertions below
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results, key=str) == [200] + [404] * (THREADS - 1)
    assert list(CartItem.objects.values_list("product_id", "quantity")) == [(product.pk, 2)]
    assert not WishlistItem.objects.exists()
