"""Outbound webhooks: endpoints, emitting events, sending them, retrying, disabling.

Emitting (the outbox). The apps below publish domain events (core.events `publish`) inside
the transaction of their write; the handlers here run in that transaction and only insert:
one query finds the active endpoints subscribed to the event type (nothing else happens
when there is none), then the event row and one delivery row per endpoint are inserted.
A write that rolls back leaves no event; one that commits always has its deliveries, which
are numbered and sent after the commit (`transaction.on_commit`), or by the beat task
(`deliveries_send_due`) if the process died first.

Sequence numbers. Each endpoint numbers its deliveries 1, 2, 3...: after the commit, in a
short transaction of its own, `delivery_sequences_assign` adds to the endpoint's
`last_sequence` with one conditional UPDATE (which holds the endpoint's row until that
transaction commits, so two of them cannot take the same numbers) and gives the numbers
out. It holds no other lock than the deliveries' and the endpoint's rows, in that order:
numbering inside the publisher's transaction would take the endpoint's row in the middle
of the checkout, payment and review lock orders, and two of them could deadlock on it. So
numbers follow the order in which events are dispatched, which for events that happen
concurrently is not necessarily the order of their commits.

Sending. An attempt claims its delivery first (`select_for_update(skip_locked=True)`, and
its `next_attempt_at` moved one lease ahead, so a sender that dies is replaced after the
lease), commits, and only then makes the request, holding no transaction: a slow endpoint
keeps no row locked. The outcome is recorded; a failure schedules the next attempt from
WEBHOOK_RETRY_SCHEDULE (seconds after the failed attempt), and after the last the delivery
has failed. WEBHOOK_DISABLE_AFTER_FAILURES failed attempts in a row disable the endpoint
and email staff.
"""

import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Product
from catalog.services import PRODUCT_UPDATED, STOCK_LOW
from core import metrics
from core.events import subscribe
from core.exceptions import BusinessValidationError, NotFound
from orders.models import Order, OrderStatus
from orders.services import ORDER_PLACED, ORDER_STATUS_CHANGED
from reviews.models import Review
from reviews.services import REVIEW_CREATED
from webhooks import transport
from webhooks.exceptions import EndpointDisabled
from webhooks.models import (
    SUBSCRIBABLE_EVENTS,
    Delivery,
    DeliveryStatus,
    Endpoint,
    Event,
    EventType,
)
from webhooks.signing import signature_header
from webhooks.tasks import deliver as deliver_task
from webhooks.tasks import send_endpoint_disabled_email as send_endpoint_disabled_email_task

logger = logging.getLogger(__name__)

USER_AGENT = "Marketplace-Webhooks/1.0"
SECRET_PREFIX = "whsec_"
ENDPOINT_WRITABLE_FIELDS = ("url", "description", "events", "is_active")
# The order statuses that are events of their own; the others (delivered) are not.
ORDER_STATUS_EVENTS: dict[str, EventType] = {
    OrderStatus.PAID: EventType.ORDER_PAID,
    OrderStatus.SHIPPED: EventType.ORDER_SHIPPED,
    OrderStatus.CANCELLED: EventType.ORDER_CANCELLED,
}
# Deliveries a beat run numbers and sends at most (the next run takes the rest).
SEND_BATCH = 100


def retry_schedule() -> tuple[int, ...]:
    """Seconds to wait after each failed attempt before the next (WEBHOOK_RETRY_SCHEDULE);
    one attempt more than its length in all."""
    return tuple(settings.WEBHOOK_RETRY_SCHEDULE)


def _lease() -> timedelta:
    """How long a claimed attempt may run before another sender may take it over: longer
    than the request's own timeouts."""
    timeouts = settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_READ_TIMEOUT
    return timedelta(seconds=2 * timeouts + 30)


# --- snapshots: what an event's `data` holds ---------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _str_or_none(value) -> str | None:
    return None if value is None else str(value)


