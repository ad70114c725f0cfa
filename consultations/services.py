"""Consultations: a dermatologist's services and availability, booking a slot, its status
machine, cancellation and rescheduling with their refund rules, completion with a
regimen, and expiring unpaid holds.

A booking is a one-line order of the store (checkout.order_place_service), paid with the
usual payments flow; the order's events drive the consultation: ORDER_PAID confirms it,
ORDER_CANCELLING (any cancel of the order: the customer's, the store's, staff's, the
expiry of an unpaid order) cancels it, and refuses a customer's late cancel, which is not
refunded (POST consultations/{id}/cancel/ is the way).

Status: pending_payment -> confirmed -> completed | no_show; pending_payment | confirmed
-> cancelled.

Lock order: the store's availability row (every booking and reschedule of a store takes
it, so they never race each other), then order rows, then consultation rows, then what
checkout locks below them. One booking per slot is also a database constraint (one per
start time; on PostgreSQL no two overlapping), so no path can double-book.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from cart.services import cart_add_item, cart_user_get_or_create
from catalog.models import Product
from checkout.services import order_cancel, order_place_service
from consultations import video
from consultations.availability import parse_time, zone
from consultations.emails import send_consultation_email as send_consultation_email_task
from consultations.models import (
    Availability,
    Consultation,
    ConsultationService,
    ConsultationStatus,
    RecommendedProduct,
)
from consultations.selectors import free_slots_for
from core.events import subscribe
from core.exceptions import BusinessValidationError, Conflict, ErrorCode, InvalidTransition
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderStatus
from orders.services import (
    ORDER_CANCELLING,
    ORDER_PAID,
    ORDER_SHIPPING,
    fulfilment_transition,
    lock_order,
    order_status_sync,
)
from stores.models import Store, StoreKind

logger = logging.getLogger(__name__)


class SlotUnavailable(Conflict):
    code = ErrorCode.SLOT_UNAVAILABLE
    default_detail = "This time is not free; pick another of the store's slots."


class TooManyHolds(Conflict):
    default_detail = "You have unpaid bookings waiting; pay or cancel one of them first."


def _queue_email(consultation: Consultation, kind: str) -> None:
    consultation_id = str(consultation.pk)
    transaction.on_commit(
        lambda: send_consultation_email_task.delay(consultation_id, kind), robust=True
    )


# --- services and availability -----------------------------------------------------------


def _dermatologist_store(store: Store) -> Store:
    if store.kind != StoreKind.DERMATOLOGIST:
        raise BusinessValidationError(
            {"store": ["Only a dermatologist's store offers consultations."]}
        )
    return store


def service_create(*, store: Store, data: dict) -> ConsultationService:
    _dermatologist_store(store)
    return ConsultationService.objects.create(
        store=store, currency=data.pop("currency", None) or settings.DEFAULT_CURRENCY, **data
    )


def service_update(*, service: ConsultationService, data: dict) -> ConsultationService:
    for name, value in data.items():
        setattr(service, name, value)
    service.save()
    return service


def service_deactivate(*, service: ConsultationService) -> None:
    """A service with bookings stays on record; it is only no longer offered."""
    service.is_active = False
    service.save(update_fields=["is_active", "updated_at"])


def _clean_windows(entries, *, field: str, dated: bool) -> list[dict]:
    cleaned, errors = [], []
    for index, entry in enumerate(entries):
        try:
            if dated and entry.get("closed"):
                cleaned.append({"date": entry["date"], "closed": True})
                continue
            start, end = parse_time(entry["start"]), parse_time(entry["end"])
            if end <= start:
                raise ValueError("A window ends after it starts (the same day).")
            item = {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
            item["date" if dated else "weekday"] = entry["date" if dated else "weekday"]
            cleaned.append(item)
        except (ValueError, KeyError) as error:
            errors.append(f"{field}[{index}]: {error}")
    if errors:
        raise BusinessValidationError({field: errors})
    return cleaned


@transaction.atomic
def availability_set(
    *, store: Store, timezone_name: str, weekly: list[dict], exceptions: list[dict]
) -> Availability:
    """Replace the store's plan; raises BusinessValidationError. Booked consultations
    keep their time: the plan only decides which slots are offered from now on."""
    _dermatologist_store(store)
    try:
        zone(timezone_name)
    except ValueError as error:
        raise BusinessValidationError({"timezone": [str(error)]}) from None
    weekly = _clean_windows(weekly, field="weekly", dated=False)
    exceptions = _clean_windows(exceptions, field="exceptions", dated=True)
    availability, _ = Availability.objects.select_for_update().get_or_create(store=store)
    availability.timezone = timezone_name
    availability.weekly = weekly
    availability.exceptions = exceptions
    availability.save()
    return availability


# --- booking -------------------------------------------------------------------------------


def _lock_availability(store: Store) -> Availability | None:
    return Availability.objects.select_for_update().filter(store=store).first()


def _require_free(
    *, service: ConsultationService, availability, starts_at: datetime, exclude_id=None
) -> datetime:
    """`starts_at` if it is one of the service's free slots now (aware), else raises
    SlotUnavailable."""
    if availability is None:
        raise SlotUnavailable()
    local_day = starts_at.astimezone(zone(availability.timezone)).date()
    slots = free_slots_for(
        service=service,
        availability=availability,
        first_day=local_day,
        last_day=local_day,
        exclude_id=exclude_id,
    )
    if starts_at not in slots:
        raise SlotUnavailable()
    return starts_at


def _expire_stale_holds(*, store: Store, starts_at: datetime, ends_at: datetime) -> None:
    """Cancel the unpaid bookings whose hold has run out and whose slot overlaps this one,
    before their slot is given to someone else (the constraint would refuse it)."""
    stale = Consultation.objects.filter(
        store=store,
        status=ConsultationStatus.PENDING_PAYMENT,
        hold_expires_at__lte=timezone.now(),
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).values_list("order_id", flat=True)
    for order_id in list(stale):
        order = Order.objects.get(pk=order_id)
        if order.status == OrderStatus.PENDING:
            order_cancel(order=order, by=None, reason="expired")


def _check_holds(customer) -> None:
    # The user's row serialises a customer's bookings across stores for this count.
    User.objects.select_for_update().filter(pk=customer.pk).first()
    holds = Consultation.objects.filter(
        customer=customer,
        status=ConsultationStatus.PENDING_PAYMENT,
        hold_expires_at__gt=timezone.now(),
    ).count()
    if holds >= settings.CONSULTATION_MAX_HOLDS_PER_CUSTOMER:
        raise TooManyHolds(extra={"pending_bookings": holds})


def _aware_utc(value: datetime) -> datetime:
    if timezone.is_naive(value):
        raise BusinessValidationError(
            {"starts_at": ["Give the time with its offset, e.g. 2026-12-10T09:00:00+01:00."]}
        )
    return value.astimezone(UTC)


@transaction.atomic
def consultation_book(
    *,
    customer,
    service: ConsultationService,
    starts_at: datetime,
    share_skin_profile: bool = False,
    note: str = "",
) -> Consultation:
    """Hold the slot and create its one-line order (pending payment, held for
    CONSULTATION_HOLD_MINUTES). Raises SlotUnavailable (409: not a free slot now, or taken
    at the same moment), TooManyHolds, BusinessValidationError (own store, naive time, an
    inactive service), UnpaidOrdersLimit."""
    starts_at = _aware_utc(starts_at)
    store = service.store
    if store.owner_id == customer.pk:
        raise BusinessValidationError({"service": ["You cannot book your own store."]})
    if not service.is_active:
        raise BusinessValidationError({"service": ["This service is not offered any more."]})
    availability = _lock_availability(store)
    ends_at = starts_at + timedelta(minutes=service.duration_minutes)
    _expire_stale_holds(store=store, starts_at=starts_at, ends_at=ends_at)
    _require_free(service=service, availability=availability, starts_at=starts_at)
    _check_holds(customer)
    order = order_place_service(
        user=customer,
        store=store,
        name=f"Consultation: {service.name}",
        reference=f"consultation-{service.pk}",
        price=service.price,
        currency=service.currency,
    )
    provider = video.provider()
    try:
        with transaction.atomic():
            consultation = Consultation.objects.create(
                service=service,
                store=store,
                customer=customer,
                order=order,
                starts_at=starts_at,
                ends_at=ends_at,
                hold_expires_at=timezone.now()
                + timedelta(minutes=settings.CONSULTATION_HOLD_MINUTES),
                share_skin_profile=share_skin_profile,
                note=note,
                video_provider=provider.name,
                room=provider.create_room(),
            )
    except IntegrityError:
        raise SlotUnavailable() from None
    return consultation


# --- the order's events ------------------------------------------------------------------


def _lock_for_order(order_id) -> Consultation | None:
    return Consultation.objects.select_for_update().filter(order_id=order_id).first()


def _on_order_paid(*, order_id) -> None:
    consultation = _lock_for_order(order_id)
    if consultation is None or consultation.status != ConsultationStatus.PENDING_PAYMENT:
        return
    consultation.status = ConsultationStatus.CONFIRMED
    consultation.confirmed_at = timezone.now()
    consultation.hold_expires_at = None
    consultation.save(update_fields=["status", "confirmed_at", "hold_expires_at", "updated_at"])
    _queue_email(consultation, "confirmed")


def free_cancellation_until(consultation: Consultation) -> datetime:
    return consultation.starts_at - timedelta(hours=settings.CONSULTATION_FREE_CANCEL_HOURS)


def _on_order_cancelling(*, order_id, by_id, reason: str) -> None:
    consultation = _lock_for_order(order_id)
    if consultation is None or consultation.status not in (
        ConsultationStatus.PENDING_PAYMENT,
        ConsultationStatus.CONFIRMED,
    ):
        return
    late = timezone.now() > free_cancellation_until(consultation)
    by_customer = by_id == consultation.customer_id
    if by_customer and late and consultation.status == ConsultationStatus.CONFIRMED:
        raise InvalidTransition(
            "Too late for a refunded cancellation: cancel with POST "
            f"consultations/{consultation.pk}/cancel/ (not refunded).",
            extra={"status": consultation.status},
        )
    was_paid = consultation.status == ConsultationStatus.CONFIRMED
    _mark_cancelled(consultation, by_id=by_id, reason=reason, refunded=was_paid)


def _mark_cancelled(consultation: Consultation, *, by_id, reason: str, refunded: bool) -> None:
    consultation.status = ConsultationStatus.CANCELLED
    consultation.cancelled_at = timezone.now()
    consultation.cancelled_by_id = by_id
    consultation.cancel_reason = (reason or "")[:255]
    consultation.refunded = refunded
    consultation.hold_expires_at = None
    consultation.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
            "refunded",
            "hold_expires_at",
            "updated_at",
        ]
    )
    _queue_email(consultation, "cancelled")


def _on_order_shipping(*, order_id) -> None:
    if Consultation.objects.filter(order_id=order_id).exists():
        raise InvalidTransition(
            "A consultation is not shipped: it is delivered when the dermatologist completes it."
        )


def subscribe_to_orders() -> None:
    """Follow the orders' events (AppConfig.ready)."""
    subscribe(ORDER_PAID, _on_order_paid)
    subscribe(ORDER_CANCELLING, _on_order_cancelling)
    subscribe(ORDER_SHIPPING, _on_order_shipping)


