"""The lock order against other apps' writes, on real PostgreSQL connections, with the two
paths held at their riskiest point so that the interleaving is certain, not lucky."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory, approved_store_for
from catalog.tests.factories import ProductFactory
from checkout import services as checkout_services
from checkout.services import order_cancel, order_place
from core.tests.concurrency import run_concurrently
from orders.models import OrderStatus
from orders.tests.factories import ADDRESS, fill_cart
from payments.services import payment_create
from reviews import services as review_services
from reviews.services import review_create

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: real row locks and concurrent connections",
    ),
]


def test_a_paid_cancel_and_a_review_of_its_product_at_once_do_not_deadlock(monkeypatch):
    buyer, reviewer, owner = UserFactory(), UserFactory(), UserFactory(is_seller=True)
    product = ProductFactory(
        store=approved_store_for(owner), created_by=owner, price=Decimal("10.00"), stock_quantity=5
    )
    fill_cart(buyer, {product: 1})
    order = order_place(user=buyer, shipping_address=ADDRESS)
    payment_create(user=buyer, order_id=order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    # The cancel waits just before restocking (its refund holds the store's row by then),
    # the review just before its store's rating (it holds the product's row by then).
    cancel_holds_store, review_holds_product = threading.Event(), threading.Event()
    restock = checkout_services._restock
    store_ratings_refresh = review_services.store_ratings_refresh

    def restock_after_the_review_locked(items):
        cancel_holds_store.set()
        review_holds_product.wait(10)
        return restock(items)

    def store_rating_after_the_cancel_locked(**kwargs):
        review_holds_product.set()
        cancel_holds_store.wait(10)
        return store_ratings_refresh(**kwargs)

    monkeypatch.setattr(checkout_services, "_restock", restock_after_the_review_locked)
    monkeypatch.setattr(
        review_services, "store_ratings_refresh", store_rating_after_the_cancel_locked
    )

    outcomes = run_concurrently(
        lambda: order_cancel(order=order, by=buyer),
        lambda: review_create(user=reviewer, product_id=product.pk, rating=5),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
