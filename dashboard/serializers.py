"""The metrics query (window and list sizes) and the shape of the metrics answer."""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.datetimes import InstantOutOfRange, instant_to_utc
from dashboard.selectors import SCOPE_ALL, SCOPE_SELLER, MetricsWindow
from orders.models import OrderStatus

DEFAULT_WINDOW_DAYS = 30
MAX_WINDOW_DAYS = 366
DEFAULT_TOP = 10
MAX_TOP = 50
# Far above any sensible threshold; keeps the number an integer the database can compare.
MAX_LOW_STOCK = 1_000_000


@extend_schema_field(
    {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
)
class DateOrDateTimeField(serializers.Field):
    """An ISO 8601 date (2026-05-01) or datetime (2026-05-01T12:00:00Z). Gives
    (datetime in UTC, is_date_only); a date gives its midnight."""

    default_error_messages = {
        "invalid": "Use an ISO 8601 date (2026-05-01) or datetime (2026-05-01T12:00:00Z)."
    }

    def to_internal_value(self, data):
        text = str(data).strip()
        try:
            # Date first: parse_datetime also reads a bare date (as midnight).
            day = parse_date(text)
            moment = None if day else parse_datetime(text)
        except ValueError:  # well formed but impossible, e.g. 2026-02-30
            day = moment = None
        if day is None and moment is None:
            self.fail("invalid")
        if day is not None:
            moment = datetime.datetime.combine(day, datetime.time.min)
        try:
            return instant_to_utc(moment), day is not None
        except InstantOutOfRange as exc:
            raise serializers.ValidationError(str(exc), code="out_of_range") from None

    def to_representation(self, value):
        return value


class MetricsQueryInput(serializers.Serializer):
    """The window and list sizes; `from` (a Python keyword) and `to` come from get_fields."""

    top = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_TOP,
        default=DEFAULT_TOP,
        help_text=f"Length of each top-products list (default {DEFAULT_TOP}, at most {MAX_TOP}).",
    )
    low_stock = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_LOW_STOCK,
        help_text="Products with at most this many units in stock are listed as low "
        "(default: the LOW_STOCK_THRESHOLD setting).",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = DateOrDateTimeField(required=False)
        fields["to"] = DateOrDateTimeField(required=False)
        return fields

    def to_internal_value(self, data):
        # An empty parameter (`?from=`) means "not given", as in a submitted form.
        if hasattr(data, "items"):
            data = {key: value for key, value in data.items() if value not in ("", None)}
        return super().to_internal_value(data)

    def validate(self, attrs):
        try:
            start, end = self._window(attrs)
        except OverflowError:  # e.g. to=9999-12-31, whose next day does not exist
            raise serializers.ValidationError(
                {"to": ["The window reaches beyond the dates this API handles."]}
            ) from None
        if start >= end:
            raise serializers.ValidationError({"to": ["`to` must not be before `from`."]})
        if end - start > datetime.timedelta(days=MAX_WINDOW_DAYS):
            raise serializers.ValidationError(
                {"from": [f"The window may span at most {MAX_WINDOW_DAYS} days."]}
            )
        if attrs.get("low_stock") is None:
            attrs["low_stock"] = settings.LOW_STOCK_THRESHOLD
        attrs["window"] = MetricsWindow(start=start, end=end)
        return attrs

    @staticmethod
    def _window(attrs) -> tuple[datetime.datetime, datetime.datetime]:
        """[start, end): a `to` date covers its whole day; by default `to` is today and
        `from` DEFAULT_WINDOW_DAYS before it."""
        if "to" in attrs:
            end, date_only = attrs["to"]
            if date_only:
                end += datetime.timedelta(days=1)
        else:
            today = timezone.localdate()
            end = timezone.make_aware(
                datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min)
            )
        if "from" in attrs:
            start, _ = attrs["from"]
        else:
            start = end - datetime.timedelta(days=DEFAULT_WINDOW_DAYS)
        return start, end


# --- the answer -------------------------------------------------------------------------


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def _rate(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=9, decimal_places=4, allow_null=True, help_text=help_text
    )


class MetricsWindowSerializer(serializers.Serializer):
    days = serializers.DecimalField(
        max_digits=8, decimal_places=2, help_text="Length of the window in days."
    )

    def get_fields(self):
        return {
            "from": serializers.DateTimeField(help_text="Start of the window (inclusive)."),
            "to": serializers.DateTimeField(
                help_text="End of the window (exclusive): the day after a `to` date."
            ),
            **super().get_fields(),
        }


class RevenueFiguresSerializer(serializers.Serializer):
    orders = serializers.IntegerField(help_text="Paid, shipped and delivered orders.")
    gross = _money(help_text="Sum of their totals (sellers: of their products' line totals).")
    refunds = _money(
        allow_null=True,
        help_text="Amount refunded on these orders; null for sellers (not attributable).",
    )
    net = _money(help_text="gross - refunds.")


class MetricsOrdersByStatusSerializer(serializers.Serializer):
    def get_fields(self):
        return {status: serializers.IntegerField() for status in OrderStatus.values}


class MetricsPaymentCountsSerializer(serializers.Serializer):
    successful = serializers.IntegerField(
        help_text="Succeeded payments, including those refunded since."
    )
    final = serializers.IntegerField(help_text="Payments that succeeded, failed or were refunded.")


class MetricsConversionSerializer(serializers.Serializer):
    rate = _rate(
        "Orders placed in the window / carts created in the window (null when no cart was "
        "created, and always for sellers). A user keeps one cart across orders, so repeat "
        "buyers can push this above 1."
    )
    orders = serializers.IntegerField(help_text="Orders placed in the window, any status.")
    carts = serializers.IntegerField(
        allow_null=True, help_text="Guest and user carts created in the window."
    )
    explanation = serializers.CharField(
        allow_blank=True, help_text="Why `rate` is null when it is not computable."
    )


