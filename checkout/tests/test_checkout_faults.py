"""Checkout while its database connection is killed (`pg_terminate_backend` from a second
connection) at chosen points, with the client retrying under one Idempotency-Key.

After every run: no ghost order (each committed order's key replays it), no key left in
progress, stock exact, and a committed checkout never answered 500."""

import pytest
from django.db import OperationalError, connection

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from checkout import services
from core import idempotency
from core.models import IdempotencyKey
from orders import tasks
from orders.models import Order, OrderItem
from orders.tests.factories import ADDRESS, fill_cart

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: pg_terminate_backend on a live connection",
    ),
]

URL = "/api/v1/orders/"
INLINE = {"shipping_address": {k: v for k, v in ADDRESS.items() if v}}
STOCK = 10


@pytest.fixture
def killer():
    """kill() terminates the backend of Django's connection from a second connection and
    waits until it is gone; `kills` counts them."""
    raw = connection.get_new_connection(connection.get_connection_params())
    raw.autocommit = True

    class Killer:
        kills = 0

        def kill(self):
            pid = connection.connection.info.backend_pid
            with raw.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                for _ in range(200):
                    cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                    if cursor.fetchone() is None:
                        break
            Killer.kills += 1

    yield Killer()
    raw.close()


def _once(killer, call):
    """Wrap `call` so that the first time it runs, the connection is killed."""

    def wrapped(*args, **kwargs):
        if killer.kills == 0:
            killer.kill()
        return call(*args, **kwargs)

    return wrapped


def _checkout_with_retries(client, key, attempts=5):
    answers = []
    for _ in range(attempts):
        # What a server does between two requests: drop a connection that broke.
        connection.close_if_unusable_or_obsolete()
        response = client.post(URL, INLINE, HTTP_IDEMPOTENCY_KEY=key)
        answers.append(response)
        if response.status_code == 201:
            break
    return answers


def _assert_invariants(user, product):
    connection.close_if_unusable_or_obsolete()
    orders = list(Order.objects.filter(user=user))
    assert len(orders) == 1
    key = IdempotencyKey.objects.get(user=user)
    assert key.state == IdempotencyKey.State.COMPLETED
    assert key.response_body["id"] == str(orders[0].pk)
    assert not IdempotencyKey.objects.filter(state=IdempotencyKey.State.IN_PROGRESS).exists()
    sold = sum(OrderItem.objects.filter(order__user=user).values_list("quantity", flat=True))
    assert sold == 2
    assert Product.objects.get(pk=product.pk).stock_quantity == STOCK - sold


@pytest.fixture
def buyer(user, user_client):
    product = ProductFactory(stock_quantity=STOCK)
    fill_cart(user, {product: 2})
    user_client.raise_request_exception = False
    return user, user_client, product


def test_killed_in_the_middle_of_the_checkout_nothing_commits_and_the_retry_succeeds(
    buyer, killer, monkeypatch
):
    user, client, product = buyer
    monkeypatch.setattr(services, "queue_order_email", _once(killer, services.queue_order_email))

    answers = _checkout_with_retries(client, "mid-checkout")

    assert killer.kills == 1
    assert [a.status_code for a in answers] == [500, 201]
    _assert_invariants(user, product)


def test_killed_just_before_the_commit_nothing_commits_and_the_retry_succeeds(
    buyer, killer, monkeypatch
):
    user, client, product = buyer
    monkeypatch.setattr(idempotency, "_complete", _once(killer, idempotency._complete))

    answers = _checkout_with_retries(client, "before-commit")

    assert killer.kills == 1
    assert [a.status_code for a in answers] == [500, 201]
    _assert_invariants(user, product)


def test_killed_after_the_commit_the_first_answer_is_the_order(buyer, killer, monkeypatch):
    user, client, product = buyer
    # The confirmation email runs on commit, before the answer is sent: kill it there.
    delay = tasks.send_order_email.delay
    monkeypatch.setattr(tasks.send_order_email, "delay", _once(killer, delay))

    answers = _checkout_with_retries(client, "after-commit")
    replay = _checkout_with_retries(client, "after-commit")

    assert killer.kills == 1
    assert [a.status_code for a in answers] == [201]
    assert replay[0].status_code == 201
    assert replay[0]["Idempotent-Replayed"] == "true"
    assert replay[0].json()["id"] == answers[0].json()["id"]
    _assert_invariants(user, product)


def test_a_commit_whose_acknowledgement_is_lost_answers_the_stored_order(
    buyer, killer, monkeypatch
):
    user, client, product = buyer
    commit, complete = connection.commit, idempotency._complete
    completed = []

    def complete_and_note(*args):
        complete(*args)
        completed.append(True)

    def commit_then_lose_the_connection():
        commit()
        if completed and killer.kills == 0:  # the checkout's commit, not the key claim's
            killer.kill()
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(idempotency, "_complete", complete_and_note)
    monkeypatch.setattr(connection, "commit", commit_then_lose_the_connection)

    answers = _checkout_with_retries(client, "lost-ack")

    assert killer.kills == 1
    assert [a.status_code for a in answers] == [201]
    assert answers[0]["Idempotent-Replayed"] == "true"
    _assert_invariants(user, product)
