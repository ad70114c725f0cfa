"""Shapes of the coupons API. Input serializers check fields one by one; the rules that
span fields or rows (percent at most 100, the window, the code free in any case, the limit
above the uses so far) are coupons.services'."""

from decimal import Decimal

from django.conf import settings
from rest_framework import serializers

from core.serializers import ValidationErrorSerializer
from coupons.models import Coupon, CouponKind
from coupons.services import COUPON_WRITABLE_FIELDS, REASONS

MONEY = {"max_digits": 12, "decimal_places": 2}
MAX_LIMIT = 2_147_483_647  # PositiveIntegerField's ceiling on every database
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z"


class CouponSerializer(serializers.ModelSerializer):
    class Meta:
        model = Coupon
        fields = ["id", *COUPON_WRITABLE_FIELDS, "times_used", "created_at", "updated_at"]
        read_only_fields = fields
        extra_kwargs = {
            "code": {"help_text": "Upper-case; matched case-insensitively."},
            "times_used": {
                "help_text": "Uses by orders not cancelled; counted atomically at checkout."
            },
        }


class CouponInput(serializers.Serializer):
    code = serializers.RegexField(
        CODE_PATTERN,
        max_length=64,
        error_messages={"invalid": "Use letters, digits, - and _ only (e.g. SPRING-10)."},
        help_text="Letters, digits, - and _; stored upper-case, unique in any case.",
    )
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    kind = serializers.ChoiceField(
        choices=CouponKind.choices,
        help_text="`percent` off the subtotal, or a `fixed` amount off it.",
    )
    value = serializers.DecimalField(
        **MONEY,
        min_value=Decimal("0.01"),
        help_text="Greater than 0, 2 decimals; at most 100 for a percent coupon.",
    )
    currency = serializers.RegexField(
        r"^[A-Z]{3}\Z",
        required=False,
        default=settings.DEFAULT_CURRENCY,
        error_messages={"invalid": "Use a 3-letter ISO 4217 code in capitals, e.g. USD."},
        help_text="The currency of a fixed amount and of the minimum subtotal; carts in "
        "another currency cannot use a fixed coupon or one with a minimum.",
    )
    min_subtotal = serializers.DecimalField(
        **MONEY,
        min_value=Decimal("0"),
        required=False,
        default=Decimal("0.00"),
        help_text="The cart subtotal needed, 0 for none.",
    )
    valid_from = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Valid from (null: at once)."
    )
    valid_until = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Valid until, exclusive (null: no end); after valid_from.",
    )
    usage_limit = serializers.IntegerField(
        min_value=1,
        max_value=MAX_LIMIT,
        required=False,
        allow_null=True,
        default=None,
        help_text="Total uses by orders (null: unlimited).",
    )
    per_user_limit = serializers.IntegerField(
        min_value=1,
        max_value=MAX_LIMIT,
        required=False,
        allow_null=True,
        default=None,
        help_text="Uses per customer (null: unlimited).",
    )
    is_active = serializers.BooleanField(required=False, default=True)


class CouponSummarySerializer(serializers.ModelSerializer):
    """The coupon of a cart, as its owner sees it."""

    class Meta:
        model = Coupon
        fields = ["code", "kind", "value", "currency"]
        read_only_fields = fields


class CouponErrorSerializer(ValidationErrorSerializer):
    """A coupon that does not apply: the validation error shape plus its reason."""

    reason = serializers.ChoiceField(choices=REASONS, required=False)
