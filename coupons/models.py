from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper

from core.models import BaseModel


class CouponKind(models.TextChoices):
    PERCENT = "percent", "Percent off the subtotal"
    FIXED = "fixed", "Fixed amount off the subtotal"


class Coupon(BaseModel):
    # Stored upper-cased; codes compare case-insensitively.
    code = models.CharField(max_length=64, unique=True)
    description = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=16, choices=CouponKind.choices)
    value = models.DecimalField(max_digits=12, decimal_places=2)
    # A fixed amount is in this currency and applies only to carts in it.
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    min_subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Total uses.")
    per_user_limit = models.PositiveIntegerField(null=True, blank=True)
    # Counted atomically at checkout; a cancelled order gives its use back.
    times_used = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="coupons_code_ci_unique"),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="coupons_value_positive"),
            models.CheckConstraint(
                condition=~models.Q(kind="percent") | models.Q(value__lte=100),
                name="coupons_percent_at_most_100",
            ),
            models.CheckConstraint(
                condition=models.Q(usage_limit__isnull=True)
                | models.Q(times_used__lte=models.F("usage_limit")),
                name="coupons_used_within_limit",
            ),
        ]

    def __str__(self):
        return self.code


class CouponRedemption(BaseModel):
    """One use of a coupon by an order; deleted (and the use given back) on cancel."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coupon_redemptions"
    )
    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="coupon_redemption"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["coupon", "user"], name="coupons_redemption_user_idx")]

    def __str__(self):
        return f"{self.coupon_id} on {self.order_id}"
