"""A committed checkout answers its order, whatever fails after the commit, and an
Idempotency-Key never stays stuck: these run on every database, with real commits."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core.idempotency import _request_hash
from core.models import IdempotencyKey
from orders import tasks
from orders.models import Order
from orders.tests.factories import ADDRESS, cart_lines, fill_cart, stock_of

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/orders/"
INLINE = {"shipping_address": {k: v for k, v in ADDRESS.items() if v}}


@pytest.fixture
def failing_email(monkeypatch):
    """The confirmation email fails in the eager task, after the order committed."""

    def broken(*, order, kind):
        raise RuntimeError("SMTP server refused the connection")

    monkeypatch.setattr(tasks.emails, "send_order_email", broken)


def test_a_failing_confirmation_email_does_not_turn_a_committed_checkout_into_a_500(
    user, user_client, failing_email, caplog
):
    product = ProductFactory(stock_quantity=5)
    fill_cart(user, {product: 2})

    response = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="email-fails")

    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert response.json()["id"] == str(order.pk)
    assert stock_of(product) == 3
    assert cart_lines(user) == {}
    key = IdempotencyKey.objects.get()
    assert key.state == IdempotencyKey.State.COMPLETED
    assert key.response_body["id"] == str(order.pk)
    assert "SMTP server refused" in caplog.text


def test_a_failing_confirmation_email_without_a_key_still_answers_the_order(
    user, user_client, failing_email
):
    product = ProductFactory(stock_quantity=5)
    fill_cart(user, {product: 1})

    response = user_client.post(URL, INLINE)

    assert response.status_code == 201, response.content
    assert response.json()["id"] == str(Order.objects.get().pk)


def _abandoned_key(user, *, lease_ends, key="abandoned"):
    """A key as a request that died mid-checkout leaves it: in progress, nothing else."""
    request = type("Request", (), {"data": INLINE})()
    return IdempotencyKey.objects.create(
        user=user,
        scope=f"POST {URL}",
        key=key,
        request_hash=_request_hash(request),
        locked_until=lease_ends,
    )


def test_a_key_left_in_progress_by_a_dead_request_is_taken_over_after_its_lease(user, user_client):
    product = ProductFactory(stock_quantity=5)
    fill_cart(user, {product: 1})
    _abandoned_key(user, lease_ends=timezone.now() - timedelta(seconds=1))

    response = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="abandoned")
    replay = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="abandoned")

    assert response.status_code == 201, response.content
    assert replay.status_code == 201
    assert replay.json() == response.json()
    assert Order.objects.count() == 1
    key = IdempotencyKey.objects.get()
    assert key.state == IdempotencyKey.State.COMPLETED
    assert key.locked_until is None


def test_a_key_within_its_lease_answers_409_with_retry_after_and_changes_nothing(user, user_client):
    product = ProductFactory(stock_quantity=5)
    fill_cart(user, {product: 1})
    _abandoned_key(user, lease_ends=timezone.now() + timedelta(seconds=30))

    response = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="abandoned")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert 1 <= int(response["Retry-After"]) <= 30
    assert not Order.objects.exists()
    assert stock_of(product) == 5


def test_a_key_without_a_lease_from_before_leases_existed_is_taken_over(user, user_client):
    product = ProductFactory(stock_quantity=5)
    fill_cart(user, {product: 1})
    _abandoned_key(user, lease_ends=None)

    response = user_client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY="abandoned")

    assert response.status_code == 201, response.content
    assert Order.objects.count() == 1
