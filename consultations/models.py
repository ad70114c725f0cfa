from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models import BaseModel


class ConsultationService(BaseModel):
    """A video consultation a dermatologist store sells: its length and price."""

    store = models.ForeignKey(
        "stores.Store", on_delete=models.PROTECT, related_name="consultation_services"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(15), MaxValueValidator(120)]
    )
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["store", "is_active"], name="consult_service_store_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=15, duration_minutes__lte=120),
                name="consult_service_duration_range",
            ),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="consult_service_price"),
        ]

    def __str__(self):
        return f"{self.name} ({self.duration_minutes} min)"


class Availability(BaseModel):
    """A dermatologist's weekly plan in their own time zone, with dated exceptions.

    `weekly`: [{"weekday": 0-6 (Monday 0), "start": "HH:MM", "end": "HH:MM"}, ...], local
    wall-clock times. `exceptions`: [{"date": "YYYY-MM-DD", "closed": true}] or
    [{"date": ..., "start": ..., "end": ...}, ...]: on a date with exceptions only they
    count (closed wins). Its row is also the lock every booking of the store takes."""

    store = models.OneToOneField(
        "stores.Store", on_delete=models.CASCADE, related_name="availability"
    )
    timezone = models.CharField(max_length=64, default="UTC")
    weekly = models.JSONField(default=list, blank=True)
    exceptions = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "availability"

    def __str__(self):
        return f"Availability of {self.store_id} ({self.timezone})"


class ConsultationStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Pending payment"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No show"
    CANCELLED = "cancelled", "Cancelled"


# Consultations that take their time slot: every status but cancelled (an expired hold is
# cancelled by the expiry job, or by the next booking that wants its slot).
SLOT_TAKING = frozenset(set(ConsultationStatus.values) - {ConsultationStatus.CANCELLED})


class Consultation(BaseModel):
    """One booked consultation: a slot of the store's time, paid through its one-line
    order. Status changes go through consultations.services."""

    service = models.ForeignKey(
        ConsultationService, on_delete=models.PROTECT, related_name="consultations"
    )
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultations"
    )
    order = models.OneToOneField(
        "orders.Order", on_delete=models.PROTECT, related_name="consultation"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=16,
        choices=ConsultationStatus.choices,
        default=ConsultationStatus.PENDING_PAYMENT,
    )
    # Until then an unpaid booking holds its slot.
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    share_skin_profile = models.BooleanField(default=False)
    note = models.TextField(blank=True, max_length=1000)
    video_provider = models.CharField(max_length=16)
    room = models.CharField(max_length=128)
    summary = models.TextField(blank=True)
    # The dermatologist's alone: never in a customer's answer, email or event.
    private_notes = models.TextField(blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.CharField(max_length=255, blank=True)
    refunded = models.BooleanField(default=False)
    reminded_day_before_at = models.DateTimeField(null=True, blank=True)
    reminded_hour_before_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["store", "starts_at"], name="consult_store_start_idx"),
            models.Index(fields=["customer", "-starts_at"], name="consult_customer_idx"),
            models.Index(fields=["status", "hold_expires_at"], name="consult_status_hold_idx"),
        ]
        constraints = [
            # One booking per start time of a store, whatever the concurrency. On PostgreSQL
            # an exclusion constraint (migration 0002) also refuses overlapping bookings.
            models.UniqueConstraint(
                fields=["store", "starts_at"],
                condition=~models.Q(status=ConsultationStatus.CANCELLED),
                name="consult_one_booking_per_start",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="consult_ends_after"
            ),
        ]

    def __str__(self):
        return f"{self.service.name} at {self.starts_at:%Y-%m-%d %H:%M} UTC"


class RecommendedProduct(BaseModel):
    """A product the dermatologist recommends in a completed consultation's regimen."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="recommendations"
    )
    product = models.ForeignKey(
        "catalog.Product", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    product_name = models.CharField(max_length=200)
    note = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "created_at"]

    def __str__(self):
        return self.product_name