class MetricsTopProductSerializer(serializers.Serializer):
    product_id = serializers.UUIDField(
        allow_null=True, help_text="Null when the product was deleted since."
    )
    name = serializers.CharField(help_text="Current name, or the name it was sold under.")
    currency = serializers.CharField()
    units = serializers.IntegerField()
    revenue = _money()


class MetricsTopProductsSerializer(serializers.Serializer):
    by_units = MetricsTopProductSerializer(many=True, help_text="The N best sellers by units sold.")
    by_revenue = MetricsTopProductSerializer(
        many=True,
        help_text="The N best sellers by revenue in each currency, grouped by currency.",
    )


class MetricsLowStockProductSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    stock_quantity = serializers.IntegerField()


class MetricsLowStockSerializer(serializers.Serializer):
    threshold = serializers.IntegerField()
    products = MetricsLowStockProductSerializer(
        many=True,
        help_text="Active products with at most `threshold` units, fewest first "
        "(at most 50; sellers: their own).",
    )


class MetricsResponseTimeFiguresSerializer(serializers.Serializer):
    requests = serializers.IntegerField(help_text="API answers counted in the window.")
    p50_ms = serializers.FloatField(
        allow_null=True, help_text="Median response time in milliseconds; null with no answer."
    )
    p95_ms = serializers.FloatField(
        allow_null=True,
        help_text="95th percentile response time in milliseconds; null with no answer.",
    )


class MetricsResponseTimeSerializer(serializers.Serializer):
    groups = serializers.DictField(
        child=MetricsResponseTimeFiguresSerializer(),
        help_text="Per route group: the app serving the route (`catalog` for products, "
        "categories and brands; `accounts` for auth and users; `cart`, `orders`, "
        "`payments`, `reviews`...).",
    )
    all = MetricsResponseTimeFiguresSerializer(help_text="Every API answer of the window.")


class MetricsStoreSalesSerializer(serializers.Serializer):
    gross_sales = _money(help_text="The store's line totals of its parts sold (before coupons).")
    commission = _money(help_text="What the platform keeps of them.")
    refunds = _money(help_text="What was given back to buyers of these parts.")
    net_earnings = _money(
        help_text="What the store earned on the window's parts, from its ledger: sales less "
        "refunds, with the commission on refunds given back."
    )


class MetricsBalanceSerializer(serializers.Serializer):
    pending = _money(help_text="Earned, held until delivery plus the payout hold.")
    available = _money(help_text="What the next payout sends.")
    paid_out = _money(help_text="Paid out so far.")


class MetricsPayoutsMadeSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = _money()


class MetricsMarketplaceSerializer(serializers.Serializer):
    """Sellers get `sales` and `balance`; staff get `commission_earned` and
    `payouts_made`."""

    sales = serializers.DictField(
        child=MetricsStoreSalesSerializer(),
        required=False,
        help_text="Sellers, per currency: the store's parts of the window's orders.",
    )
    balance = serializers.DictField(
        child=MetricsBalanceSerializer(),
        required=False,
        help_text="Sellers, per currency: the balance now (not bound to the window).",
    )
    commission_earned = serializers.DictField(
        child=_money(),
        required=False,
        help_text="Staff, per currency: commission on the parts sold in the window, less "
        "the commission given back on their refunds.",
    )
    payouts_made = serializers.DictField(
        child=MetricsPayoutsMadeSerializer(),
        required=False,
        help_text="Staff, per currency: payouts paid to stores in the window.",
    )


class MetricsSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(
        choices=[SCOPE_ALL, SCOPE_SELLER],
        help_text="`all` for staff; `seller` when restricted to the caller's products.",
    )
    window = MetricsWindowSerializer()
    notes = serializers.ListField(
        child=serializers.CharField(), help_text="How to read the figures (currencies etc.)."
    )
    revenue = serializers.DictField(
        child=RevenueFiguresSerializer(),
        help_text="Per currency: paid, shipped and delivered orders placed in the window. "
        "A window without such orders shows zeros in the default currency.",
    )
    average_order_value = serializers.DictField(
        child=_money(),
        help_text="Per currency: gross revenue / its orders (0.00 without orders).",
    )
    orders_by_status = MetricsOrdersByStatusSerializer(
        help_text="Orders placed in the window, per status (sellers: holding their products)."
    )
    order_completion_rate = _rate(
        "Delivered / orders placed in the window that are not pending; null when none."
    )
    payment_success_rate = _rate(
        "Succeeded (or since refunded) / payments created in the window that reached a final "
        "state (succeeded, failed, refunded, partially refunded); null when none."
    )
    payments = MetricsPaymentCountsSerializer(help_text="The counts behind payment_success_rate.")
    cart_to_order_conversion = MetricsConversionSerializer()
    top_products = MetricsTopProductsSerializer(
        help_text="From the item snapshots of paid, shipped and delivered orders."
    )
    low_stock = MetricsLowStockSerializer()
    api_response_time = MetricsResponseTimeSerializer(
        allow_null=True,
        help_text="How fast the API answered (p50, p95 in ms) per route group over the "
        "window's completed minutes, from per-minute histograms (percentiles interpolated "
        "within buckets about 25 % wide). Staff only: null for sellers.",
    )
    marketplace = MetricsMarketplaceSerializer(
        help_text="The marketplace's money: a seller's sales, earnings and balance; for "
        "staff the commission earned and the payouts made."
    )
