"""Staff CRUD of coupons: parse -> authorize (staff only) -> call a service -> serialize.
Customers use coupons through `cart/coupon/` (cart.views) and checkout."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import filters, viewsets

from core.filters import OrderingFilter
from core.mixins import ServiceWriteMixin
from core.permissions import IsStaff
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
class CouponViewSet(ServiceWriteMixin, viewsets.ModelViewSet):
    """Coupons: percent or fixed amount off the cart subtotal, with a minimum subtotal, a
    validity window, total and per-customer usage limits. Codes are case-insensitive.
    `times_used` is counted by checkout and given back by a cancel; it is never written
    here. A coupon that orders used cannot be deleted (409): deactivate it."""

    permission_classes = [IsStaff]
    input_serializer_class = CouponInput
    output_serializer_class = CouponSerializer
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, OrderingFilter]
    filterset_class = CouponFilter
    search_fields = ["code"]
    ordering_fields = ["code", "created_at", "valid_until", "times_used"]

    def get_queryset(self):
        return coupon_list()

    def perform_create_service(self, data):
        return services.coupon_create(**data)

    def perform_update_service(self, instance, data):
        return services.coupon_update(coupon=instance, data=data)

    def perform_destroy_service(self, instance):
        services.coupon_delete(coupon=instance)
