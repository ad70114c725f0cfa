"""Reads of consultations: services, free slots, a customer's and a dermatologist's
consultations."""

import uuid
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from consultations.availability import free_slots, zone
from consultations.models import (
    SLOT_TAKING,
    Availability,
    Consultation,
    ConsultationService,
    ConsultationStatus,
)
from stores.models import Store, StoreKind, StoreStatus

MAX_SLOT_RANGE_DAYS = 31


def bookable_store(ref: str) -> Store | None:
    """The approved dermatologist store of slug (or id) `ref`, or None."""
    stores = Store.objects.filter(kind=StoreKind.DERMATOLOGIST, status=StoreStatus.APPROVED)
    store = stores.filter(slug=ref).first()
    if store is None:
        try:
            store = stores.filter(pk=uuid.UUID(str(ref))).first()
        except ValueError:
            return None
    return store


def public_services(*, store: Store) -> QuerySet[ConsultationService]:
    return ConsultationService.objects.filter(store=store, is_active=True).order_by("name", "id")


def own_services(*, store: Store) -> QuerySet[ConsultationService]:
    return ConsultationService.objects.filter(store=store).order_by("name", "id")


def busy_intervals(
    *, store_id, start: datetime, end: datetime, exclude_id=None, now: datetime | None = None
) -> list[tuple[datetime, datetime]]:
    """(start, end) of the store's consultations that take their slot and overlap
    [start, end), in start order: an unpaid booking only while its hold lasts. One range
    query on (store, starts_at)."""
    now = now or timezone.now()
    # Slots are at most 120 minutes long: a booking overlapping `start` began after this.
    rows = Consultation.objects.filter(
        store_id=store_id,
        status__in=SLOT_TAKING,
        starts_at__lt=end,
        starts_at__gt=start - timedelta(minutes=120),
    ).filter(~Q(status=ConsultationStatus.PENDING_PAYMENT) | Q(hold_expires_at__gt=now))
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    return [
        (s, e)
        for s, e in rows.order_by("starts_at").values_list("starts_at", "ends_at")
        if e > start
    ]


def slot_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The earliest and latest start a booking may have now: the lead time and horizon."""
    now = now or timezone.now()
    return (
        now + timedelta(hours=settings.CONSULTATION_MIN_LEAD_HOURS),
        now + timedelta(days=settings.CONSULTATION_HORIZON_DAYS),
    )


def free_slots_for(
    *,
    service: ConsultationService,
    availability: Availability | None,
    first_day: date,
    last_day: date,
    exclude_id=None,
    now: datetime | None = None,
) -> list[datetime]:
    """The free starts of `service` from `first_day` to `last_day`, dates where the
    dermatologist is; aware in their time zone. Two queries' worth of data (the plan, the
    busy range), the rest in memory."""
    if availability is None:
        return []
    tz = zone(availability.timezone)
    earliest, latest = slot_window(now)
    range_start = datetime.combine(first_day, datetime.min.time(), tz).astimezone(UTC)
    range_end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tz)
    busy = busy_intervals(
        store_id=service.store_id,
        start=range_start,
        end=range_end.astimezone(UTC),
        exclude_id=exclude_id,
        now=now,
    )
    return free_slots(
        tz=tz,
        weekly=availability.weekly,
        exceptions=availability.exceptions,
        duration=timedelta(minutes=service.duration_minutes),
        first_day=first_day,
        last_day=last_day,
        earliest=earliest,
        latest=latest,
        busy=busy,
    )


def _with_details(queryset: QuerySet[Consultation]) -> QuerySet[Consultation]:
    return queryset.select_related(
        "service", "store", "customer__profile", "order"
    ).prefetch_related("recommendations")


def consultations_of_customer(*, user) -> QuerySet[Consultation]:
    return _with_details(Consultation.objects.filter(customer=user)).order_by("-starts_at", "id")


def consultation_for_participant(*, user, pk) -> Consultation | None:
    """The consultation if `user` is its customer or its store's owner, else None."""
    return (
        _with_details(Consultation.objects.filter(pk=pk))
        .filter(Q(customer=user) | Q(store__owner=user))
        .first()
    )


def consultations_of_store(
    *, store: Store, start: datetime | None = None, end: datetime | None = None, status=None
) -> QuerySet[Consultation]:
    rows = Consultation.objects.filter(store=store)
    if start is not None:
        rows = rows.filter(starts_at__gte=start)
    if end is not None:
        rows = rows.filter(starts_at__lt=end)
    if status:
        rows = rows.filter(status=status)
    return _with_details(rows).order_by("starts_at", "id")


def availability_of(*, store: Store) -> Availability | None:
    return Availability.objects.filter(store=store).first()
