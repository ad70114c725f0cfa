"""Shapes of the wishlist API. Input serializers check fields only; wishlist.services
applies the rules."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cart.selectors import product_is_available
from catalog.serializers import MAX_STOCK, MONEY, PrimaryImageUrlField
from wishlist.models import WishlistItem


class WishlistAddInput(serializers.Serializer):
    product_id = serializers.UUIDField(help_text="The product to keep (active, not deleted).")


class WishlistMoveToCartInput(serializers.Serializer):
    quantity = serializers.IntegerField(
        min_value=1,
        max_value=MAX_STOCK,
        required=False,
        default=1,
        error_messages={
            "min_value": "The quantity must be at least 1.",
            "invalid": "The quantity must be a whole number.",
        },
        help_text="How many to put in the cart (default 1).",
    )


class WishlistProductSerializer(serializers.Serializer):
    """The product as it is now: current price and stock."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    price = serializers.DecimalField(**MONEY, read_only=True)
    effective_price = serializers.DecimalField(
        **MONEY, read_only=True, help_text="The price now, less an active discount."
    )
    currency = serializers.CharField(read_only=True)
    in_stock = serializers.BooleanField(read_only=True)
    stock_quantity = serializers.IntegerField(read_only=True)
    is_active = serializers.SerializerMethodField(
        help_text="False once the product is deactivated or deleted: it cannot be bought."
    )
    image = PrimaryImageUrlField()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_active(self, product) -> bool:
        return product_is_available(product)


class WishlistItemSerializer(serializers.ModelSerializer):
    product = WishlistProductSerializer(read_only=True)
    added_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = WishlistItem
        fields = ["id", "product", "added_at"]
        read_only_fields = fields


class WishlistShareSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="The share token.")
    url = serializers.URLField(
        read_only=True,
        help_text="The public read-only address of the list (GET, no credentials needed).",
    )
