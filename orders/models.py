from decimal import Decimal

from django.conf import settings
from django.db import models

from core.models import BaseModel


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending payment"
    PAID = "paid", "Paid"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


# Orders that count as sold: paid for, whether or not they arrived yet. Pending orders may
# never be paid and cancelled ones were undone. Revenue, verified purchases and "bought
# together" all count these.
SOLD_STATUSES = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED})


class Order(BaseModel):
    """A placed order. Totals, address and item snapshots are written once, at checkout,
    and never change; only the status and its timestamps move (orders.services)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    email = models.EmailField(help_text="Where order emails go; copied from the user at checkout.")
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True
    )
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=12, decimal_places=2)
    coupon_code = models.CharField(max_length=64, blank=True)
    # Snapshot of the shipping address at checkout (keys of accounts.Address).
    shipping_address = models.JSONField()

    tracking_number = models.CharField(max_length=64, blank=True)
    carrier = models.CharField(max_length=64, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="orders_order_user_new_idx"),
            # Expiry of unpaid orders and staff filters by status and date.
            models.Index(fields=["status", "created_at"], name="orders_order_status_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subtotal__gte=0, discount_total__gte=0, total__gte=0),
                name="orders_order_amounts_not_negative",
            ),
        ]

    def __str__(self):
        return f"Order {self.pk} ({self.status})"


class FulfilmentStatus(models.TextChoices):
    PENDING = "pending", "Pending payment"
    PAID = "paid", "Paid"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class Fulfilment(BaseModel):
    """One store's part of an order: its lines, what the buyer paid for them and what the
    platform keeps. Each store ships, delivers or cancels its own part; the order's status
    follows from its fulfilments. Amounts are written at checkout and never change; the
    refunded amount only grows."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfilments")
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="fulfilments")
    status = models.CharField(
        max_length=16,
        choices=FulfilmentStatus.choices,
        default=FulfilmentStatus.PENDING,
        db_index=True,
    )
    currency = models.CharField(max_length=3)
    # The store's line totals (its own product discounts included), before the coupon.
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    # Its share of the order's coupon, which the platform pays for.
    discount_share = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # What the buyer paid for this part: subtotal less its coupon share.
    total = models.DecimalField(max_digits=12, decimal_places=2)
    commission = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # Given back to the buyer for this part so far (cancellation or staff refunds).
    refunded = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    tracking_number = models.CharField(max_length=64, blank=True)
    carrier = models.CharField(max_length=64, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # A seller's fulfilments, newest first, by status.
            models.Index(fields=["store", "status", "-created_at"], name="orders_fulf_store_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "store"], name="orders_fulfilment_one_per_store"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    subtotal__gte=0, discount_share__gte=0, total__gte=0, commission__gte=0
                )
                & models.Q(refunded__gte=0, refunded__lte=models.F("total")),
                name="orders_fulfilment_amounts_valid",
            ),
        ]

    def __str__(self):
        return f"Fulfilment {self.pk} of {self.order_id} ({self.status})"

    @property
    def refundable(self) -> Decimal:
        return self.total - self.refunded

    @property
    def net(self) -> Decimal:
        """What the store earns on this part before refunds: its line totals less the
        commission (the platform pays for the coupon)."""
        return self.subtotal - self.commission


class OrderItem(BaseModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    # The store's part of the order this line belongs to (none for orders placed before
    # stores existed).
    fulfilment = models.ForeignKey(
        Fulfilment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="items",
        db_index=False,  # orders_item_fulfilment_idx, built concurrently on a live table
    )
    # Kept when the product is later changed or deleted: the snapshot fields are the record.
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product_name = models.CharField(max_length=200)
    product_slug = models.CharField(max_length=220)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    # The platform's commission on this line, as it stood when it was sold: later rule
    # changes never touch it. Percent of the line total, and that amount to the cent.
    commission_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    commission_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["created_at", "product_name"]
        indexes = [models.Index(fields=["fulfilment"], name="orders_item_fulfilment_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="orders_item_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.product_name}"
