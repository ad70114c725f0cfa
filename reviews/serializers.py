"""Shapes of the reviews API. Input serializers check fields only; reviews.services applies
the rules (one review per product, verified purchase, status, ratings of the product)."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.models import MAX_COMMENT_LENGTH, Review, ReviewStatus
from reviews.selectors import author_display_name

# C0 and C1 control characters other than tab and newline, and lone UTF-16 surrogates
# (valid in JSON, but not encodable for the database).
_UNWANTED_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class PlainTextField(serializers.CharField):
    """Free text kept as plain text: line endings normalised to \\n, control characters
    dropped (rather than refused), surrounding whitespace trimmed, then length-checked.
    Never HTML: clients must render it as text."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        text = str(data).replace("\r\n", "\n").replace("\r", "\n")
        return _UNWANTED_CHARACTERS.sub("", text).strip()


def _rating_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=5,
        error_messages={
            "min_value": "The rating must be 1 to 5.",
            "max_value": "The rating must be 1 to 5.",
            "invalid": "The rating must be a whole number 1 to 5.",
        },
        help_text="Stars, a whole number 1 to 5.",
        **kwargs,
    )


def _comment_field(**kwargs) -> PlainTextField:
    return PlainTextField(
        max_length=MAX_COMMENT_LENGTH,
        allow_blank=True,
        required=False,
        help_text=f"Plain text (never HTML), at most {MAX_COMMENT_LENGTH} characters; "
        "control characters are dropped.",
        **kwargs,
    )


class ReviewCreateInput(serializers.Serializer):
    product = serializers.UUIDField(help_text="The product reviewed (active, not deleted).")
    rating = _rating_field()
    comment = _comment_field(default="")


class ReviewUpdateInput(serializers.Serializer):
    """PUT needs the rating (the comment stays when left out); PATCH takes either."""

    rating = _rating_field()
    comment = _comment_field()


class ReviewSerializer(serializers.ModelSerializer):
    product = serializers.UUIDField(source="product_id", read_only=True)
    author = serializers.SerializerMethodField(
        help_text="The author's first name and last initial when their profile is public, "
        'otherwise "Anonymous".'
    )
    status = serializers.ChoiceField(
        choices=ReviewStatus.choices,
        read_only=True,
        help_text="Others only ever see approved reviews; authors also their own pending "
        "or hidden ones.",
    )
    verified_purchase = serializers.BooleanField(
        read_only=True,
        help_text="Set by the server: the author has a paid, shipped or delivered order "
        "with this product.",
    )

    class Meta:
        model = Review
        fields = [
            "id",
            "product",
            "author",
            "rating",
            "comment",
            "status",
            "verified_purchase",
            "moderated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_author(self, review: Review) -> str:
        return author_display_name(review.user)
