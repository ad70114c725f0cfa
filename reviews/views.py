"""Reviews API: parse -> authorize -> call a service -> serialize. The rules live in
reviews/services.py; who sees which review is reviews.selectors.review_list_for."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from core.filters import OrderingFilter
from core.mixins import ServiceViewMixin
from core.permissions import IsStaff
from core.serializers import ErrorSerializer
from reviews import services
from reviews.filters import ReviewFilter
from reviews.models import Review
from reviews.permissions import IsReviewAuthorOrStaffDelete
from reviews.selectors import review_get_for, review_list_for
from reviews.serializers import ReviewCreateInput, ReviewSerializer, ReviewUpdateInput

_NOT_OWN = OpenApiResponse(
    ErrorSerializer,
    description="`permission_denied`: the review is visible to the caller but not theirs "
    "(another user's review the caller cannot see is a 404).",
)


@extend_schema_view(
    list=extend_schema(
        summary="List reviews (public: approved ones), newest first",
        description="Anyone sees approved reviews of visible products; an authenticated "
        "author also sees their own pending and hidden reviews; staff see all reviews and "
        "may filter by `status` and `user`.",
        responses={
            200: ReviewSerializer(many=True),
            403: OpenApiResponse(
                ErrorSerializer, description="`permission_denied`: `user` is a staff filter."
            ),
        },
    ),
    retrieve=extend_schema(summary="One review (same visibility as the list)"),
    create=extend_schema(
        summary="Review a product (one review per customer per product)",
        description="`verified_purchase` and `status` are set by the server: pending when "
        "reviews need approval, otherwise approved at once.",
        request=ReviewCreateInput,
        responses={
            201: ReviewSerializer,
            403: OpenApiResponse(
                ErrorSerializer,
                description="`permission_denied`: sellers cannot review their own products.",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`conflict`: the caller already reviewed this product.",
            ),
        },
    ),
    update=extend_schema(
        summary="Change your review",
        description="When reviews need approval, a changed approved review goes back to pending.",
        request=ReviewUpdateInput,
        responses={200: ReviewSerializer, 403: _NOT_OWN},
    ),
    partial_update=extend_schema(
        summary="Change your review (some fields)",
        description="When reviews need approval, a changed approved review goes back to pending.",
        request=ReviewUpdateInput,
        responses={200: ReviewSerializer, 403: _NOT_OWN},
    ),
    destroy=extend_schema(
        summary="Delete a review (its author, or staff)",
        responses={204: None, 403: _NOT_OWN},
    ),
)
class ReviewViewSet(
    ServiceViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Product reviews. Another user's review that the caller cannot see answers 404; one
    they can see (approved) but do not own answers 403 to a change."""

    serializer_class = ReviewSerializer
    permission_classes = [IsAuthenticatedOrReadOnly, IsReviewAuthorOrStaffDelete]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = ReviewFilter
    ordering_fields = ["created_at", "rating"]
    ordering_tiebreak = ("-created_at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        return review_list_for(user=self.request.user)

    def _answer(self, review: Review, status_code: int = status.HTTP_200_OK) -> Response:
        # Read back through the selector: the same joins as the list (author's profile).
        review = review_get_for(user=self.request.user, review_id=review.pk)
        return self.answer(review, status_code)

    def create(self, request, *args, **kwargs):
        data = self.validated_input(ReviewCreateInput)
        review = services.review_create(
            user=request.user,
            product_id=data["product"],
            rating=data["rating"],
            comment=data["comment"],
        )
        return self._answer(review, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        review = self.get_object()
        data = self.validated_input(ReviewUpdateInput, partial=kwargs.get("partial", False))
        review = services.review_update(review=review, **data)
        return self._answer(review)

    def destroy(self, request, *args, **kwargs):
        services.review_delete(review=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=ReviewSerializer,
        summary="Approve a review: it becomes public and counts in the rating (staff)",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsStaff], filter_backends=[])
    def approve(self, request, pk=None):
        review = services.review_approve(review=self.get_object(), by=request.user)
        return self._answer(review)

    @extend_schema(
        request=None,
        responses=ReviewSerializer,
        summary="Hide a review: out of public view, no longer counted in the rating (staff)",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsStaff], filter_backends=[])
    def hide(self, request, pk=None):
        review = services.review_hide(review=self.get_object(), by=request.user)
        return self._answer(review)
