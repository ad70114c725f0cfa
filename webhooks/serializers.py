"""Shapes of the webhooks API. The rules of a URL (public addresses only) and of the event
list are webhooks.services'; these check the fields one by one."""

from rest_framework import serializers

from webhooks.models import SUBSCRIBABLE_EVENTS, Delivery, DeliveryStatus, Endpoint, EventType


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "last_sequence",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "consecutive_failures": {
                "help_text": "Failed attempts in a row since the last success."
            },
            "disabled_at": {"help_text": "When it was disabled after its failures (null: never)."},
            "last_sequence": {"help_text": "The sequence number of its latest delivery."},
        }

    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENTS), read_only=True
    )


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """The answer that shows the secret: creating an endpoint, rotating its secret."""

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields
        extra_kwargs = {
            **WebhookEndpointSerializer.Meta.extra_kwargs,
            "secret": {
                "help_text": "The signing secret, shown in this answer only: keep it now. "
                "Requests carry X-Webhook-Signature, HMAC-SHA256 keyed with it."
            },
        }


class WebhookEndpointInput(serializers.Serializer):
    url = serializers.URLField(
        max_length=2000,
        help_text="http or https (https when DEBUG is off), no user or password; its host "
        "must resolve to public addresses only.",
    )
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENTS),
        allow_empty=False,
        max_length=len(SUBSCRIBABLE_EVENTS),
        help_text="The event types to receive.",
    )
    is_active = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Off: nothing is sent. Back on: its failure count restarts.",
    )


class WebhookEventSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The event id, the X-Webhook-Id header.")
    type = serializers.ChoiceField(choices=EventType.choices)
    created_at = serializers.DateTimeField()


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = WebhookEventSummarySerializer(read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event",
            "sequence",
            "redelivery_of",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_response_code",
            "last_duration_ms",
            "last_error",
            "last_response_body",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "sequence": {"help_text": "The endpoint's number of this event (null until sent)."},
            "redelivery_of": {"help_text": "The delivery this one repeats (null: the first)."},
            "next_attempt_at": {"help_text": "When the next attempt is due (pending only)."},
            "last_response_body": {"help_text": "The first 1 KiB of the last answer's body."},
        }


class WebhookRedeliverInput(serializers.Serializer):
    delivery_id = serializers.UUIDField(
        required=False, help_text="One of the endpoint's deliveries, to send again."
    )
    event_id = serializers.UUIDField(required=False, help_text="An event, to send again.")

    def validate(self, attrs):
        if ("delivery_id" in attrs) == ("event_id" in attrs):
            raise serializers.ValidationError("Give either delivery_id or event_id.")
        return attrs


class WebhookDeliveryFilterInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)
