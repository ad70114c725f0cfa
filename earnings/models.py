"""What the marketplace keeps and what it owes each store.

A store's balance is never stored: it is the sum of its immutable ledger entries, so there
is no second number that could drift from them.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models import BaseModel


class CommissionRule(BaseModel):
    """The platform's percent of a sale. The most specific rule wins: store and category,
    then store, then category (a category covers its subcategories), then
    PLATFORM_COMMISSION_PERCENT. Rules apply to sales from now on only: each order item
    keeps the rate it was sold at."""

    rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Percent, 0 to 100, two decimals.",
    )
    store = models.ForeignKey(
        "stores.Store",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="commission_rules",
    )
    category = models.ForeignKey(
        "catalog.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="commission_rules",
    )
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=100), name="earnings_rule_rate_range"
            ),
            # The default is a setting, not a rule: a rule names a store or a category.
            models.CheckConstraint(
                condition=models.Q(store__isnull=False) | models.Q(category__isnull=False),
                name="earnings_rule_has_a_scope",
            ),
            # One rule per scope (NULLs are distinct in a unique index, hence three).
            models.UniqueConstraint(
                fields=["store", "category"],
                condition=models.Q(store__isnull=False, category__isnull=False),
                name="earnings_rule_one_per_store_category",
            ),
            models.UniqueConstraint(
                fields=["store"],
                condition=models.Q(category__isnull=True),
                name="earnings_rule_one_per_store",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=models.Q(store__isnull=True),
                name="earnings_rule_one_per_category",
            ),
        ]

    def __str__(self):
        scope = " / ".join(str(part) for part in (self.store, self.category) if part)
        return f"{self.rate}% on {scope}"


class LedgerEntryKind(models.TextChoices):
    SALE = "sale", "Sale (line totals less commission)"
    REFUND = "refund", "Refund to the buyer"
    COMMISSION_REVERSAL = "commission_reversal", "Commission given back"
    PAYOUT = "payout", "Payout"
    ADJUSTMENT = "adjustment", "Adjustment by staff"


class LedgerEntry(BaseModel):
    """One immutable movement of a store's money in one currency: positive credits the
    store, negative debits it. Entries of a fulfilment (sale, refund, commission
    reversal) are pending until it is delivered plus SELLER_PAYOUT_HOLD_DAYS; payouts and
    adjustments count at once."""

    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="ledger")
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=24, choices=LedgerEntryKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    fulfilment = models.ForeignKey(
        "orders.Fulfilment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    payout = models.ForeignKey(
        "earnings.Payout",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    description = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(
                fields=["store", "currency", "-created_at"], name="earnings_ledger_store_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="earnings_ledger_amount_not_zero"
            ),
            # A fulfilment is earned once, however often its payment is reported.
            models.UniqueConstraint(
                fields=["fulfilment"],
                condition=models.Q(kind="sale"),
                name="earnings_ledger_one_sale_per_fulfilment",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.amount} {self.currency} ({self.store_id})"


class PayoutStatus(models.TextChoices):
    # Taken from the available balance; the transfer is being sent (or will be retried).
    PROCESSING = "processing", "Processing"
    PAID = "paid", "Paid"
    # The transfer failed or was reversed: its amount is back in the available balance.
    FAILED = "failed", "Failed"


class Payout(BaseModel):
    """Money sent to a store's payout account. The ledger entry that takes it out of the
    available balance is written with it, before the provider is called; a failure writes
    the entry that gives it back."""

    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="payouts")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(
        max_length=16,
        choices=PayoutStatus.choices,
        default=PayoutStatus.PROCESSING,
        db_index=True,
    )
    provider = models.CharField(max_length=32)
    destination = models.CharField(max_length=255, help_text="The payout account it went to.")
    provider_reference = models.CharField(max_length=255, blank=True, db_index=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="earnings_payout_positive"
            ),
            # One payout per store at a time: another waits until this one is settled.
            models.UniqueConstraint(
                fields=["store"],
                condition=models.Q(status="processing"),
                name="earnings_payout_one_in_flight_per_store",
            ),
        ]

    def __str__(self):
        return f"Payout {self.amount} {self.currency} to {self.store_id} ({self.status})"


class PayoutEvent(BaseModel):
    """Each payout provider event is applied once: its id is recorded in the same
    transaction that applies it."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=128)
    payload = models.JSONField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="earnings_event_once"),
        ]

    def __str__(self):
        return f"{self.provider} {self.event_type} {self.event_id}"
