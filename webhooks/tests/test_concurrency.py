"""Races on real PostgreSQL connections: events emitted at once for one endpoint never
share a sequence number, and a delivery that several senders pick up at once is sent
once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from catalog.services import product_update
from catalog.tests.factories import ProductFactory
from core.tests.concurrency import run_concurrently
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, Endpoint, Event, EventType

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: real row locks and concurrent connections",
    ),
]


class _NoSend:
    """Stands in for the deliver task: these tests are about numbering, not sending."""

    def delay(self, *args, **kwargs):
        return None


@pytest.fixture
def no_send(monkeypatch):
    monkeypatch.setattr(services, "deliver_task", _NoSend())


@pytest.mark.parametrize("round_", range(3))
def test_twenty_events_emitted_at_once_get_twenty_different_numbers(
    private_targets, endpoint_for, no_send, round_
):
    endpoint = endpoint_for("http://127.0.0.1:9/", events=[EventType.PRODUCT_UPDATED])
    products = [ProductFactory() for _ in range(20)]

    outcomes = run_concurrently(
        *(
            lambda p=product: product_update(product=p, data={"description": "Raced."})
            for product in products
        )
    )

    assert all(not isinstance(outcome, Exception) for outcome in outcomes), outcomes
    numbers = sorted(
        n or 0
        for n in Delivery.objects.filter(endpoint=endpoint).values_list("sequence", flat=True)
    )
    assert numbers == list(range(1, 21))
    endpoint.refresh_from_db()
    assert endpoint.last_sequence == 20


def test_numbering_the_same_deliveries_twice_at_once_numbers_each_once(
    private_targets, endpoint_for
):
    endpoint = endpoint_for("http://127.0.0.1:9/", events=[EventType.PRODUCT_UPDATED])
    event = Event.objects.create(type=EventType.PRODUCT_UPDATED, data={})
    deliveries = Delivery.objects.bulk_create(
        [Delivery(endpoint=endpoint, event=event) for _ in range(10)]
    )
    ids = [delivery.pk for delivery in deliveries]

    outcomes = run_concurrently(
        *(lambda: services.delivery_sequences_assign(delivery_ids=ids) for _ in range(8))
    )

    assert sum(outcomes) == 10, outcomes  # each delivery numbered by exactly one of them
    numbers = sorted(Delivery.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, 11))
    assert Endpoint.objects.get(pk=endpoint.pk).last_sequence == 10


def test_a_due_delivery_picked_up_by_ten_senders_at_once_is_sent_once(receiver, endpoint_for):
    endpoint = endpoint_for(receiver.url, events=[EventType.PRODUCT_UPDATED])
    event = Event.objects.create(type=EventType.PRODUCT_UPDATED, data={})
    delivery = Delivery.objects.create(
        endpoint=endpoint, event=event, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    services.delivery_sequences_assign(delivery_ids=[delivery.pk])

    outcomes = run_concurrently(
        *(lambda: services.delivery_attempt(delivery_id=delivery.pk) for _ in range(10))
    )

    sent = [outcome for outcome in outcomes if isinstance(outcome, Delivery)]
    assert len(sent) == 1, outcomes
    assert outcomes.count(None) == 9, outcomes
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
