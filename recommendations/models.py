from django.db import models

from core.models import BaseModel


class RecommendationKind(models.TextChoices):
    BOUGHT_TOGETHER = "bought_together", "Bought together"
    SIMILAR = "similar", "Similar"


class ProductRecommendation(BaseModel):
    """Precomputed by `manage.py compute_recommendations`, so requests only read."""

    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="recommendations"
    )
    recommended = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=RecommendationKind.choices)
    score = models.FloatField()
    reason = models.CharField(max_length=255)

    class Meta:
        ordering = ["product", "kind", "-score"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "recommended", "kind"], name="recommendations_pair_once"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "kind", "-score"], name="recommendations_lookup_idx"),
        ]

    def __str__(self):
        return f"{self.kind}: {self.product_id} -> {self.recommended_id}"
