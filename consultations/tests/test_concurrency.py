"""Booking races on real PostgreSQL connections: one booking per slot whatever the
concurrency, and a payment racing its own hold's expiry ends one way or the other, never
both."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory, approved_store_for
from checkout.services import order_place_service
from consultations import services
from consultations.models import Consultation, ConsultationService, ConsultationStatus
from consultations.selectors import free_slots_for
from core.exceptions import DomainError
from core.tests.concurrency import run_concurrently
from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentStatus
from payments.services import payment_create
from stores.models import StoreKind

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: real row locks and concurrent connections",
    ),
]

WEEKLY = [{"weekday": day, "start": "08:00", "end": "18:00"} for day in range(7)]


def _service():
    owner = UserFactory()
    store = approved_store_for(owner, kind=StoreKind.DERMATOLOGIST)
    services.availability_set(
        store=store, timezone_name="Europe/Paris", weekly=WEEKLY, exceptions=[]
    )
    return ConsultationService.objects.create(
        store=store, name="Review", duration_minutes=60, price=Decimal("50.00"), currency="USD"
    )


def _a_free_slot(service):
    day = (timezone.now() + timedelta(days=3)).date()
    return free_slots_for(
        service=service,
        availability=service.store.availability,
        first_day=day,
        last_day=day,
    )[0]


def test_twenty_customers_booking_one_slot_get_one_booking_and_nineteen_409s():
    service = _service()
    slot = _a_free_slot(service)
    customers = [UserFactory() for _ in range(20)]

    outcomes = run_concurrently(
        *[
            lambda c=c: services.consultation_book(customer=c, service=service, starts_at=slot)
            for c in customers
        ]
    )

    booked = [o for o in outcomes if isinstance(o, Consultation)]
    refused = [o for o in outcomes if isinstance(o, services.SlotUnavailable)]
    assert len(booked) == 1, outcomes
    assert len(refused) == 19, outcomes
    assert Consultation.objects.filter(service=service).count() == 1
    assert Order.objects.filter(user__in=customers).count() == 1


def test_overlapping_bookings_are_refused_by_the_database_itself():
    service = _service()
    slot = _a_free_slot(service)
    first = services.consultation_book(customer=UserFactory(), service=service, starts_at=slot)
    other = UserFactory()
    order = order_place_service(
        user=other,
        store=service.store,
        name="x",
        reference="x",
        price=Decimal("1.00"),
        currency="USD",
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        # Half an hour into the first booking: a different start, the same time.
        Consultation.objects.create(
            service=service,
            store=service.store,
            customer=other,
            order=order,
            starts_at=first.starts_at + timedelta(minutes=30),
            ends_at=first.ends_at + timedelta(minutes=30),
            video_provider="jitsi",
            room="r",
        )


@pytest.mark.parametrize("round_", range(5))
def test_a_payment_racing_its_hold_s_expiry_ends_one_way_only(round_):
    service = _service()
    customer = UserFactory()
    consultation = services.consultation_book(
        customer=customer, service=service, starts_at=_a_free_slot(service)
    )
    Consultation.objects.filter(pk=consultation.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )

    outcomes = run_concurrently(
        lambda: payment_create(
            user=customer, order_id=consultation.order_id, provider="fake", token="tok_success"
        ),
        services.consultations_expire_holds,
    )

    assert not any(isinstance(o, Exception) and not isinstance(o, DomainError) for o in outcomes), (
        outcomes
    )
    consultation.refresh_from_db()
    order = Order.objects.get(pk=consultation.order_id)
    payment = Payment.objects.filter(order=order).first()
    if consultation.status == ConsultationStatus.CONFIRMED:
        assert order.status == OrderStatus.PAID
        assert payment.status == PaymentStatus.SUCCEEDED
    else:
        assert consultation.status == ConsultationStatus.CANCELLED
        assert order.status == OrderStatus.CANCELLED
        # Money that arrived for the cancelled booking went back.
        if payment is not None and payment.status not in (
            PaymentStatus.PENDING,
            PaymentStatus.FAILED,
        ):
            assert payment.amount_refunded == payment.amount or payment.needs_review
