"""Shapes of the stores API. Writes happen in stores.services."""

from rest_framework import serializers

from core.countries import validate_country_code
from core.validators import validate_image_upload
from stores.models import Store, StoreKind, StoreStatus

_PUBLIC_FIELDS = [
    "id",
    "name",
    "slug",
    "kind",
    "description",
    "logo",
    "country",
    "verified",
    "average_rating",
    "review_count",
    "product_count",
    "joined_at",
]


class StoreSummarySerializer(serializers.ModelSerializer):
    """How a product or an order names its store."""

    class Meta:
        model = Store
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class StoreSerializer(serializers.ModelSerializer):
    """The public storefront."""

    kind = serializers.ChoiceField(choices=StoreKind.choices, read_only=True)
    verified = serializers.BooleanField(
        read_only=True,
        help_text="A dermatologist store whose licence staff verified when approving it.",
    )
    average_rating = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        read_only=True,
        help_text="Over the approved reviews of the store's products.",
    )
    review_count = serializers.IntegerField(read_only=True)
    product_count = serializers.IntegerField(
        read_only=True, help_text="Products on sale (active, not deleted)."
    )
    joined_at = serializers.DateTimeField(
        source="approved_at", read_only=True, allow_null=True, help_text="When it was approved."
    )

    class Meta:
        model = Store
        fields = _PUBLIC_FIELDS
        read_only_fields = fields


class StoreDetailSerializer(StoreSerializer):
    """A store as its owner and staff see it: review status and contact details too."""

    status = serializers.ChoiceField(choices=StoreStatus.choices, read_only=True)
    owner = serializers.UUIDField(source="owner_id", read_only=True)

    class Meta:
        model = Store
        fields = [
            *_PUBLIC_FIELDS,
            "status",
            "owner",
            "contact_email",
            "license_number",
            "license_country",
            "rejection_reason",
            "suspension_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StoreApplyInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=StoreKind.choices)
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(
        max_length=140,
        required=False,
        allow_blank=True,
        help_text="Made from the name if left out.",
    )
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    country = serializers.CharField(
        max_length=2, validators=[validate_country_code], help_text="ISO 3166-1 alpha-2 code."
    )
    contact_email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, help_text="Default: the account's."
    )
    license_number = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="Dermatologists: required."
    )
    license_country = serializers.CharField(
        max_length=2,
        required=False,
        allow_blank=True,
        validators=[validate_country_code],
        help_text="Dermatologists: required; ISO 3166-1 alpha-2 code of the issuing country.",
    )


class StoreUpdateInput(serializers.Serializer):
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    contact_email = serializers.EmailField(max_length=254, required=False)
    country = serializers.CharField(
        max_length=2, required=False, validators=[validate_country_code]
    )
    logo = serializers.FileField(
        required=False,
        allow_null=True,
        validators=[validate_image_upload],
        help_text="A JPEG, PNG, WebP or GIF image (multipart upload); null removes it.",
    )


class StoreReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Told to the store's owner.")