def _order_data(order: Order, *, previous_status: str | None = None) -> dict:
    return {
        "id": str(order.pk),
        "status": order.status,
        "previous_status": previous_status,
        "user_id": str(order.user_id),
        "currency": order.currency,
        "subtotal": str(order.subtotal),
        "discount_total": str(order.discount_total),
        "total": str(order.total),
        "coupon_code": order.coupon_code,
        "tracking_number": order.tracking_number,
        "carrier": order.carrier,
        "cancel_reason": order.cancel_reason,
        "created_at": _iso(order.created_at),
        "paid_at": _iso(order.paid_at),
        "shipped_at": _iso(order.shipped_at),
        "cancelled_at": _iso(order.cancelled_at),
        "items": [
            {
                "product_id": _str_or_none(item.product_id),
                "product_name": item.product_name,
                "quantity": item.quantity,
                "unit_price": str(item.unit_price),
                "line_total": str(item.line_total),
            }
            for item in order.items.order_by("product_name", "pk")
        ],
    }


def _product_data(product: Product, *, fields: list[str]) -> dict:
    return {
        "id": str(product.pk),
        "name": product.name,
        "slug": product.slug,
        "store_id": _str_or_none(product.store_id),
        "category_id": _str_or_none(product.category_id),
        "brand_id": _str_or_none(product.brand_id),
        "currency": product.currency,
        "price": str(product.price),
        "current_price": _str_or_none(product.current_price),
        "discount_percent": _str_or_none(product.discount_percent),
        "stock_quantity": product.stock_quantity,
        "is_active": product.is_active,
        "updated_at": _iso(product.updated_at),
        "changed_fields": fields,
    }


def _stock_data(product: Product) -> dict:
    return {
        "product_id": str(product.pk),
        "name": product.name,
        "slug": product.slug,
        "store_id": _str_or_none(product.store_id),
        "stock_quantity": product.stock_quantity,
        "threshold": settings.LOW_STOCK_THRESHOLD,
    }


def _review_data(review: Review) -> dict:
    return {
        "id": str(review.pk),
        "product_id": str(review.product_id),
        "user_id": str(review.user_id),
        "rating": review.rating,
        "comment": review.comment,
        "status": review.status,
        "verified_purchase": review.verified_purchase,
        "created_at": _iso(review.created_at),
    }


# --- emitting -------------------------------------------------------------------------


def _subscribed_endpoints(event_type: str) -> list[Endpoint]:
    """The active endpoints subscribed to `event_type`: the handlers' one query. The event
    lists are matched here rather than in SQL (JSON containment differs per database, and
    endpoints are a handful)."""
    endpoints = Endpoint.objects.filter(is_active=True).only("pk", "events")
    return [endpoint for endpoint in endpoints if event_type in endpoint.events]


def _emit(*, event_type: str, endpoints: list[Endpoint], data: Iterable[dict]) -> list[Event]:
    """Insert an event per `data` and a delivery of each to every endpoint (two INSERTs),
    and dispatch them after the commit."""
    now = timezone.now()
    events = Event.objects.bulk_create([Event(type=event_type, data=item) for item in data])
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(endpoint_id=endpoint.pk, event=event, next_attempt_at=now)
            for event in events
            for endpoint in endpoints
        ]
    )
    _dispatch_on_commit([delivery.pk for delivery in deliveries])
    return events


def _on_order_placed(*, order_id: UUID, **_) -> None:
    endpoints = _subscribed_endpoints(EventType.ORDER_CREATED)
    if endpoints:
        order = Order.objects.get(pk=order_id)
        _emit(event_type=EventType.ORDER_CREATED, endpoints=endpoints, data=[_order_data(order)])


def _on_order_status_changed(*, order_id: UUID, previous: str, status: str, **_) -> None:
    event_type = ORDER_STATUS_EVENTS.get(status)
    if event_type is None:
        return  # not an event integrators hear about: no query at all
    endpoints = _subscribed_endpoints(event_type)
    if endpoints:
        order = Order.objects.get(pk=order_id)
        _emit(
            event_type=event_type,
            endpoints=endpoints,
            data=[_order_data(order, previous_status=previous)],
        )


