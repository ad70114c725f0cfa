"""Recommendations in the admin: read-only (they are computed, never typed in); an action
recomputes the similar lists of the selected rows' products with the same service as the
`compute_recommendations` command (which does the whole catalog)."""

from django.contrib import admin, messages

from recommendations.models import ProductRecommendation
from recommendations.services import recommendations_compute


@admin.register(ProductRecommendation)
class ProductRecommendationAdmin(admin.ModelAdmin):
    list_display = ("product", "kind", "recommended", "score", "reason", "created_at")
    list_filter = ("kind",)
    search_fields = ("product__name", "recommended__name")
    list_select_related = ("product", "recommended")
    readonly_fields = ("product", "recommended", "kind", "score", "reason", "created_at")
    fields = readonly_fields
    actions = ["recompute"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Recompute recommendations of the selected rows' products")
    def recompute(self, request, queryset):
        product_ids = set(queryset.values_list("product_id", flat=True))
        rows = recommendations_compute(product_ids=product_ids)
        self.message_user(
            request,
            f"Recomputed: {rows} row(s) written for {len(product_ids)} product(s) "
            "(bought-together for the whole catalog). "
            "Run `manage.py compute_recommendations` for everything.",
            messages.SUCCESS,
        )
