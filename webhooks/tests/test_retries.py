"""Retries on a fake clock: the schedule is followed and ends, the event keeps its id and
body on every attempt, an endpoint that keeps failing is disabled and staff are told, and
what a dead process left behind is sent by the beat task."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from catalog.services import product_update
from catalog.tests.factories import ProductFactory
from webhooks import services, transport
from webhooks.models import Delivery, DeliveryStatus
from webhooks.tests.conftest import Reply
from webhooks.tests.helpers import body_of, signature_is_valid

pytestmark = pytest.mark.django_db

SCHEDULE = [5, 30, 300, 1800, 14400]


@pytest.fixture(autouse=True)
def _schedule(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = SCHEDULE
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 0


@pytest.fixture
def emit(django_capture_on_commit_callbacks):
    """Update a product (a product.updated event), its first attempt run after commit."""

    def run(name="Renamed", *, dispatch=True):
        with django_capture_on_commit_callbacks(execute=dispatch):
            product_update(product=ProductFactory(), data={"name": name})

    return run


@pytest.fixture
def beat(django_capture_on_commit_callbacks):
    """One run of the beat task at the fake time `now` (what it commits runs its
    callbacks, the disabled email among them)."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return services.deliveries_send_due(now=now)

    return run


def test_a_failing_delivery_is_retried_on_the_schedule_then_given_up(
    receiver, endpoint_for, emit, beat
):
    receiver.reply = Reply(status=500)
    endpoint = endpoint_for(receiver.url, events=["product.updated"])
    emit()
    delivery = Delivery.objects.get()
    moment = delivery.last_attempt_at
    assert delivery.next_attempt_at == moment + timedelta(seconds=5)

    for attempt, delay in enumerate(SCHEDULE, start=2):
        assert beat(moment + timedelta(seconds=delay) - timedelta(milliseconds=1)) == 0
        moment += timedelta(seconds=delay)
        assert beat(moment) == 1
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.last_attempt_at) == (attempt, moment)

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None
    assert beat(moment + timedelta(days=30)) == 0
    assert len(receiver.requests) == 1 + len(SCHEDULE)
    # One event: the same id, sequence and body on every attempt, each signed anew.
    assert {r.headers["X-Webhook-Id"] for r in receiver.requests} == {
        body_of(receiver.requests[0])["id"]
    }
    assert {r.body for r in receiver.requests} == {receiver.requests[0].body}
    assert [r.headers["X-Webhook-Attempt"] for r in receiver.requests] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
    ]
    assert all(signature_is_valid(secret=endpoint.secret, request=r) for r in receiver.requests)


def test_a_retry_that_succeeds_ends_the_delivery_and_resets_the_failure_count(
    receiver, endpoint_for, emit, beat
):
    receiver.replies = [Reply(status=500), Reply(status=502)]
    endpoint = endpoint_for(receiver.url, events=["product.updated"])
    emit()
    start = Delivery.objects.get().last_attempt_at

    beat(start + timedelta(seconds=5))
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 2
    beat(start + timedelta(seconds=35))

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        DeliveryStatus.DELIVERED,
        3,
        200,
    )
    assert delivery.delivered_at == start + timedelta(seconds=35)
    assert delivery.last_error == ""
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0
    assert beat(start + timedelta(days=1)) == 0


def test_an_endpoint_failing_again_and_again_is_disabled_and_staff_are_emailed(
    receiver, endpoint_for, emit, beat, settings, staff, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.reply = Reply(status=500)
    endpoint = endpoint_for(receiver.url, events=["product.updated"], description="Partner")

    emit("One")
    emit("Two")
    assert mail.outbox == []
    emit("Three")

    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert endpoint.consecutive_failures == 3
    assert endpoint.disabled_at is not None
    assert "3 failed attempts in a row" in endpoint.disabled_reason
    [email] = mail.outbox
    assert email.to == [staff.email]
    assert email.subject == f"Webhook endpoint disabled: {receiver.url}"
    assert "HTTP 500" in email.body and str(endpoint.pk) in email.body
    # Nothing more is sent to it, however long one waits; what was pending waits too.
    emit("Four")
    assert beat(timezone.now() + timedelta(days=1)) == 0
    assert len(receiver.requests) == 3
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 3

    # Switched back on, it starts from zero and receives what waited.
    receiver.reply = Reply()
    services.endpoint_update(endpoint=endpoint, data={"is_active": True})
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.disabled_at, endpoint.disabled_reason) == (
        0,
        None,
        "",
    )
    assert beat(timezone.now() + timedelta(days=1)) == 3
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 3
    assert len(mail.outbox) == 1


def test_deliveries_whose_dispatch_never_ran_are_numbered_and_sent_by_the_beat_task(
    receiver, endpoint_for, emit, beat
):
    endpoint_for(receiver.url, events=["product.updated"])
    emit("Lost", dispatch=False)  # the process died between the commit and the dispatch
    assert Delivery.objects.get().sequence is None

    assert beat(timezone.now()) == 1

    delivery = Delivery.objects.get()
    assert (delivery.sequence, delivery.status) == (1, DeliveryStatus.DELIVERED)
    assert body_of(receiver.requests[0])["sequence"] == 1


def test_a_delivery_being_sent_is_not_sent_again_before_its_lease_ends(
    receiver, endpoint_for, emit, beat
):
    endpoint_for(receiver.url, events=["product.updated"])
    emit(dispatch=False)
    delivery = Delivery.objects.get()
    now = timezone.now()
    # Another sender claimed it and died mid-request.
    assert services._claim(delivery_id=delivery.pk, now=now) is not None

    assert beat(now + timedelta(seconds=30)) == 0
    assert receiver.requests == []
    assert beat(now + services._lease() + timedelta(seconds=1)) == 1
    assert len(receiver.requests) == 1


def test_a_sender_that_crashes_never_turns_the_write_into_an_error(
    receiver,
    endpoint_for,
    seller,
    seller_client,
    monkeypatch,
    beat,
    django_capture_on_commit_callbacks,
):
    endpoint_for(receiver.url, events=["product.updated"])
    product = ProductFactory(created_by=seller)

    def explode(*args, **kwargs):
        raise RuntimeError("a bug in the sender")

    monkeypatch.setattr(transport, "post", explode)
    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.patch(f"/api/v1/products/{product.pk}/", {"name": "Saved"})

    assert response.status_code == 200
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    monkeypatch.undo()
    assert beat(timezone.now() + services._lease() + timedelta(seconds=1)) == 1
    assert len(receiver.requests) == 1


def test_the_command_sends_what_is_due(receiver, endpoint_for, emit):
    from io import StringIO

    from django.core.management import call_command

    endpoint_for(receiver.url, events=["product.updated"])
    emit(dispatch=False)
    out = StringIO()

    call_command("send_due_webhooks", stdout=out)

    assert out.getvalue().strip() == "Attempted 1 webhook delivery(ies)."
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