# --- the customer's changes ------------------------------------------------------------------


def _deliver_fulfilments(order: Order) -> None:
    """The sale stands (completed, no-show, a late cancellation): the store's part is
    delivered, so its earnings follow the usual hold. The order row is locked."""
    for fulfilment in Fulfilment.objects.select_for_update().filter(order=order).order_by("pk"):
        if fulfilment.status == FulfilmentStatus.PAID:
            fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.SHIPPED)
            fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.DELIVERED)
    order_status_sync(order=order)


@transaction.atomic
def consultation_cancel(*, consultation: Consultation, by, reason: str = "") -> Consultation:
    """The customer cancels: unpaid, or paid up to CONSULTATION_FREE_CANCEL_HOURS before
    the start, the order is cancelled and a payment refunded in full; later, the
    consultation is cancelled without a refund (the store keeps the sale). The store's
    owner cancels any time, always with a full refund. Raises InvalidTransition, what the
    refund raises (then nothing changes)."""
    order = lock_order(consultation.order)
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if consultation.status not in (
        ConsultationStatus.PENDING_PAYMENT,
        ConsultationStatus.CONFIRMED,
    ):
        raise InvalidTransition(
            f"A consultation that is {consultation.status} cannot be cancelled.",
            extra={"status": consultation.status},
        )
    by_store = by.pk == consultation.store.owner_id
    late = timezone.now() > free_cancellation_until(consultation)
    if (
        not by_store
        and consultation.status == ConsultationStatus.CONFIRMED
        and late
        and order.status == OrderStatus.PAID
    ):
        _mark_cancelled(
            consultation, by_id=by.pk, reason=reason or "cancelled late", refunded=False
        )
        _deliver_fulfilments(order)
        return consultation
    # The order's cancel refunds and, through ORDER_CANCELLING, cancels the consultation.
    order_cancel(order=order, by=by, reason=reason or "consultation cancelled")
    consultation.refresh_from_db()
    return consultation