def _on_product_updated(*, product_id: UUID, fields: list[str], **_) -> None:
    endpoints = _subscribed_endpoints(EventType.PRODUCT_UPDATED)
    if endpoints:
        product = Product.objects.get(pk=product_id)
        _emit(
            event_type=EventType.PRODUCT_UPDATED,
            endpoints=endpoints,
            data=[_product_data(product, fields=list(fields))],
        )


def _on_stock_low(*, product_ids: list[UUID], **_) -> None:
    endpoints = _subscribed_endpoints(EventType.STOCK_LOW)
    if endpoints:
        products = Product.objects.filter(pk__in=product_ids).order_by("pk")
        _emit(
            event_type=EventType.STOCK_LOW,
            endpoints=endpoints,
            data=[_stock_data(product) for product in products],
        )


def _on_review_created(*, review_id: UUID, **_) -> None:
    endpoints = _subscribed_endpoints(EventType.REVIEW_CREATED)
    if endpoints:
        review = Review.objects.get(pk=review_id)
        _emit(event_type=EventType.REVIEW_CREATED, endpoints=endpoints, data=[_review_data(review)])


def subscribe_to_domain_events() -> None:
    """Hear the lower apps' events (called from WebhooksConfig.ready())."""
    subscribe(ORDER_PLACED, _on_order_placed)
    subscribe(ORDER_STATUS_CHANGED, _on_order_status_changed)
    subscribe(PRODUCT_UPDATED, _on_product_updated)
    subscribe(STOCK_LOW, _on_stock_low)
    subscribe(REVIEW_CREATED, _on_review_created)


# --- after the commit: numbering and queueing --------------------------------------------


def _dispatch_on_commit(delivery_ids: list[UUID]) -> None:
    ids = [str(pk) for pk in delivery_ids]
    # Robust: whatever fails here is logged, and the beat task sends what is left; it
    # never turns the committed write into an error answer.
    transaction.on_commit(lambda: deliveries_dispatch(delivery_ids=ids), robust=True)


def deliveries_dispatch(*, delivery_ids: list[str]) -> None:
    """Number the deliveries, then queue one attempt of each (with no broker the attempts
    run here and now, each bounded by the timeouts). Raises nothing: what fails is left to
    the beat task."""
    try:
        delivery_sequences_assign(delivery_ids=delivery_ids)
    except Exception:
        logger.exception("Could not number deliveries %s; the beat task will", delivery_ids)
    for delivery_id in delivery_ids:
        try:
            deliver_task.delay(delivery_id)
        except Exception:
            logger.exception("Could not send delivery %s; the beat task will retry", delivery_id)


@transaction.atomic
def delivery_sequences_assign(
    *, delivery_ids: Iterable[UUID | str] | None = None, limit: int = SEND_BATCH
) -> int:
    """Give the deliveries without a number (of `delivery_ids`, or any, at most `limit`)
    the next numbers of their endpoints, in the order of their events; returns how many
    were numbered. Redeliveries keep the number of what they repeat. Raises nothing."""
    pending = Delivery.objects.select_for_update(of=("self",)).filter(
        sequence__isnull=True, redelivery_of__isnull=True
    )
    if delivery_ids is not None:
        pending = pending.filter(pk__in=list(delivery_ids))
    # Rows locked in id order (two numberings of overlapping sets cannot deadlock), numbered
    # in the order their events happened.
    locked = list(pending.order_by("pk").only("pk", "endpoint_id", "event_id")[:limit])
    if not locked:
        return 0
    created = dict(
        Event.objects.filter(pk__in={d.event_id for d in locked}).values_list("pk", "created_at")
    )
    by_endpoint: dict[UUID, list[Delivery]] = defaultdict(list)
    for delivery in locked:
        by_endpoint[delivery.endpoint_id].append(delivery)
    for endpoint_id in sorted(by_endpoint, key=str):
        deliveries = sorted(
            by_endpoint[endpoint_id], key=lambda d: (created[d.event_id], str(d.pk))
        )
        count = len(deliveries)
        # The UPDATE holds the endpoint's row until commit: a concurrent numbering waits
        # here, then adds to what this one wrote. Never read-then-write.
        Endpoint.objects.filter(pk=endpoint_id).update(last_sequence=F("last_sequence") + count)
        last = Endpoint.objects.filter(pk=endpoint_id).values_list("last_sequence", flat=True).get()
        for offset, delivery in enumerate(deliveries):
            delivery.sequence = last - count + 1 + offset
    Delivery.objects.bulk_update(locked, ["sequence"])
    return len(locked)


