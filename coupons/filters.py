"""Query-string filters of the staff coupon list. A malformed value is a 400."""

from django_filters import rest_framework as filters

from catalog.filters import StrictBooleanFilter
from coupons.models import Coupon, CouponKind


class CouponFilter(filters.FilterSet):
    is_active = StrictBooleanFilter(help_text="true: active coupons; false: deactivated ones.")
    kind = filters.ChoiceFilter(choices=CouponKind.choices)

    class Meta:
        model = Coupon
        fields = ["is_active", "kind"]
