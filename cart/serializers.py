"""Shapes of the cart API. Input serializers check fields only; cart.services applies the
rules. Output serializers render cart.selectors.CartSummary."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cart.selectors import product_is_available
from catalog.serializers import MAX_STOCK, PrimaryImageUrlField
from coupons.serializers import CouponSummarySerializer

# Output amounts are not capped at the column size: a line total can outgrow a price.
_MONEY = {"max_digits": None, "decimal_places": 2, "read_only": True}


def _quantity_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=MAX_STOCK,
        error_messages={
            "min_value": "The quantity must be at least 1.",
            "invalid": "The quantity must be a whole number.",
        },
        **kwargs,
    )


class CartItemAddInput(serializers.Serializer):
    product_id = serializers.UUIDField(help_text="The product to add.")
    quantity = _quantity_field(
        required=False, default=1, help_text="How many to add to the line (default 1)."
    )


class CartItemQuantityInput(serializers.Serializer):
    quantity = _quantity_field(
        help_text="The line's new quantity, at least 1 (DELETE the line to remove it)."
    )


class CartCouponInput(serializers.Serializer):
    code = serializers.CharField(
        max_length=64, help_text="The coupon's code, in any case (e.g. spring-10)."
    )


class CartProductSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    image = PrimaryImageUrlField()
    currency = serializers.CharField(read_only=True)
    is_active = serializers.SerializerMethodField(
        help_text="False once the product is deactivated or deleted: it cannot be bought."
    )
    in_stock = serializers.BooleanField(read_only=True)
    stock_quantity = serializers.IntegerField(read_only=True)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_active(self, product) -> bool:
        return product_is_available(product)


class CartLineSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="The line's id (for cart/{item_id}/).")
    product = CartProductSerializer(read_only=True)
    unit_price = serializers.DecimalField(
        **_MONEY, help_text="The product's current effective price."
    )
    quantity = serializers.IntegerField(read_only=True)
    line_total = serializers.DecimalField(**_MONEY, help_text="unit_price x quantity.")


class CartSerializer(serializers.Serializer):
    id = serializers.UUIDField(
        read_only=True, allow_null=True, help_text="Null until the caller's cart exists."
    )
    token = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="A guest cart's token, to send back in the `X-Cart-Token` header; null "
        "for a user's cart.",
    )
    items = CartLineSerializer(source="lines", many=True, read_only=True)
    item_count = serializers.IntegerField(
        source="totals.item_count", read_only=True, help_text="Sum of the quantities."
    )
    subtotal = serializers.DecimalField(source="totals.subtotal", **_MONEY)
    discount = serializers.DecimalField(
        source="totals.discount",
        **_MONEY,
        help_text="The coupon's reduction; 0 while the coupon does not apply.",
    )
    total = serializers.DecimalField(source="totals.total", **_MONEY)
    currency = serializers.CharField(source="totals.currency", read_only=True)
    coupon = CouponSummarySerializer(
        source="totals.coupon",
        read_only=True,
        allow_null=True,
        help_text="The coupon applied with `POST cart/coupon/`, or null.",
    )
    coupon_valid = serializers.BooleanField(
        source="totals.coupon_valid",
        read_only=True,
        allow_null=True,
        help_text="Whether the coupon applies to the cart as it is now (null without one). "
        "A coupon that stopped applying (expired, below its minimum...) stays on the cart "
        "with no discount; checkout then refuses it.",
    )
    coupon_reason = serializers.CharField(
        source="totals.coupon_reason",
        read_only=True,
        allow_null=True,
        help_text="Why the coupon does not apply, when it does not.",
    )