# --- sending --------------------------------------------------------------------------


def delivery_body(delivery: Delivery) -> bytes:
    """The request body: the same bytes on every attempt and redelivery of an event to an
    endpoint."""
    event = delivery.event
    payload = {
        "id": str(event.pk),
        "type": event.type,
        "created_at": _iso(event.created_at),
        "sequence": delivery.sequence,
        "data": event.data,
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def delivery_headers(*, delivery: Delivery, body: bytes, timestamp: int) -> dict[str, str]:
    event = delivery.event
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Webhook-Id": str(event.pk),
        "X-Webhook-Event": event.type,
        "X-Webhook-Sequence": str(delivery.sequence),
        "X-Webhook-Delivery": str(delivery.pk),
        "X-Webhook-Attempt": str(delivery.attempts + 1),
        "X-Webhook-Signature": signature_header(
            secret=delivery.endpoint.secret, timestamp=timestamp, body=body
        ),
    }


def _claim(*, delivery_id: UUID | str, now: datetime) -> Delivery | None:
    """The delivery, if it is due and nobody else is sending it, with its next attempt
    moved one lease ahead (committed: a sender that dies mid-request is replaced after
    it)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(
                pk=delivery_id,
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                endpoint__is_active=True,
            )
            .first()
        )
        if delivery is None:
            return None
        delivery.next_attempt_at = now + _lease()
        delivery.save(update_fields=["next_attempt_at", "updated_at"])
    return delivery


def delivery_attempt(*, delivery_id: UUID | str, now: datetime | None = None) -> Delivery | None:
    """One attempt of a delivery that is due (pending, its endpoint active): the request,
    then its outcome recorded and the next attempt scheduled. None when it is not due or
    another sender has it. Never holds a transaction during the request; raises nothing
    the request could cause."""
    now = now or timezone.now()
    delivery = _claim(delivery_id=delivery_id, now=now)
    if delivery is None:
        return None
    return _send(delivery=delivery, now=now, retry=True)


def deliveries_send_due(*, now: datetime | None = None, limit: int = SEND_BATCH) -> int:
    """The beat task's work: number what was never numbered, then attempt every delivery
    that is due (oldest first, at most `limit`), each claimed on its own so that runs that
    overlap share the work instead of sending twice; returns how many were attempted."""
    now = now or timezone.now()
    delivery_sequences_assign(limit=limit)
    with transaction.atomic():
        due = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                endpoint__is_active=True,
            )
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
    attempted = 0
    for delivery_id in due:
        try:
            sent = delivery_attempt(delivery_id=delivery_id, now=now)
        except Exception:
            # One delivery that cannot be recorded must not hold up the others; its lease
            # ends and the next run tries it again.
            logger.exception("Webhook delivery %s could not be attempted", delivery_id)
            continue
        if sent is not None:
            attempted += 1
    return attempted


def _send(*, delivery: Delivery, now: datetime, retry: bool) -> Delivery:
    if delivery.sequence is None:
        # Numbering after the commit failed or never ran: number it now.
        delivery_sequences_assign(delivery_ids=[delivery.pk])
        delivery.refresh_from_db(fields=["sequence"])
    body = delivery_body(delivery)
    headers = delivery_headers(delivery=delivery, body=body, timestamp=int(now.timestamp()))
    answer = transport.post(delivery.endpoint.url, body=body, headers=headers)
    metrics.webhook_delivery(outcome=answer.outcome)
    _record(delivery=delivery, answer=answer, now=now, retry=retry)
    if delivery.event.type != EventType.PING:  # a test never disables an endpoint
        _endpoint_count(endpoint_id=delivery.endpoint_id, answer=answer, now=now)
    # Gone only if its endpoint was deleted meanwhile.
    recorded = Delivery.objects.select_related("endpoint", "event").filter(pk=delivery.pk).first()
    return recorded or delivery


def _text(value: str) -> str:
    # What an endpoint answered is stored as text: PostgreSQL's text holds no NUL.
    return value.replace("\x00", "\ufffd")


def _record(*, delivery: Delivery, answer: transport.Answer, now: datetime, retry: bool) -> None:
    attempt = delivery.attempts + 1
    schedule = retry_schedule()
    fields: dict = {
        "attempts": F("attempts") + 1,
        "last_attempt_at": now,
        "last_response_code": answer.status,
        "last_duration_ms": answer.duration_ms,
        "last_error": _text(answer.error)[:500],
        "last_response_body": _text(answer.body.decode("utf-8", errors="replace")),
        "updated_at": timezone.now(),
    }
    if answer.ok:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif retry and attempt <= len(schedule):
        fields.update(next_attempt_at=now + timedelta(seconds=schedule[attempt - 1]))
    else:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    if not answer.ok:
        logger.warning(
            "Webhook delivery %s to %s failed (attempt %s): %s",
            delivery.pk,
            delivery.endpoint.url,
            attempt,
            answer.error,
        )


@transaction.atomic
def _endpoint_count(*, endpoint_id: UUID, answer: transport.Answer, now: datetime) -> None:
    """A success resets the endpoint's failure count; a failure adds one, and the failure
    that reaches WEBHOOK_DISABLE_AFTER_FAILURES disables the endpoint (a conditional
    UPDATE: of two failing at once, one disables and one email goes)."""
    endpoints = Endpoint.objects.filter(pk=endpoint_id)
    if answer.ok:
        endpoints.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
        return
    endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    if limit <= 0:
        return
    disabled = endpoints.filter(is_active=True, consecutive_failures__gte=limit).update(
        is_active=False,
        disabled_at=now,
        disabled_reason=_text(f"{limit} failed attempts in a row; the last: {answer.error}")[:255],
        updated_at=timezone.now(),
    )
    if disabled:
        logger.warning("Webhook endpoint %s disabled after %s failures", endpoint_id, limit)
        transaction.on_commit(
            lambda: send_endpoint_disabled_email_task.delay(str(endpoint_id)), robust=True
        )


# --- endpoints ------------------------------------------------------------------------


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def endpoint_input_errors(*, url: str | None = None, events=None) -> dict[str, list[str]]:
    """The rules of an endpoint's URL (see webhooks.transport: its host resolved, every
    address public) and event list, as field messages; empty when they hold. For the
    services and the admin's form."""
    errors: dict[str, list[str]] = {}
    if url is not None:
        try:
            transport.target_for(url)
        except transport.UnsafeTarget as exc:
            errors["url"] = [str(exc)]
    if events is not None:
        unknown = sorted({str(event) for event in events} - set(SUBSCRIBABLE_EVENTS))
        if unknown:
            errors["events"] = [f"Unknown event types: {', '.join(unknown)}."]
        elif not events:
            errors["events"] = ["Subscribe to at least one event type."]
    return errors


