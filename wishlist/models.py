from django.conf import settings
from django.db import models

from core.models import BaseModel


class Wishlist(BaseModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishlist"
    )
    # Set while the owner shares the list read-only; cleared to revoke the link.
    share_token = models.CharField(max_length=64, unique=True, null=True, blank=True)

    def __str__(self):
        return f"Wishlist of {self.user_id}"


class WishlistItem(BaseModel):
    wishlist = models.ForeignKey(Wishlist, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["wishlist", "product"], name="wishlist_item_once_per_product"
            ),
        ]

    def __str__(self):
        return f"{self.product_id} in {self.wishlist_id}"
