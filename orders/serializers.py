from rest_framework import serializers

from accounts.selectors import address_list_for
from accounts.serializers import validate_phone
from core.countries import validate_country_code
from core.serializers import ErrorSerializer
from orders.models import Order, OrderItem, OrderStatus
from orders.services import address_snapshot


class ShippingAddressSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=255)
    line2 = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=128)
    region = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=32)
    country = serializers.CharField(
        max_length=2,
        validators=[validate_country_code],
        help_text="ISO 3166-1 alpha-2 code, upper case (e.g. US, DE).",
    )
    phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", validators=[validate_phone]
    )


class OrderCreateInput(serializers.Serializer):
    address_id = serializers.UUIDField(
        required=False, help_text="One of the caller's saved addresses (users/me/addresses/)."
    )
    shipping_address = ShippingAddressSerializer(
        required=False, help_text="An address given inline, not saved to the address book."
    )

    def validate(self, attrs):
        address_id = attrs.get("address_id")
        inline = attrs.get("shipping_address")
        if (address_id is None) == (inline is None):
            raise serializers.ValidationError(
                "Give exactly one of address_id and shipping_address."
            )
        if address_id is not None:
            user = self.context["request"].user
            address = address_list_for(user=user).filter(pk=address_id).first()
            if address is None:
                raise serializers.ValidationError({"address_id": ["No such address."]})
            inline = address_snapshot(address)
        return {"shipping_address": inline}


class OrderItemSerializer(serializers.ModelSerializer):
    product_id = serializers.UUIDField(
        read_only=True,
        allow_null=True,
        help_text="The product bought; null once the product was deleted.",
    )

    class Meta:
        model = OrderItem
        fields = [
            "id",
            "product_id",
            "product_name",
            "product_slug",
            "unit_price",
            "quantity",
            "line_total",
        ]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    user = serializers.UUIDField(source="user_id", read_only=True)
    shipping_address = ShippingAddressSerializer(read_only=True)
    items = OrderItemSerializer(many=True, read_only=True)
    status = serializers.ChoiceField(choices=OrderStatus.choices, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "user",
            "email",
            "status",
            "currency",
            "subtotal",
            "discount_total",
            "total",
            "coupon_code",
            "shipping_address",
            "items",
            "tracking_number",
            "carrier",
            "cancel_reason",
            "paid_at",
            "shipped_at",
            "delivered_at",
            "cancelled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OrderCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class OrderShipInput(serializers.Serializer):
    tracking_number = serializers.CharField(max_length=64)
    carrier = serializers.CharField(max_length=64)


# --- documented error answers -----------------------------------------------------------


class InsufficientStockLineSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    name = serializers.CharField()
    requested = serializers.IntegerField()
    available = serializers.IntegerField()
    reason = serializers.ChoiceField(
        choices=["insufficient_stock", "unavailable"],
        help_text="`unavailable`: the product is no longer sold (inactive or deleted).",
    )


class InsufficientStockErrorSerializer(ErrorSerializer):
    lines = InsufficientStockLineSerializer(
        many=True, required=False, help_text="With `insufficient_stock`: every failing line."
    )
