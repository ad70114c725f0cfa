"""Races on PostgreSQL with real threads, each on its own connection."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from core.exceptions import BusinessValidationError
from orders.models import OrderStatus
from payments import services
from payments.models import Payment, PaymentStatus, Refund, WebhookEvent
from payments.providers.base import WebhookEvent as ProviderEvent
from payments.providers.fake import FakeProvider
from payments.tests.factories import OrderFactory, PaymentFactory, SucceededPaymentFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite has none)"
    ),
]


def _race(count: int, work) -> list:
    """Run `work()` in `count` threads started together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = work()
        except Exception as exc:  # collected and asserted by the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_payments_of_one_order_charge_once(monkeypatch):
    order = OrderFactory()
    charges = []
    lock = threading.Lock()
    original = FakeProvider.create_payment

    def counting(self, *, payment, token):
        with lock:
            charges.append(payment.pk)
        return original(self, payment=payment, token=token)

    monkeypatch.setattr(FakeProvider, "create_payment", counting)

    results = _race(
        8, lambda: services.payment_create(user=order.user, order_id=order.pk, provider="fake")
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert len(charges) == 1
    assert Payment.objects.filter(order=order).count() == 1
    assert {r.payment.pk for r in results} == {charges[0]}
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_concurrent_partial_refunds_never_exceed_the_amount():
    payment = SucceededPaymentFactory()  # 49.99

    results = _race(6, lambda: services.payment_refund(payment=payment, amount=Decimal("20.00")))

    refused = [r for r in results if isinstance(r, BusinessValidationError)]
    assert len(refused) == 4
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("40.00")
    assert Refund.objects.filter(payment=payment).count() == 2


def test_concurrent_deliveries_of_one_event_apply_it_once(stripe_settings, monkeypatch):
    payment = PaymentFactory(provider="stripe", provider_reference="pi_race")
    refunds = []
    monkeypatch.setattr(
        "payments.providers.stripe.StripeProvider.refund",
        lambda self, *, payment, amount: refunds.append(amount) or "re_race",
    )
    # Cancelled order: each application would refund, so a double application shows.
    payment.order.status = OrderStatus.CANCELLED
    payment.order.save()
    event = ProviderEvent(
        id="evt_race",
        type="payment_intent.succeeded",
        data={"id": "pi_race", "amount_received": 4999, "currency": "usd"},
        payload={"id": "evt_race"},
    )

    results = _race(6, lambda: services.webhook_event_apply(provider="stripe", event=event))

    assert sorted(results, key=str) == [False] * 5 + [True]
    assert refunds == [Decimal("49.99")]
    assert WebhookEvent.objects.count() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
