"""Query-string filters of reviews. A malformed value is a 400, never a 500 or a silently
ignored filter."""

from django_filters import rest_framework as filters
from rest_framework.exceptions import PermissionDenied

from reviews.models import Review, ReviewStatus


class ReviewOrderingFilter(filters.OrderingFilter):
    """Ties fall back to newest first, then id, so pages never overlap."""

    def filter(self, qs, value):
        ordering = [self.get_ordering_value(param) for param in value or () if param]
        if not ordering:
            return qs
        return qs.order_by(*ordering, "-created_at", "-id")


class ReviewFilter(filters.FilterSet):
    product = filters.UUIDFilter(field_name="product_id", help_text="Reviews of this product.")
    user = filters.UUIDFilter(
        method="filter_user", help_text="Reviews written by this user id (staff only)."
    )
    status = filters.ChoiceFilter(
        choices=ReviewStatus.choices,
        help_text="Staff: any status. Others see approved reviews and their own, so other "
        "statuses only match their own reviews.",
    )
    ordering = ReviewOrderingFilter(
        fields=(("created_at", "created_at"), ("rating", "rating")),
        help_text="`-created_at` (newest, the default), `created_at`, `-rating` or `rating`.",
    )

    class Meta:
        model = Review
        fields = ["product", "user", "status"]

    def filter_user(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not (user and user.is_authenticated and user.is_staff):
            raise PermissionDenied("Only staff may filter reviews by user.")
        return queryset.filter(user_id=value)
