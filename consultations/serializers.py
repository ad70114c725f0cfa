from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consultations.models import (
    Availability,
    Consultation,
    ConsultationService,
    ConsultationStatus,
    RecommendedProduct,
)
from consultations.services import free_cancellation_until, join_url_for


class ConsultationServiceSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ConsultationService
        fields = [
            "id",
            "store",
            "name",
            "description",
            "duration_minutes",
            "price",
            "currency",
            "is_active",
        ]
        read_only_fields = ["id", "store"]


class ConsultationServiceInput(serializers.ModelSerializer):
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, max_value=9_999_999_999
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)

    class Meta:
        model = ConsultationService
        fields = ["name", "description", "duration_minutes", "price", "currency", "is_active"]


class _WeeklyWindow(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="Monday is 0.")
    start = serializers.CharField(max_length=5, help_text="Local time, HH:MM.")
    end = serializers.CharField(max_length=5, help_text="Local time, HH:MM, after start.")


class _Exception(serializers.Serializer):
    date = serializers.DateField()
    closed = serializers.BooleanField(required=False, default=False)
    start = serializers.CharField(max_length=5, required=False)
    end = serializers.CharField(max_length=5, required=False)

    def validate(self, attrs):
        if not attrs.get("closed") and not (attrs.get("start") and attrs.get("end")):
            raise serializers.ValidationError("Give closed: true, or start and end.")
        attrs["date"] = attrs["date"].isoformat()
        return attrs


class AvailabilitySerializer(serializers.ModelSerializer):
    weekly = _WeeklyWindow(many=True, max_length=100)
    exceptions = _Exception(many=True, max_length=400, required=False)

    class Meta:
        model = Availability
        fields = ["timezone", "weekly", "exceptions"]
        extra_kwargs = {"timezone": {"help_text": "IANA time zone, such as Europe/Paris."}}


class SlotQuery(serializers.Serializer):
    service = serializers.UUIDField()
    # `from` is a keyword in Python: the field is declared below under its real name.
    to = serializers.DateField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        return fields

    def validate(self, attrs):
        first, last = attrs["from"], attrs["to"]
        if last < first:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        if (last - first).days + 1 > 31:
            raise serializers.ValidationError({"to": ["At most 31 days at a time."]})
        return attrs


class _LocalDateTime(serializers.DateTimeField):
    """Written with the offset the datetime carries (the dermatologist's), not converted
    to the server's zone."""

    def to_representation(self, value):
        return value.isoformat()


class SlotsSerializer(serializers.Serializer):
    service = serializers.UUIDField()
    timezone = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    slots = serializers.ListField(
        child=_LocalDateTime(),
        help_text="Free start times in the dermatologist's time zone, with its offset.",
    )


class AwareDateTimeField(serializers.DateTimeField):
    """A date-time that must carry its offset: a naive one would be read in the server's
    zone, which is nobody's."""

    def to_internal_value(self, value):
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:  # well formed but no such time (minute 60): the parent says so
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            self.fail("naive")
        return super().to_internal_value(value)

    default_error_messages = {
        "naive": "Give the time with its offset, e.g. 2026-12-10T09:00:00+01:00.",
    }


class BookingInput(serializers.Serializer):
    service = serializers.UUIDField()
    starts_at = AwareDateTimeField(help_text="One of the store's free slots, with its offset.")
    share_skin_profile = serializers.BooleanField(default=False)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class RescheduleInput(serializers.Serializer):
    starts_at = AwareDateTimeField(help_text="Another free slot, with its offset.")


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class _Recommendation(serializers.Serializer):
    product_id = serializers.UUIDField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CompleteInput(serializers.Serializer):
    summary = serializers.CharField(max_length=10000)
    private_notes = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, default=""
    )
    recommended_products = _Recommendation(many=True, max_length=50, required=False, default=list)


class RegimenItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = RecommendedProduct
        fields = ["product_id", "product_name", "note"]


class ConsultationSerializer(serializers.ModelSerializer):
    """What the customer sees (private notes never)."""

    service = ConsultationServiceSerializer(read_only=True)
    store = serializers.SerializerMethodField()
    order_id = serializers.UUIDField(read_only=True)
    join_url = serializers.SerializerMethodField()
    free_cancellation_until = serializers.SerializerMethodField()
    recommended_products = RegimenItemSerializer(
        source="recommendations", many=True, read_only=True
    )
    status = serializers.ChoiceField(choices=ConsultationStatus.choices, read_only=True)

    class Meta:
        model = Consultation
        fields = [
            "id",
            "service",
            "store",
            "order_id",
            "status",
            "starts_at",
            "ends_at",
            "hold_expires_at",
            "share_skin_profile",
            "note",
            "join_url",
            "free_cancellation_until",
            "summary",
            "recommended_products",
            "refunded",
            "cancelled_at",
            "cancel_reason",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
            "required": ["slug", "name"],
        }
    )
    def get_store(self, consultation) -> dict:
        return {"slug": consultation.store.slug, "name": consultation.store.name}

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_join_url(self, consultation) -> str | None:
        return join_url_for(consultation)

    @extend_schema_field(serializers.DateTimeField())
    def get_free_cancellation_until(self, consultation):
        return serializers.DateTimeField().to_representation(free_cancellation_until(consultation))


class SellerConsultationSerializer(ConsultationSerializer):
    """What the dermatologist sees: the customer, what they chose to share, the private
    notes."""

    customer = serializers.SerializerMethodField()

    class Meta(ConsultationSerializer.Meta):
        fields = [*ConsultationSerializer.Meta.fields, "customer", "private_notes"]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string"},
                "email": {"type": "string", "format": "email"},
            },
            "required": ["id", "name", "email"],
        }
    )
    def get_customer(self, consultation) -> dict:
        customer = consultation.customer
        profile = getattr(customer, "profile", None)
        name = (profile.full_name if profile else "") or customer.email
        return {"id": str(customer.pk), "name": name, "email": customer.email}


class RegimenAddedSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.UUIDField())
    skipped = serializers.ListField(
        child=serializers.CharField(), help_text="Recommended products that cannot be bought now."
    )
