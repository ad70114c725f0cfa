"""Staff CRUD of coupons: parse -> authorize (staff only) -> call a service -> serialize.
Customers use coupons through `cart/coupon/` (cart.views) and checkout."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import filters, status, viewsets
from rest_framework.response import Response

from core.filters import OrderingFilter
from core.permissions import IsStaff
from core.routing import UUID_REGEX
from core.serializers import ErrorSerializer
from coupons import services
from coupons.filters import CouponFilter
from coupons.selectors import coupon_list
from coupons.serializers import CouponInput, CouponSerializer

_USED = OpenApiResponse(
    ErrorSerializer,
    description="`conflict`: orders used this coupon, so it is kept for their records; "
    "deactivate it instead (`is_active: false`).",
)
_RACE = OpenApiResponse(
    ErrorSerializer, description="`conflict`: the coupon changed concurrently; retry."
)


@extend_schema_view(
    list=extend_schema(summary="List coupons (staff), newest first; filter and search by code"),
    retrieve=extend_schema(summary="One coupon (staff)"),
    create=extend_schema(
        summary="Create a coupon (staff)",
        request=CouponInput,
        responses={201: CouponSerializer, 409: _RACE},
    ),
    update=extend_schema(
        summary="Replace a coupon's settings (staff)",
        request=CouponInput,
        responses={200: CouponSerializer, 409: _RACE},
    ),
    partial_update=extend_schema(
        summary="Change some of a coupon's settings (staff)",
        request=CouponInput,
        responses={200: CouponSerializer, 409: _RACE},
    ),
    destroy=extend_schema(
        summary="Delete a coupon no order used (staff); a used one is a 409",
        responses={204: None, 409: _USED},
    ),
)
class CouponViewSet(viewsets.ModelViewSet):
    """Coupons: percent or fixed amount off the cart subtotal, with a minimum subtotal, a
    validity window, total and per-customer usage limits. Codes are case-insensitive.
    `times_used` is counted by checkout and given back by a cancel; it is never written
    here. A coupon that orders used cannot be deleted (409): deactivate it."""

    permission_classes = [IsStaff]
    serializer_class = CouponSerializer
    lookup_value_regex = UUID_REGEX
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, OrderingFilter]
    filterset_class = CouponFilter
    search_fields = ["code"]
    ordering_fields = ["code", "created_at", "valid_until", "times_used"]

    def get_queryset(self):
        return coupon_list()

    def get_serializer_class(self):
        if self.action in {"create", "update", "partial_update"}:
            return CouponInput
        return CouponSerializer

    def _output(self, coupon, status_code=status.HTTP_200_OK) -> Response:
        data = CouponSerializer(coupon, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = CouponInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        coupon = services.coupon_create(**serializer.validated_data)
        return self._output(coupon, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        coupon = self.get_object()
        serializer = CouponInput(data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        coupon = services.coupon_update(coupon=coupon, data=serializer.validated_data)
        return self._output(coupon)

    def destroy(self, request, *args, **kwargs):
        services.coupon_delete(coupon=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
