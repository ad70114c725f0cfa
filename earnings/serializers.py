"""Shapes of the earnings API. Writes happen in earnings.services."""

from decimal import Decimal

from rest_framework import serializers

from catalog.models import Category
from earnings.models import CommissionRule, LedgerEntry, LedgerEntryKind, Payout, PayoutStatus
from stores.models import Store
from stores.serializers import StoreSummarySerializer

MONEY = {"max_digits": 12, "decimal_places": 2}


def _uuid_pk(queryset, **kwargs):
    return serializers.PrimaryKeyRelatedField(
        queryset=queryset, pk_field=serializers.UUIDField(format="hex_verbose"), **kwargs
    )


class CommissionRuleSerializer(serializers.ModelSerializer):
    store = StoreSummarySerializer(read_only=True, allow_null=True)
    category = serializers.UUIDField(source="category_id", read_only=True, allow_null=True)

    class Meta:
        model = CommissionRule
        fields = ["id", "rate", "store", "category", "note", "created_at", "updated_at"]
        read_only_fields = fields


class CommissionRuleInput(serializers.Serializer):
    rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        help_text="Percent of the line total, 0 to 100.",
    )
    store = _uuid_pk(Store.objects.all(), required=False, allow_null=True)
    category = _uuid_pk(
        Category.objects.all(),
        required=False,
        allow_null=True,
        help_text="Covers its subcategories (the nearest category's rule wins).",
    )
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)


class BalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    pending = serializers.DecimalField(
        **MONEY, help_text="Earned on fulfilments not delivered, or within the hold."
    )
    available = serializers.DecimalField(**MONEY, help_text="What the next payout sends.")
    paid_out = serializers.DecimalField(**MONEY, help_text="Paid out so far.")


class StoreBalanceSerializer(serializers.Serializer):
    store = StoreSummarySerializer()
    balances = BalanceSerializer(many=True)


class LedgerEntrySerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=LedgerEntryKind.choices)
    fulfilment = serializers.UUIDField(source="fulfilment_id", allow_null=True)
    order = serializers.SerializerMethodField()
    payout = serializers.UUIDField(source="payout_id", allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "amount",
            "currency",
            "description",
            "fulfilment",
            "order",
            "payout",
            "created_at",
        ]
        read_only_fields = fields

    def get_order(self, entry) -> str | None:
        return str(entry.fulfilment.order_id) if entry.fulfilment_id else None


class LedgerAdjustmentInput(serializers.Serializer):
    store = _uuid_pk(Store.objects.all())
    currency = serializers.RegexField(r"^[A-Z]{3}\Z", help_text="ISO 4217 code in capitals.")
    amount = serializers.DecimalField(
        **MONEY, help_text="Positive credits the store, negative debits it."
    )
    reason = serializers.CharField(max_length=255)


class PayoutSerializer(serializers.ModelSerializer):
    store = StoreSummarySerializer()
    status = serializers.ChoiceField(choices=PayoutStatus.choices)

    class Meta:
        model = Payout
        fields = [
            "id",
            "store",
            "amount",
            "currency",
            "status",
            "provider",
            "provider_reference",
            "failure_reason",
            "paid_at",
            "failed_at",
            "created_at",
        ]
        read_only_fields = fields


class PayoutRunSerializer(serializers.Serializer):
    opened = serializers.IntegerField(help_text="New payouts taken from available balances.")
    resent = serializers.IntegerField(help_text="Payouts left processing earlier, sent again.")
    paid = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Refused: their amount is available again.")
    still_processing = serializers.IntegerField(help_text="Provider unreachable; next run.")


class PayoutWebhookAckSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField()
