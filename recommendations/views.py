"""Recommendation endpoints: read-only, cheap (precomputed rows, cached fallbacks)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from catalog.selectors import product_list_for
from core.serializers import ValidationErrorSerializer
from recommendations.selectors import (
    product_recommendations,
    user_recommendations,
)
from recommendations.serializers import (
    ProductRecommendationsSerializer,
    RecommendationQueryInput,
    UserRecommendationsSerializer,
)

_PRODUCT_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The product's id."
)
_BAD_LIMIT = OpenApiResponse(ValidationErrorSerializer, description="`limit` is not 1 or more.")


class _RecommendationView(GenericAPIView):
    filter_backends = []
    pagination_class = None

    def limit(self) -> int:
        serializer = RecommendationQueryInput(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["limit"]


class ProductRecommendationsView(_RecommendationView):
    permission_classes = [AllowAny]
    serializer_class = ProductRecommendationsSerializer

    @extend_schema(
        operation_id="products_recommendations",
        summary="Products bought together with this one, and similar products",
        description=(
            "Public. `bought_together`: products bought in the same paid, shipped or "
            "delivered orders (falls back to the most ordered products of the category, "
            '"Popular in ..."). `similar`: same category, same brand first, alike in name '
            "and description (falls back to the best-rated, newest products of the "
            "category). Only visible products are listed. Precomputed by the "
            "`compute_recommendations` command; fallbacks are cached."
        ),
        parameters=[_PRODUCT_ID, RecommendationQueryInput],
        responses={200: ProductRecommendationsSerializer, 400: _BAD_LIMIT},
    )
    def get(self, request, pk):
        limit = self.limit()
        product = get_object_or_404(
            product_list_for(user=request.user).prefetch_related(None), pk=pk
        )
        recommendations = product_recommendations(product=product, limit=limit)
        return Response(self.get_serializer(recommendations).data)


class UserRecommendationsView(_RecommendationView):
    permission_classes = [IsAuthenticated]
    serializer_class = UserRecommendationsSerializer

    @extend_schema(
        operation_id="users_me_recommendations",
        summary="Products recommended to the caller",
        description=(
            "Bought together with what the caller bought, and similar to what they saved "
            "in their wishlist; never a product they bought or saved. Each reason names "
            'its source ("Because you bought ...", "Because you saved ..."). Without '
            "history: the best-rated products."
        ),
        parameters=[RecommendationQueryInput],
        responses={200: UserRecommendationsSerializer, 400: _BAD_LIMIT},
    )
    def get(self, request):
        results = user_recommendations(user=request.user, limit=self.limit())
        return Response(self.get_serializer({"results": results}).data)
