from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.selectors import address_list_for
from accounts.serializers import validate_phone
from core.countries import validate_country_code
from core.serializers import ErrorSerializer
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderItem, OrderStatus
from orders.selectors import order_parts
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


class ShippedToSerializer(ShippingAddressSerializer):
    """An order's address, or null for an order of services (a consultation): nothing is
    shipped, so it has none."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def get_attribute(self, instance):
        return super().get_attribute(instance) or None


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


class FulfilmentStoreSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class FulfilmentSerializer(serializers.ModelSerializer):
    """One store's part of an order, as the buyer sees it."""

    store = FulfilmentStoreSerializer(read_only=True)
    status = serializers.ChoiceField(choices=FulfilmentStatus.choices, read_only=True)
    item_ids = serializers.SerializerMethodField(help_text="The order's lines in this part.")

    class Meta:
        model = Fulfilment
        fields = [
            "id",
            "store",
            "status",
            "currency",
            "subtotal",
            "discount_share",
            "total",
            "refunded",
            "item_ids",
            "tracking_number",
            "carrier",
            "cancel_reason",
            "paid_at",
            "shipped_at",
            "delivered_at",
            "cancelled_at",
        ]
        read_only_fields = fields

    def get_item_ids(self, fulfilment) -> list[str]:
        lines = self.context.get("lines_by_part", {}).get(fulfilment.pk)
        if lines is None:
            lines = fulfilment.items.all()
        return [str(item.pk) for item in lines]


class OrderSerializer(serializers.ModelSerializer):
    user = serializers.UUIDField(source="user_id", read_only=True)
    shipping_address = ShippedToSerializer()
    items = OrderItemSerializer(many=True, read_only=True)
    fulfilments = serializers.SerializerMethodField(
        help_text="One part per store: each store ships (or cancels) its own lines. Empty "
        "for orders placed before stores existed."
    )
    status = serializers.ChoiceField(
        choices=OrderStatus.choices,
        read_only=True,
        help_text="Follows the parts: shipped once every part not cancelled has shipped, "
        "delivered once all of them arrived, cancelled when every part is.",
    )

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
            "fulfilments",
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

    @extend_schema_field(FulfilmentSerializer(many=True))
    def get_fulfilments(self, order) -> list:
        parts = order_parts(order)
        context = {**self.context, "lines_by_part": {f.pk: lines for f, lines in parts}}
        return FulfilmentSerializer([f for f, _ in parts], many=True, context=context).data


class SellerOrderItemSerializer(OrderItemSerializer):
    class Meta(OrderItemSerializer.Meta):
        fields = [*OrderItemSerializer.Meta.fields, "commission_rate", "commission_amount"]
        read_only_fields = fields


class SellerFulfilmentSerializer(serializers.ModelSerializer):
    """A store's part of an order, as its seller sees it: the buyer's name and where to
    ship, its lines with the commission taken on each, and what the store earns. Nothing of
    the buyer's payment, nor of the other stores' parts."""

    order_id = serializers.UUIDField(read_only=True)
    status = serializers.ChoiceField(choices=FulfilmentStatus.choices, read_only=True)
    buyer_name = serializers.SerializerMethodField()
    shipping_address = ShippedToSerializer(source="order.shipping_address")
    items = SellerOrderItemSerializer(many=True, read_only=True)
    net = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="What the store earns on this part: its line totals less the commission "
        "(the platform pays for coupons), before refunds.",
    )

    class Meta:
        model = Fulfilment
        fields = [
            "id",
            "order_id",
            "status",
            "buyer_name",
            "shipping_address",
            "items",
            "currency",
            "subtotal",
            "discount_share",
            "total",
            "commission",
            "net",
            "refunded",
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

    def get_buyer_name(self, fulfilment) -> str:
        return str((fulfilment.order.shipping_address or {}).get("full_name") or "")


class FulfilmentCancelInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=255, help_text="Why the store cannot serve it; the buyer reads it."
    )


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
