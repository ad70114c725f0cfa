"""Query-string filters of reviews. A malformed value is a 400, never a 500 or a silently
ignored filter."""

from django_filters import rest_framework as filters
from rest_framework.exceptions import PermissionDenied

from reviews.models import Review, ReviewStatus


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

    class Meta:
        model = Review
        fields = ["product", "user", "status"]

    def filter_user(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not (user and user.is_authenticated and user.is_staff):
            raise PermissionDenied("Only staff may filter reviews by user.")
        return queryset.filter(user_id=value)
