"""Query-string filters of payments. A malformed value is a 400, never a 500 or ignored."""

from django_filters import rest_framework as filters

from payments.models import Payment, PaymentStatus


class PaymentFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=PaymentStatus.choices)
    provider = filters.CharFilter(help_text="Provider name, e.g. `fake` or `stripe`.")
    order = filters.UUIDFilter(field_name="order_id", help_text="The payment of this order id.")
    needs_review = filters.BooleanFilter(
        help_text="Money arrived that could not be applied or refunded automatically."
    )

    class Meta:
        model = Payment
        fields = ["status", "provider", "order", "needs_review"]
