"""Outbound webhooks: the endpoints integrators register, the events the marketplace emits
to them, and one delivery per event and endpoint (the log of its attempts).

An event and its deliveries are written in the transaction of the change they announce
(an outbox): a rolled-back write leaves none, a committed one always has its rows, which
the sender picks up after the commit (at once) or later (the beat task), however the
process that committed it ended.
"""

from django.conf import settings
from django.db import models

from core.models import BaseModel


class EventType(models.TextChoices):
    ORDER_CREATED = "order.created", "An order was placed"
    ORDER_PAID = "order.paid", "An order was paid"
    ORDER_SHIPPED = "order.shipped", "An order shipped"
    ORDER_CANCELLED = "order.cancelled", "An order was cancelled"
    PRODUCT_UPDATED = "product.updated", "A product was updated"
    STOCK_LOW = "stock.low", "A product's stock went down to the low-stock threshold"
    REVIEW_CREATED = "review.created", "A review was posted"
    PING = "ping", "A test event sent on request"


# What an endpoint may subscribe to: every type but the ping, which is sent on request.
SUBSCRIBABLE_EVENTS = tuple(value for value in EventType.values if value != EventType.PING)


class Endpoint(BaseModel):
    """A URL that receives the events it subscribed to, signed with its secret."""

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=255, blank=True)
    # Event types (EventType values); a list, matched in Python: endpoints are few.
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    # The HMAC key, kept as shown to staff once (it must be readable to sign); never in an
    # answer or an admin page after the one that created or rotated it.
    secret = models.CharField(max_length=128)
    # The last sequence number given to a delivery of this endpoint (see services).
    last_sequence = models.PositiveBigIntegerField(default=0)
    # Failed attempts since the last success; at WEBHOOK_DISABLE_AFTER_FAILURES the endpoint
    # is disabled.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.description or self.url


class Event(BaseModel):
    """Something that happened, once: its id is the `X-Webhook-Id` of every delivery and
    retry of it, and `data` is a snapshot taken in the transaction that made it happen."""

    type = models.CharField(max_length=32, choices=EventType.choices)
    data = models.JSONField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.type} {self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its first attempt or a retry
    DELIVERED = "delivered", "Delivered"  # a 2xx answer
    FAILED = "failed", "Failed"  # every attempt of the schedule failed


class Delivery(BaseModel):
    """One event sent to one endpoint: the attempts so far, the next one, the last answer."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    # Per endpoint, given after the commit (null until then); a redelivery repeats the
    # number of the delivery it repeats.
    sequence = models.PositiveBigIntegerField(null=True, blank=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="redeliveries"
    )
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt is due (pending only); while an attempt runs, the end of its
    # lease, after which a sender that died is replaced.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # The start of the last answer's body (WEBHOOK_RESPONSE_BODY_MAX_BYTES), for debugging.
    last_response_body = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due_idx"),
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_log_idx"),
        ]
        constraints = [
            # Two events never share an endpoint's number (the race test's subject).
            models.UniqueConstraint(
                fields=["endpoint", "sequence"],
                condition=models.Q(redelivery_of__isnull=True),
                name="webhooks_delivery_sequence_once",
            ),
        ]

    def __str__(self):
        return f"{self.event.type} -> {self.endpoint.url} ({self.status})"
