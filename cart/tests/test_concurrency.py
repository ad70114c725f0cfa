"""Concurrent merges of one guest cart (PostgreSQL only: SQLite has no row locks)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from cart.models import Cart, CartItem
from cart.tests.factories import CartFactory, CartItemFactory
from cart.tests.helpers import CART, token_header
from catalog.tests.factories import ProductFactory

THREADS = 8

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks (SELECT ... FOR UPDATE) need PostgreSQL; SQLite serializes writers",
)


def _get_cart_concurrently(user, token: str) -> list:
    access = str(RefreshToken.for_user(user).access_token)
    barrier = threading.Barrier(THREADS)
    results: list = []

    def worker():
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
            barrier.wait(timeout=10)
            response = client.get(CART, **token_header(token))
            results.append((response.status_code, response.json()))
        except Exception as exc:  # reported by the assertions below
            results.append((None, repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("user_has_cart", [True, False], ids=["existing-cart", "no-cart-yet"])
def test_concurrent_requests_with_one_guest_token_merge_it_exactly_once(user_has_cart):
    user = UserFactory()
    shared = ProductFactory(stock_quantity=100)
    guest_only = ProductFactory(stock_quantity=100)
    if user_has_cart:
        CartItemFactory(cart=CartFactory(user=user), product=shared, quantity=2)
    guest = CartFactory(guest=True)
    CartItemFactory(cart=guest, product=shared, quantity=3)
    CartItemFactory(cart=guest, product=guest_only, quantity=4)

    results = _get_cart_concurrently(user, guest.token)

    assert len(results) == THREADS
    assert all(status == 200 for status, _ in results), results
    expected = {shared.pk: 5 if user_has_cart else 3, guest_only.pk: 4}
    cart = Cart.objects.get(user=user)
    assert dict(cart.items.values_list("product_id", "quantity")) == expected
    assert not Cart.objects.filter(pk=guest.pk).exists()
    assert CartItem.objects.count() == 2
    # Every answer shows the user's cart, merged or (for a request that saw the guest
    # cart before the merge committed) at most waiting for it: never a half merge.
    for _, body in results:
        assert body["id"] == str(cart.pk)
        assert body["item_count"] == sum(expected.values())