def _ordered_events(events) -> list[str]:
    chosen = set(events)
    return [event for event in SUBSCRIBABLE_EVENTS if event in chosen]


@transaction.atomic
def endpoint_create(
    *,
    url: str,
    events: list[str],
    description: str = "",
    is_active: bool = True,
    created_by=None,
) -> Endpoint:
    """Register an endpoint with a new secret (on the returned object, to be shown once).
    Raises BusinessValidationError (the URL is not allowed or does not resolve, unknown or
    no events)."""
    errors = endpoint_input_errors(url=url, events=events)
    if errors:
        raise BusinessValidationError(errors)
    return Endpoint.objects.create(
        url=url,
        events=_ordered_events(events),
        description=description,
        is_active=is_active,
        secret=_new_secret(),
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )


def _lock_endpoint(endpoint: Endpoint) -> Endpoint:
    # FOR NO KEY UPDATE: the deliveries being inserted for it (which reference it) do not
    # wait for this.
    locked = Endpoint.objects.select_for_update(no_key=True).filter(pk=endpoint.pk).first()
    if locked is None:
        raise NotFound("This webhook endpoint no longer exists.")
    return locked


@transaction.atomic
def endpoint_update(*, endpoint: Endpoint, data: dict) -> Endpoint:
    """Change an endpoint's URL, description, events or active flag; switching it back on
    clears its failures (its pending deliveries resume). Raises BusinessValidationError
    (as endpoint_create), NotFound (deleted meanwhile)."""
    errors = endpoint_input_errors(url=data.get("url"), events=data.get("events"))
    if errors:
        raise BusinessValidationError(errors)
    endpoint = _lock_endpoint(endpoint)
    changed = [field for field in ENDPOINT_WRITABLE_FIELDS if field in data]
    reactivated = bool(data.get("is_active")) and not endpoint.is_active
    for field in changed:
        value = data[field]
        setattr(endpoint, field, _ordered_events(value) if field == "events" else value)
    if reactivated:
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
        changed += ["consecutive_failures", "disabled_at", "disabled_reason"]
    endpoint.save(update_fields=[*changed, "updated_at"])
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: Endpoint) -> Endpoint:
    """Replace the endpoint's secret (on the returned object, to be shown once); the next
    attempt of every delivery is signed with the new one. Raises NotFound."""
    endpoint = _lock_endpoint(endpoint)
    endpoint.secret = _new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint) -> None:
    """Remove the endpoint and its delivery log. Raises nothing."""
    Endpoint.objects.filter(pk=endpoint.pk).delete()


