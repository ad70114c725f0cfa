from decimal import Decimal

from rest_framework import serializers

from payments.models import Payment, Refund


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "reason", "provider_reference", "created_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    order = serializers.UUIDField(source="order_id", read_only=True)
    client_secret = serializers.SerializerMethodField(
        help_text="For the frontend to finish paying (Stripe); given to the payer only."
    )
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "order",
            "provider",
            "status",
            "amount",
            "currency",
            "amount_refunded",
            "client_secret",
            "failure_reason",
            "needs_review",
            "succeeded_at",
            "created_at",
            "updated_at",
            "refunds",
        ]
        read_only_fields = fields
        # Present for staff only.
        optional_fields = ["needs_review"]
        extra_kwargs = {
            "needs_review": {
                "help_text": "Staff only (absent for other callers): money needs a human look."
            }
        }

    def to_representation(self, payment: Payment):
        data = super().to_representation(payment)
        # An internal triage flag: staff see it, the payer does not.
        if not self._caller_is_staff():
            data.pop("needs_review", None)
        return data

    def _caller_is_staff(self) -> bool:
        user = getattr(self.context.get("request"), "user", None)
        return bool(user is not None and user.is_authenticated and user.is_staff)

    def get_client_secret(self, payment: Payment) -> str | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.pk == payment.user_id:
            return payment.client_secret or None
        return None


class PaymentCreateInput(serializers.Serializer):
    order_id = serializers.UUIDField()
    provider = serializers.CharField(
        required=False,
        max_length=32,
        help_text="An enabled provider (settings.PAYMENT_PROVIDERS); the first one when omitted.",
    )
    token = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=255,
        help_text=(
            "Fake provider only: `tok_success` (default), `tok_decline` or `tok_timeout`. "
            "Amount and currency always come from the order; any sent are ignored."
        ),
    )


class PaymentRefundInput(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"min_value": "The amount must be greater than zero."},
        required=False,
        allow_null=True,
        help_text="Amount to refund; omitted: everything still refundable.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)


class StripeEventInput(serializers.Serializer):
    """The part of a Stripe event this endpoint reads; the raw body is what is verified."""

    id = serializers.CharField()
    type = serializers.CharField(help_text="e.g. `payment_intent.succeeded`.")
    data = serializers.DictField(help_text="`{object: PaymentIntent}`.")


class WebhookAckSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField(help_text="True when this event id was already applied.")