@transaction.atomic
def consultation_reschedule(*, consultation: Consultation, by, starts_at: datetime) -> Consultation:
    """Move a pending or confirmed consultation to another free slot of its service, up to
    CONSULTATION_FREE_CANCEL_HOURS before its start. Raises InvalidTransition (status, too
    late), SlotUnavailable, BusinessValidationError (a naive time)."""
    starts_at = _aware_utc(starts_at)
    availability = _lock_availability(consultation.store)
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if consultation.status not in (
        ConsultationStatus.PENDING_PAYMENT,
        ConsultationStatus.CONFIRMED,
    ):
        raise InvalidTransition(
            f"A consultation that is {consultation.status} cannot be moved.",
            extra={"status": consultation.status},
        )
    if timezone.now() > free_cancellation_until(consultation):
        raise InvalidTransition(
            f"Consultations can be moved up to {settings.CONSULTATION_FREE_CANCEL_HOURS} h "
            "before they start.",
            extra={"status": consultation.status},
        )
    ends_at = starts_at + timedelta(minutes=consultation.service.duration_minutes)
    _expire_stale_holds(store=consultation.store, starts_at=starts_at, ends_at=ends_at)
    _require_free(
        service=consultation.service,
        availability=availability,
        starts_at=starts_at,
        exclude_id=consultation.pk,
    )
    consultation.starts_at, consultation.ends_at = starts_at, ends_at
    consultation.reminded_day_before_at = consultation.reminded_hour_before_at = None
    try:
        with transaction.atomic():
            consultation.save(
                update_fields=[
                    "starts_at",
                    "ends_at",
                    "reminded_day_before_at",
                    "reminded_hour_before_at",
                    "updated_at",
                ]
            )
    except IntegrityError:
        raise SlotUnavailable() from None
    _queue_email(consultation, "rescheduled")
    return consultation


