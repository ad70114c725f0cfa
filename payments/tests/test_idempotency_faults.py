"""POST payments/ keeps the Idempotency-Key guarantees when something fails around its
commits: a charged payment is answered, never twice charged, and the key never sticks."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from core import idempotency
from core.models import IdempotencyKey
from orders import tasks
from orders.models import OrderStatus
from payments.models import Payment, PaymentStatus
from payments.providers.fake import FakeProvider

URL = "/api/v1/payments/"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def charges(monkeypatch):
    """Counts the calls that reach the fake provider (each one would be a charge)."""
    calls = []
    original = FakeProvider.create_payment

    def counting(self, *, payment, token):
        calls.append(token)
        return original(self, payment=payment, token=token)

    monkeypatch.setattr(FakeProvider, "create_payment", counting)
    return calls


def _pay(client, order, key):
    body = {"order_id": str(order.pk), "token": "tok_success"}
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_lost_key_completion_still_answers_the_payment_and_the_retry_after_the_lease_returns_it(
    user_client, order, charges, monkeypatch
):
    complete = idempotency._complete
    failures = []

    def connection_lost_once(*args):
        if not failures:
            failures.append(True)
            raise OperationalError("server closed the connection unexpectedly")
        complete(*args)

    monkeypatch.setattr(idempotency, "_complete", connection_lost_once)

    first = _pay(user_client, order, "pay-lost")
    during_lease = _pay(user_client, order, "pay-lost")
    IdempotencyKey.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    after_lease = _pay(user_client, order, "pay-lost")

    assert first.status_code == 201, first.content
    assert first.json()["status"] == PaymentStatus.SUCCEEDED
    assert during_lease.status_code == 409
    assert "Retry-After" in during_lease
    assert after_lease.status_code == 200
    assert after_lease.json()["id"] == first.json()["id"]
    assert charges == ["tok_success"]
    assert Payment.objects.count() == 1
    assert IdempotencyKey.objects.get().state == IdempotencyKey.State.COMPLETED


def test_a_failing_paid_email_does_not_turn_a_succeeded_payment_into_a_500(
    user_client, order, charges, monkeypatch
):
    def broken(*, order, kind):
        raise RuntimeError("SMTP server refused the connection")

    monkeypatch.setattr(tasks.emails, "send_order_email", broken)

    response = _pay(user_client, order, "pay-email")

    assert response.status_code == 201, response.content
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert IdempotencyKey.objects.get().state == IdempotencyKey.State.COMPLETED
