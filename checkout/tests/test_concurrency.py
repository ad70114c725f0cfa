"""Checkout under real concurrency: threads on separate PostgreSQL connections.

SQLite serialises writers on one file lock and ignores SELECT ... FOR UPDATE, so these
tests say nothing there and are skipped."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from cart.services import cart_add_item, cart_user_get_or_create
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from checkout.services import order_expire_unpaid, order_place
from core.exceptions import InsufficientStock
from core.tests.concurrency import run_concurrently
from orders.models import Order, OrderItem
from orders.tests.factories import ADDRESS, fill_cart, stock_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: real row locks and concurrent connections",
    ),
]


def checkout(user):
    return lambda: order_place(user=user, shipping_address=ADDRESS)


def test_twenty_buyers_race_for_five_items():
    product = ProductFactory(stock_quantity=5)
    buyers = UserFactory.create_batch(20)
    for buyer in buyers:
        fill_cart(buyer, {product: 1})

    outcomes = run_concurrently(*(checkout(buyer) for buyer in buyers))

    orders = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, InsufficientStock)]
    assert len(orders) == 5, outcomes
    assert len(refused) == 15, outcomes
    assert stock_of(product) == 0
    assert Order.objects.count() == 5
    assert sum(OrderItem.objects.values_list("quantity", flat=True)) == 5
    for error in refused:
        [line] = error.extra["lines"]
        assert line["requested"] == 1 and line["available"] == 0


def test_twenty_buyers_race_through_the_api(client_for):
    product = ProductFactory(stock_quantity=5)
    buyers = UserFactory.create_batch(20)
    for buyer in buyers:
        fill_cart(buyer, {product: 1})
    clients = [client_for(buyer) for buyer in buyers]

    def post(client):
        return lambda: client.post("/api/v1/orders/", {"shipping_address": ADDRESS})

    responses = run_concurrently(*(post(client) for client in clients))

    statuses = sorted(getattr(r, "status_code", repr(r)) for r in responses)
    assert statuses == [201] * 5 + [409] * 15
    assert {r.data["code"] for r in responses if r.status_code == 409} == {"insufficient_stock"}
    assert stock_of(product) == 0


def test_carts_holding_the_same_products_in_opposite_order_never_deadlock():
    first, second = ProductFactory(stock_quantity=100), ProductFactory(stock_quantity=100)
    alice, bob = UserFactory(), UserFactory()
    rounds = 20

    for _ in range(rounds):
        fill_cart(alice, {first: 1, second: 2})  # lines created first, second
        fill_cart(bob, {second: 3, first: 4})  # lines created second, first
        outcomes = run_concurrently(checkout(alice), checkout(bob))
        assert all(isinstance(o, Order) for o in outcomes), outcomes

    assert Order.objects.count() == 2 * rounds
    assert stock_of(first) == 100 - rounds * (1 + 4)
    assert stock_of(second) == 100 - rounds * (2 + 3)


def test_one_cart_checked_out_five_times_at_once_is_bought_once():
    product = ProductFactory(stock_quantity=50)
    buyer = UserFactory()
    fill_cart(buyer, {product: 2})

    outcomes = run_concurrently(*(checkout(buyer) for _ in range(5)))

    assert sum(isinstance(o, Order) for o in outcomes) == 1, outcomes
    # The others waited on the cart row lock and then found the cart empty.
    assert all(
        getattr(o, "code", None) == "validation_error" for o in outcomes if not isinstance(o, Order)
    )
    assert stock_of(product) == 48


def test_ten_posts_with_one_idempotency_key_make_one_order(client_for):
    product = ProductFactory(stock_quantity=50)
    buyer = UserFactory()
    fill_cart(buyer, {product: 1})
    clients = [client_for(buyer) for _ in range(10)]
    key = str(uuid.uuid4())

    def post(client):
        return lambda: client.post(
            "/api/v1/orders/", {"shipping_address": ADDRESS}, HTTP_IDEMPOTENCY_KEY=key
        )

    responses = run_concurrently(*(post(client) for client in clients))

    assert all(hasattr(r, "status_code") for r in responses), responses
    assert all(r.status_code in (201, 409) for r in responses), [r.status_code for r in responses]
    created = [r for r in responses if r.status_code == 201]
    conflicts = [r for r in responses if r.status_code == 409]
    assert created and {r.data["id"] for r in created} == {str(Order.objects.get().pk)}
    assert {r.data["code"] for r in conflicts} <= {"idempotency_conflict"}
    assert stock_of(product) == 49


def test_expiry_skips_an_order_locked_right_now_instead_of_waiting():
    product = ProductFactory(stock_quantity=5)
    buyer = UserFactory()
    fill_cart(buyer, {product: 2})
    order = order_place(user=buyer, shipping_address=ADDRESS)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=1))
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                Order.objects.select_for_update().get(pk=order.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        started = time.monotonic()
        expired = order_expire_unpaid(older_than=timedelta(hours=1))
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=30)

    assert expired == 0
    assert elapsed < 5
    assert Order.objects.get(pk=order.pk).status == "pending"
    # Once the lock is gone the next run picks it up.
    assert order_expire_unpaid(older_than=timedelta(hours=1)) == 1
    assert stock_of(product) == 5
    assert Product.objects.get(pk=product.pk).stock_quantity == 5


def test_concurrent_checkouts_of_one_user_never_exceed_the_unpaid_order_cap(settings):
    settings.ORDER_MAX_PENDING_PER_USER = 3
    user = UserFactory()
    product = ProductFactory(stock_quantity=100)

    def fill_then_check_out():
        cart_add_item(cart=cart_user_get_or_create(user=user), product_id=product.pk, quantity=1)
        return order_place(user=user, shipping_address=ADDRESS)

    outcomes = run_concurrently(*[fill_then_check_out for _ in range(8)])

    placed = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if not isinstance(o, Order)]
    assert 1 <= len(placed) <= 3
    assert Order.objects.filter(user=user, status="pending").count() == len(placed)
    # The others found the cart emptied by the one before them, or hit the cap.
    assert all(getattr(o, "code", "") in {"validation_error", "conflict"} for o in refused)
    assert stock_of(product) == 100 - sum(o.items.get().quantity for o in placed)
