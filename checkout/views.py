"""Orders API: checkout, the caller's orders (staff: all) and the status actions, and the
sellers' side: each store's fulfilments. Views parse, authorize, call a service and
serialize; the rules live in checkout/services.py and orders/services.py."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from cart.views import CART_TOKEN_PARAMETER, cart_token_from
from checkout.services import fulfilment_cancel, order_cancel, order_place_from_request_cart
from core.exceptions import NotFound
from core.filters import OrderingFilter
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from core.mixins import ServiceViewMixin
from core.serializers import ErrorSerializer
from coupons.serializers import CouponErrorSerializer
from orders.filters import FulfilmentFilter, OrderFilter
from orders.models import Fulfilment, Order
from orders.permissions import IsStaffForObject
from orders.selectors import (
    fulfilment_list_for_store,
    order_get_for,
    order_list_for,
)
from orders.serializers import (
    FulfilmentCancelInput,
    InsufficientStockErrorSerializer,
    OrderCancelInput,
    OrderCreateInput,
    OrderSerializer,
    OrderShipInput,
    SellerFulfilmentSerializer,
)
from orders.services import fulfilment_deliver, fulfilment_ship, order_deliver, order_ship
from stores.selectors import store_of

_INVALID_TRANSITION = OpenApiResponse(
    ErrorSerializer,
    description="`invalid_transition`: the order's current status does not allow this.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List the caller's orders (staff: every order, filterable), newest first"
    ),
    retrieve=extend_schema(summary="Show an order with its items"),
)
class OrderViewSet(
    ServiceViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Orders are written once at checkout; only their status moves, through the actions."""

    route_group = "orders"  # metrics and logs group the orders API under its domain
    serializer_class = OrderSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = OrderFilter
    ordering_fields = ["created_at", "total"]
    ordering_tiebreak = ("-created_at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return order_list_for(user=self.request.user)

    def _answer(self, order: Order, status_code: int = status.HTTP_200_OK) -> Response:
        return self.answer(order_get_for(user=self.request.user, order_id=order.pk), status_code)

    @extend_schema(
        request=OrderCreateInput,
        parameters=[IDEMPOTENCY_KEY_PARAMETER, CART_TOKEN_PARAMETER],
        responses={
            201: OrderSerializer,
            400: OpenApiResponse(
                CouponErrorSerializer,
                description="`validation_error`: bad input, an empty cart, or a coupon that "
                "no longer applies (`errors.coupon` and `reason`); nothing changed.",
            ),
            409: OpenApiResponse(
                InsufficientStockErrorSerializer,
                description="`insufficient_stock`: some lines cannot be bought (listed in "
                "`lines`; nothing changed). `conflict`: the cart's coupon reached its usage "
                "limit. `idempotency_conflict`: a request with this Idempotency-Key is still "
                "running.",
            ),
            422: OpenApiResponse(
                ErrorSerializer,
                description="`idempotency_conflict`: the Idempotency-Key was used with "
                "another body.",
            ),
        },
        summary="Check out: turn the caller's cart into a pending order",
        examples=[
            OpenApiExample(
                "A saved address",
                request_only=True,
                value={"address_id": "5f2c1d9e-7a44-4b1e-8c3a-0e9d6b2a7f10"},
            ),
            OpenApiExample(
                "An address given inline",
                request_only=True,
                value={
                    "shipping_address": {
                        "full_name": "Ada Lovelace",
                        "line1": "12 St James's Square",
                        "city": "London",
                        "postal_code": "SW1Y 4JH",
                        "country": "GB",
                    }
                },
            ),
        ],
        description="Give exactly one of `address_id` and `shipping_address`. Stock is "
        "deducted, prices and product names are snapshotted, the cart is emptied and a "
        "confirmation email is sent. Unpaid orders are cancelled after a while.",
    )
    @idempotent
    def create(self, request):
        data = self.validated_input(OrderCreateInput)
        order = order_place_from_request_cart(
            user=request.user,
            token=cart_token_from(request),
            shipping_address=data["shipping_address"],
        )
        # Once the order is committed nothing may fail (a lost connection) and answer 500
        # for it: the answer is built from the order in memory, which the service returns
        # with all it shows already read. With an Idempotency-Key it is built before the
        # commit as well, inside the key's transaction (@idempotent).
        return self.answer(order, status.HTTP_201_CREATED)

    @extend_schema(
        request=OrderCancelInput,
        responses={200: OrderSerializer, 409: _INVALID_TRANSITION},
        summary="Cancel a pending or paid order (owner or staff): restores stock, refunds",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self.get_object()
        order = order_cancel(order=order, by=request.user, **self.validated_input(OrderCancelInput))
        return self._answer(order)

    @extend_schema(
        request=OrderShipInput,
        responses={200: OrderSerializer, 409: _INVALID_TRANSITION},
        summary="Mark a paid order shipped with its tracking number and carrier (staff)",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, IsStaffForObject])
    def ship(self, request, pk=None):
        order = self.get_object()
        order = order_ship(order=order, by=request.user, **self.validated_input(OrderShipInput))
        return self._answer(order)

    @extend_schema(
        request=None,
        responses={200: OrderSerializer, 409: _INVALID_TRANSITION},
        summary="Mark a shipped order delivered (staff)",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, IsStaffForObject])
    def deliver(self, request, pk=None):
        order = order_deliver(order=self.get_object(), by=request.user)
        return self._answer(order)