def endpoint_ping(*, endpoint: Endpoint, now: datetime | None = None) -> Delivery:
    """Send a `ping` event to the endpoint now (active or not) and return its delivery
    with the outcome. A ping is not retried and does not count toward disabling. Commits
    the delivery before the request, so it holds no transaction while it waits. Raises
    nothing the request could cause."""
    now = now or timezone.now()
    with transaction.atomic():
        event = Event.objects.create(
            type=EventType.PING,
            data={"endpoint_id": str(endpoint.pk), "message": "A test event from the marketplace."},
        )
        delivery = Delivery.objects.create(endpoint=endpoint, event=event, next_attempt_at=None)
    delivery_sequences_assign(delivery_ids=[delivery.pk])
    delivery = Delivery.objects.select_related("endpoint", "event").get(pk=delivery.pk)
    return _send(delivery=delivery, now=now, retry=False)


@transaction.atomic
def delivery_redeliver(
    *,
    endpoint: Endpoint,
    delivery_id: UUID | None = None,
    event_id: UUID | None = None,
    now: datetime | None = None,
) -> Delivery:
    """Send an event to the endpoint again, as a new delivery (its attempts and retries
    from the start), named by one of the endpoint's deliveries or by the event: the same
    event id, body and sequence number as its first delivery there. Raises
    BusinessValidationError (neither or both named, or not known to this endpoint),
    EndpointDisabled (409)."""
    if (delivery_id is None) == (event_id is None):
        raise BusinessValidationError("Name either a delivery_id or an event_id.")
    endpoint = _lock_endpoint(endpoint)
    if not endpoint.is_active:
        raise EndpointDisabled()
    if delivery_id is not None:
        named = endpoint.deliveries.select_related("event").filter(pk=delivery_id).first()
        if named is None:
            raise BusinessValidationError({"delivery_id": ["No delivery of this endpoint."]})
        event = named.event
        original: Delivery | None = named.redelivery_of or named
    else:
        assert event_id is not None  # exactly one of the two was named (checked above)
        found = Event.objects.filter(pk=event_id).first()
        if found is None:
            raise BusinessValidationError({"event_id": ["No such event."]})
        event = found
        original = endpoint.deliveries.filter(event=event, redelivery_of__isnull=True).first()
    if original is not None and original.sequence is None:
        delivery_sequences_assign(delivery_ids=[original.pk])
        original.refresh_from_db(fields=["sequence"])
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event=event,
        redelivery_of=original,
        sequence=original.sequence if original is not None else None,
        next_attempt_at=now or timezone.now(),
    )
    _dispatch_on_commit([delivery.pk])
    return delivery
