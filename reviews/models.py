from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models import BaseModel

MAX_COMMENT_LENGTH = 2000


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    HIDDEN = "hidden", "Hidden"


class Review(BaseModel):
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    # Plain text; clients must render it as text, never as HTML.
    comment = models.TextField(blank=True, max_length=MAX_COMMENT_LENGTH)
    status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.APPROVED
    )
    verified_purchase = models.BooleanField(default=False)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["product", "user"], name="reviews_one_per_user"),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="reviews_rating_1_to_5"
            ),
        ]
        indexes = [
            models.Index(
                fields=["product", "status", "-created_at"], name="reviews_product_new_idx"
            ),
            models.Index(
                fields=["product", "status", "-rating"], name="reviews_product_rating_idx"
            ),
        ]

    def __str__(self):
        return f"{self.rating}* by {self.user_id} on {self.product_id}"
