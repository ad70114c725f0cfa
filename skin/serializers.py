"""Shapes of the skin API: input checks, output serializers. Writes happen in
skin.services."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Product, SkinType
from catalog.serializers import concerns_field, ingredients_field, skin_types_field
from core.validators import validate_image_upload
from skin.models import (
    ANNOTATION_MAX_LENGTH,
    ROUTINE_MAX_LENGTH,
    AnalysisAnnotation,
    AnalysisStatus,
    SkinAnalysis,
    SkinProfile,
)
from skin.services import SKIN_PHOTO_FORMATS


class SkinProfileSerializer(serializers.ModelSerializer):
    skin_type = serializers.ChoiceField(
        choices=SkinType.choices, allow_blank=True, help_text="Empty: not said."
    )
    concerns = concerns_field(help_text="The concerns the customer has.")
    allergies = ingredients_field(help_text="Ingredient names, lower case.")
    updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Null until the profile is saved."
    )

    class Meta:
        model = SkinProfile
        fields = ["skin_type", "concerns", "allergies", "routine", "updated_at"]
        read_only_fields = fields


class SkinProfileInput(serializers.Serializer):
    skin_type = serializers.ChoiceField(
        choices=SkinType.choices, required=False, allow_blank=True, default=""
    )
    concerns = concerns_field(required=False, default=list)
    allergies = ingredients_field(
        required=False,
        default=list,
        help_text="Ingredients you react to; products containing any of them are never "
        "suggested. Stored lower case.",
    )
    routine = serializers.CharField(
        max_length=ROUTINE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text=f"Your current routine, in your words (at most {ROUTINE_MAX_LENGTH} characters).",
    )


def validate_skin_photo(file):
    """A real JPEG or PNG within the size and pixel caps (the content decides, never the
    name or the content type)."""
    return validate_image_upload(file, formats=SKIN_PHOTO_FORMATS)


class SkinAnalysisUploadInput(serializers.Serializer):
    photo = serializers.FileField(
        validators=[validate_skin_photo],
        help_text=(
            f"A JPEG or PNG photo of bare skin, at most {settings.MAX_IMAGE_UPLOAD_BYTES} "
            f"bytes and {settings.MAX_IMAGE_PIXELS} pixels. Its metadata (EXIF, GPS) is "
            "removed before it is stored."
        ),
    )


class AnnotationSerializer(serializers.ModelSerializer):
    consultation = serializers.UUIDField(source="consultation_id", read_only=True)
    store = serializers.CharField(
        source="consultation.store.name", read_only=True, help_text="The dermatologist's store."
    )

    class Meta:
        model = AnalysisAnnotation
        fields = ["id", "consultation", "store", "text", "created_at"]
        read_only_fields = fields


class AnnotationInput(serializers.Serializer):
    text = serializers.CharField(max_length=ANNOTATION_MAX_LENGTH)


class _MeasuresSerializer(serializers.Serializer):
    skin_pixel_share = serializers.FloatField(help_text="Share of the pixels read as skin.")
    skin_pixels = serializers.IntegerField(required=False)
    redness = serializers.FloatField(required=False, help_text="Mean CIELAB a* of the skin.")
    shine = serializers.FloatField(required=False, help_text="Share of specular highlights.")
    evenness = serializers.FloatField(required=False, help_text="1: one even tone; 0: blotchy.")
    mean_lightness = serializers.FloatField(required=False, help_text="Mean CIELAB L*.")


class SkinAnalysisSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=AnalysisStatus.choices, read_only=True)
    measures = _MeasuresSerializer(
        read_only=True, allow_null=True, help_text="Null until the analysis is done."
    )
    annotations = AnnotationSerializer(many=True, read_only=True)

    class Meta:
        model = SkinAnalysis
        fields = [
            "id",
            "status",
            "width",
            "height",
            "measures",
            "failure_reason",
            "analyzer",
            "analyzed_at",
            "annotations",
            "created_at",
        ]
        read_only_fields = fields


class _ReportConcernSerializer(serializers.Serializer):
    concern = serializers.CharField()
    sources = serializers.ListField(
        child=serializers.ChoiceField(choices=["photo", "profile"]),
        help_text="Where it comes from: the photo's measures, the skin profile, or both.",
    )
    reasons = serializers.ListField(child=serializers.CharField())


class MatchingProductSerializer(serializers.ModelSerializer):
    effective_price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    store = serializers.SlugField(source="store.slug", read_only=True)
    skin_types = skin_types_field(read_only=True)
    concerns = concerns_field(read_only=True)
    matched_concerns = concerns_field(read_only=True, help_text="The report's concerns it meets.")

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "slug",
            "effective_price",
            "currency",
            "store",
            "skin_types",
            "concerns",
            "matched_concerns",
        ]
        read_only_fields = fields


class SkinReportSerializer(serializers.Serializer):
    measures = _MeasuresSerializer()
    concerns = _ReportConcernSerializer(many=True)
    products = MatchingProductSerializer(
        many=True,
        help_text="In stock, on sale, meeting a concern, suited to the profile's skin type, "
        "and free of the profile's allergies.",
    )
    about = serializers.CharField(help_text="What the report is and is not.")


class SkinAnalysisDetailSerializer(SkinAnalysisSerializer):
    report = serializers.SerializerMethodField()

    class Meta(SkinAnalysisSerializer.Meta):
        fields = [*SkinAnalysisSerializer.Meta.fields, "report"]
        read_only_fields = fields

    @extend_schema_field(SkinReportSerializer(allow_null=True))
    def get_report(self, analysis):
        report = self.context.get("report")
        return SkinReportSerializer(report).data if report is not None else None


class SharedSkinSerializer(serializers.Serializer):
    consultation = serializers.UUIDField()
    profile = SkinProfileSerializer(allow_null=True)
    analyses = SkinAnalysisSerializer(many=True)
