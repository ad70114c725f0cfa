"""Shapes of the recommendation endpoints: a short product summary with a score and the
reason it is recommended."""

from rest_framework import serializers

from catalog.serializers import MONEY, PrimaryImageUrlField
from recommendations.selectors import DEFAULT_LIMIT, MAX_LIMIT


class RecommendationQueryInput(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False,
        default=DEFAULT_LIMIT,
        min_value=1,
        help_text=f"Products per list (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}; "
        "larger values are capped).",
    )

    def validate_limit(self, value: int) -> int:
        return min(value, MAX_LIMIT)


class RecommendedProductSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    effective_price = serializers.DecimalField(
        **MONEY, read_only=True, help_text="The price now, less an active discount."
    )
    currency = serializers.CharField(read_only=True)
    in_stock = serializers.BooleanField(read_only=True)
    image = PrimaryImageUrlField()


class RoundedFloatField(serializers.FloatField):
    def to_representation(self, value):
        return round(float(value), 4)


class RecommendationSerializer(serializers.Serializer):
    product = RecommendedProductSerializer(read_only=True)
    score = RoundedFloatField(
        read_only=True, help_text="Higher is stronger; comparable within one list only."
    )
    reason = serializers.CharField(
        read_only=True, help_text='Why, e.g. "Bought together in 3 orders".'
    )


class ProductRecommendationsSerializer(serializers.Serializer):
    product = serializers.UUIDField(read_only=True, help_text="The product asked about.")
    bought_together = RecommendationSerializer(
        many=True,
        read_only=True,
        help_text="Bought in the same orders; without such orders, popular in its category.",
    )
    similar = RecommendationSerializer(
        many=True,
        read_only=True,
        help_text="Same category, alike in brand, name and description.",
    )


class UserRecommendationsSerializer(serializers.Serializer):
    results = RecommendationSerializer(
        many=True,
        read_only=True,
        help_text="Best first. The reason names the purchase or saved item behind it.",
    )