# --- the dermatologist's changes ---------------------------------------------------------


def join_window_opens(consultation: Consultation) -> datetime:
    return consultation.starts_at - timedelta(minutes=settings.CONSULTATION_JOIN_WINDOW_MINUTES)


def _lock_confirmed_after_window_opened(consultation: Consultation) -> tuple[Order, Consultation]:
    order = lock_order(consultation.order)
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if consultation.status != ConsultationStatus.CONFIRMED:
        raise InvalidTransition(
            f"A consultation that is {consultation.status} cannot be closed.",
            extra={"status": consultation.status},
        )
    if timezone.now() < join_window_opens(consultation):
        raise InvalidTransition(
            "The consultation has not started yet.", extra={"status": consultation.status}
        )
    return order, consultation


@transaction.atomic
def consultation_complete(
    *,
    consultation: Consultation,
    summary: str,
    private_notes: str = "",
    recommended_products: list[dict] | None = None,
) -> Consultation:
    """confirmed -> completed, once the join window has opened: the summary for the
    customer, the dermatologist's private notes, the regimen; the store's part is
    delivered. Raises InvalidTransition, BusinessValidationError (an unknown product)."""
    order, consultation = _lock_confirmed_after_window_opened(consultation)
    recommended = recommended_products or []
    ids = [item["product_id"] for item in recommended]
    products = Product.objects.filter(is_deleted=False).in_bulk(ids)
    missing = [str(pk) for pk in ids if pk not in products]
    if missing:
        raise BusinessValidationError(
            {"recommended_products": [f"No such product: {', '.join(missing)}."]}
        )
    RecommendedProduct.objects.bulk_create(
        RecommendedProduct(
            consultation=consultation,
            product=products[item["product_id"]],
            product_name=products[item["product_id"]].name,
            note=item.get("note", ""),
            position=position,
        )
        for position, item in enumerate(recommended)
    )
    consultation.status = ConsultationStatus.COMPLETED
    consultation.completed_at = timezone.now()
    consultation.summary = summary
    consultation.private_notes = private_notes
    consultation.save(
        update_fields=["status", "completed_at", "summary", "private_notes", "updated_at"]
    )
    _deliver_fulfilments(order)
    _queue_email(consultation, "summary")
    return consultation