# --- the sellers' side ------------------------------------------------------------------

_FULFILMENT_TRANSITION = OpenApiResponse(
    ErrorSerializer,
    description="`invalid_transition`: the part's current status does not allow this.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List the seller's parts of orders, newest first (filter by status)",
        responses={200: SellerFulfilmentSerializer(many=True), 404: ErrorSerializer},
    ),
    retrieve=extend_schema(summary="Show one part of an order: the buyer, the lines, the money"),
)
class SellerFulfilmentViewSet(
    ServiceViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The caller's store's parts of orders. Another store's part is a 404, as if it did
    not exist; the buyer's payment is never shown."""

    route_group = "orders"
    serializer_class = SellerFulfilmentSerializer
    permission_classes = [IsAuthenticated]
    needs_own_store = True  # without one: 404 (documented by core.schema)
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = FulfilmentFilter
    ordering_fields = ["created_at", "total"]
    ordering_tiebreak = ("-created_at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Fulfilment.objects.none()
        store = store_of(user=self.request.user)
        if store is None:
            raise NotFound("You have no store.")
        return fulfilment_list_for_store(store_id=store.pk)

    def _answer(self, fulfilment: Fulfilment) -> Response:
        return self.answer(self.get_queryset().get(pk=fulfilment.pk))

    @extend_schema(
        request=OrderShipInput,
        responses={200: SellerFulfilmentSerializer, 409: _FULFILMENT_TRANSITION},
        summary="Ship a paid part with its tracking number and carrier (the buyer is emailed)",
    )
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        fulfilment = self.get_object()
        fulfilment = fulfilment_ship(
            fulfilment=fulfilment, by=request.user, **self.validated_input(OrderShipInput)
        )
        return self._answer(fulfilment)

    @extend_schema(
        request=None,
        responses={200: SellerFulfilmentSerializer, 409: _FULFILMENT_TRANSITION},
        summary="Mark a shipped part delivered (its earnings' hold starts)",
    )
    @action(detail=True, methods=["post"])
    def deliver(self, request, pk=None):
        fulfilment = fulfilment_deliver(fulfilment=self.get_object(), by=request.user)
        return self._answer(fulfilment)

    @extend_schema(
        request=FulfilmentCancelInput,
        responses={200: SellerFulfilmentSerializer, 409: _FULFILMENT_TRANSITION},
        summary="Cancel a part the store cannot serve: its stock comes back, its share of "
        "the payment is refunded",
        description="Pending or paid parts only. Exactly this part's share is refunded (its "
        "line totals less its share of the coupon); the store's earnings on it are reversed. "
        "The order is cancelled when no part is left.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        fulfilment = self.get_object()
        fulfilment = fulfilment_cancel(
            fulfilment=fulfilment, by=request.user, **self.validated_input(FulfilmentCancelInput)
        )
        return self._answer(fulfilment)
