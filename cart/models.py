from django.conf import settings
from django.db import models

from core.models import BaseModel


class Cart(BaseModel):
    """A user's one cart, or a guest's cart known by its token. Never both."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cart",
    )
    token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    coupon = models.ForeignKey(
        "coupons.Coupon", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, token__isnull=True)
                    | models.Q(user__isnull=True, token__isnull=False)
                ),
                name="cart_cart_user_xor_token",
            ),
        ]
        # The purge of stale guest carts scans by age.
        indexes = [models.Index(fields=["updated_at"], name="cart_cart_updated_idx")]

    def __str__(self):
        return f"Cart of {self.user_id}" if self.user_id else f"Guest cart {self.pk}"


class CartItem(BaseModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "product"], name="cart_item_one_line_per_product"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="cart_item_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.product_id}"