@transaction.atomic
def consultation_no_show(*, consultation: Consultation) -> Consultation:
    """confirmed -> no_show, once the join window has opened; no refund (the time was
    reserved), the store's part is delivered. Raises InvalidTransition."""
    order, consultation = _lock_confirmed_after_window_opened(consultation)
    consultation.status = ConsultationStatus.NO_SHOW
    consultation.completed_at = timezone.now()
    consultation.save(update_fields=["status", "completed_at", "updated_at"])
    _deliver_fulfilments(order)
    return consultation


def join_url_for(consultation: Consultation, *, now: datetime | None = None) -> str | None:
    """The room's address while the consultation is confirmed and its join window open
    (from CONSULTATION_JOIN_WINDOW_MINUTES before the start until its end), else None.
    Only the participants' answers call this."""
    now = now or timezone.now()
    if consultation.status != ConsultationStatus.CONFIRMED:
        return None
    if not join_window_opens(consultation) <= now <= consultation.ends_at:
        return None
    return video.provider(consultation.video_provider).join_url(consultation.room)


@transaction.atomic
def regimen_add_to_cart(*, consultation: Consultation, user) -> tuple[list, list]:
    """Put each recommended product that can be bought into the customer's cart (one of
    each); returns (added product ids, skipped product names)."""
    cart = cart_user_get_or_create(user=user)
    added, skipped = [], []
    for item in consultation.recommendations.all():
        if item.product_id is None:
            skipped.append(item.product_name)
            continue
        try:
            with transaction.atomic():
                cart_add_item(cart=cart, product_id=item.product_id, quantity=1)
        except BusinessValidationError:
            skipped.append(item.product_name)
        else:
            added.append(item.product_id)
    return added, skipped


# --- jobs ----------------------------------------------------------------------------------


def consultations_expire_holds(*, now: datetime | None = None) -> int:
    """Cancel the unpaid bookings whose hold ran out (and their orders), each in its own
    transaction, skipping orders being paid right now; returns how many."""
    now = now or timezone.now()
    expired = 0
    stale = Consultation.objects.filter(
        status=ConsultationStatus.PENDING_PAYMENT, hold_expires_at__lte=now
    )
    for order_id in list(stale.values_list("order_id", flat=True)):
        with transaction.atomic():
            order = (
                Order.objects.select_for_update(skip_locked=True)
                .filter(pk=order_id, status=OrderStatus.PENDING)
                .first()
            )
            if order is None:  # being paid or cancelled meanwhile
                continue
            order_cancel(order=order, by=None, reason="expired")
            expired += 1
    return expired


def consultations_send_reminders(*, now: datetime | None = None) -> int:
    """Email the reminders due: the day before (24 h) and the hour before; each once."""
    now = now or timezone.now()
    sent = 0
    for field, ahead, kind in (
        ("reminded_day_before_at", timedelta(hours=24), "reminder_day"),
        ("reminded_hour_before_at", timedelta(hours=1), "reminder_hour"),
    ):
        due = Consultation.objects.filter(
            status=ConsultationStatus.CONFIRMED,
            starts_at__gt=now,
            starts_at__lte=now + ahead,
            **{f"{field}__isnull": True},
        )
        for consultation_id in list(due.values_list("pk", flat=True)):
            # The update is the claim: two beat runs at once send each reminder once.
            with transaction.atomic():
                claimed = Consultation.objects.filter(
                    pk=consultation_id, **{f"{field}__isnull": True}
                ).update(**{field: now})
                if claimed:
                    consultation = Consultation.objects.get(pk=consultation_id)
                    _queue_email(consultation, kind)
                    sent += 1
    return sent
