"""Query-string filters of orders. A malformed value is a 400, never a 500 or ignored."""

import datetime

from django import forms
from django.utils.dateparse import parse_date, parse_datetime
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from core.datetimes import InstantOutOfRange, instant_to_utc
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderStatus


class DateOrDateTimeField(forms.Field):
    """An ISO 8601 date (2026-05-01) or datetime (2026-05-01T12:00:00Z). Returns
    (datetime in UTC, is_date_only)."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip()
        try:
            # Date first: parse_datetime also reads a bare date (as midnight).
            day = parse_date(text)
            moment = None if day else parse_datetime(text)
        except ValueError:
            moment = day = None
        if moment is None and day is None:
            raise forms.ValidationError(
                "Use an ISO 8601 date (2026-05-01) or datetime (2026-05-01T12:00:00Z).",
                code="invalid",
            )
        if day is not None:
            moment = datetime.datetime.combine(day, datetime.time.min)
        try:
            return instant_to_utc(moment), day is not None
        except InstantOutOfRange as exc:
            raise forms.ValidationError(str(exc), code="out_of_range") from None


@extend_schema_field(
    {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
)
class DateOrDateTimeFilter(filters.Filter):
    field_class = DateOrDateTimeField


class OrderFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=OrderStatus.choices)
    user = filters.UUIDFilter(field_name="user_id", help_text="Orders of this user id (staff).")
    created_after = DateOrDateTimeFilter(
        method="filter_created_after",
        help_text="Placed at or after this date (from its start) or datetime.",
    )
    created_before = DateOrDateTimeFilter(
        method="filter_created_before",
        help_text="Placed before this datetime, or on or before this date (the whole day).",
    )

    class Meta:
        model = Order
        fields = ["status", "user", "created_after", "created_before"]

    def filter_created_after(self, queryset, name, value):
        moment, _ = value
        return queryset.filter(created_at__gte=moment)

    def filter_created_before(self, queryset, name, value):
        moment, date_only = value
        if date_only:
            return queryset.filter(created_at__lt=moment + datetime.timedelta(days=1))
        return queryset.filter(created_at__lt=moment)


class FulfilmentFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=FulfilmentStatus.choices)
    created_after = DateOrDateTimeFilter(
        method="filter_created_after",
        help_text="Placed at or after this date (from its start) or datetime.",
    )

    class Meta:
        model = Fulfilment
        fields = ["status", "created_after"]

    def filter_created_after(self, queryset, name, value):
        moment, _ = value
        return queryset.filter(created_at__gte=moment)
