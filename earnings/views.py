"""Earnings API: commission rules (staff), a seller's balance, ledger and payouts, and the
staff payout run. Views parse, authorize, call a service and serialize."""

import uuid

from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotFound
from core.mixins import ServiceViewMixin, ServiceWriteMixin
from core.permissions import IsStaff
from core.serializers import ErrorSerializer, ValidationErrorSerializer
from core.spreadsheets import csv_response
from core.stripe_webhooks import STRIPE_SIGNATURE_PARAMETER
from earnings import services
from earnings.models import LedgerEntry, Payout, PayoutStatus
from earnings.selectors import (
    commission_rule_list,
    ledger_list_for,
    payout_list_for,
    store_balances,
)
from earnings.serializers import (
    CommissionRuleInput,
    CommissionRuleSerializer,
    LedgerAdjustmentInput,
    LedgerEntrySerializer,
    PayoutRunSerializer,
    PayoutSerializer,
    PayoutWebhookAckSerializer,
    StoreBalanceSerializer,
)
from stores.models import Store
from stores.selectors import store_of

_STORE_PARAMETER = OpenApiParameter(
    "store",
    OpenApiTypes.UUID,
    OpenApiParameter.QUERY,
    description="Staff: the store to look at (sellers always see their own).",
)


def _store_in_scope(request) -> Store:
    """The seller's own store; staff may name any store with `?store=<id>`."""
    user = request.user
    requested = request.query_params.get("store")
    if user.is_staff and requested:
        try:
            return get_object_or_404(Store, pk=uuid.UUID(requested))
        except ValueError:
            raise NotFound() from None
    store = store_of(user=user)
    if store is None:
        raise NotFound("You have no store.")
    return store


# --- commission rules -------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List commission rules (staff)"),
    retrieve=extend_schema(summary="One commission rule (staff)"),
    create=extend_schema(
        summary="Create a commission rule (staff)",
        request=CommissionRuleInput,
        responses={201: CommissionRuleSerializer},
        description="A rule names a store, a category (covering its subcategories) or "
        "both. The most specific wins: store and category, then store, then category, "
        "then the platform's default percent. Only sales made from now on use it.",
    ),
    partial_update=extend_schema(
        summary="Change a commission rule (staff)",
        request=CommissionRuleInput,
        responses={200: CommissionRuleSerializer},
    ),
    destroy=extend_schema(summary="Delete a commission rule (staff)", responses={204: None}),
)
class CommissionRuleViewSet(
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    input_serializer_class = CommissionRuleInput
    output_serializer_class = CommissionRuleSerializer
    permission_classes = [IsStaff]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends = []

    def get_queryset(self):
        return commission_rule_list()

    def perform_create_service(self, data):
        return services.commission_rule_create(**data)

    def perform_update_service(self, instance, data):
        return services.commission_rule_update(rule=instance, data=data)

    def perform_destroy_service(self, instance):
        services.commission_rule_delete(rule=instance)


# --- the seller's money -----------------------------------------------------------------


class SellerBalanceView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    needs_own_store = True  # without one: 404 (documented by core.schema)
    serializer_class = StoreBalanceSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="The seller's balance per currency: pending, available, paid out",
        parameters=[_STORE_PARAMETER],
        description="Computed from the store's ledger entries. Earnings of a fulfilment are "
        "pending until it was delivered the hold period ago, then available.",
    )
    def get(self, request):
        store = _store_in_scope(request)
        data = {"store": store, "balances": store_balances(store_id=store.pk)}
        return Response(self.get_serializer(data).data)


class _LedgerFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=LedgerEntry._meta.get_field("kind").choices)
    currency = filters.CharFilter(max_length=3)

    class Meta:
        model = LedgerEntry
        fields = ["kind", "currency"]


@extend_schema_view(
    get=extend_schema(
        summary="The seller's ledger, newest first",
        parameters=[_STORE_PARAMETER],
        description="Immutable entries: `sale` (line totals less commission), `refund` and "
        "`commission_reversal` (on cancellation or refund), `payout`, `adjustment`.",
    )
)
class SellerLedgerView(ListAPIView):
    permission_classes = [IsAuthenticated]
    needs_own_store = True  # without one: 404 (documented by core.schema)
    serializer_class = LedgerEntrySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = _LedgerFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LedgerEntry.objects.none()
        return ledger_list_for(store_id=_store_in_scope(self.request).pk)


class SellerLedgerExportView(APIView):
    permission_classes = [IsAuthenticated]
    needs_own_store = True  # without one: 404 (documented by core.schema)

    @extend_schema(
        summary="The seller's whole ledger as a CSV download",
        parameters=[_STORE_PARAMETER],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="created_at,kind,amount,currency,order,payout,description",
            )
        },
    )
    def get(self, request):
        store = _store_in_scope(request)
        entries = ledger_list_for(store_id=store.pk).iterator(chunk_size=2000)
        return csv_response(
            filename=f"ledger-{store.slug}.csv",
            header=["created_at", "kind", "amount", "currency", "order", "payout", "description"],
            rows=(
                [
                    entry.created_at.isoformat(),
                    entry.kind,
                    entry.amount,
                    entry.currency,
                    entry.fulfilment.order_id if entry.fulfilment_id else "",
                    entry.payout_id or "",
                    entry.description,
                ]
                for entry in entries
            ),
        )


class SellerPayoutListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    needs_own_store = True  # without one: 404 (documented by core.schema)
    serializer_class = PayoutSerializer
    filter_backends = []

    @extend_schema(summary="The seller's payouts, newest first", parameters=[_STORE_PARAMETER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payout.objects.none()
        return payout_list_for(store_id=_store_in_scope(self.request).pk)


# --- staff ------------------------------------------------------------------------------


class LedgerAdjustmentView(ServiceViewMixin, GenericAPIView):
    permission_classes = [IsStaff]
    serializer_class = LedgerEntrySerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Adjust a store's balance with a reason (staff)",
        request=LedgerAdjustmentInput,
        responses={201: LedgerEntrySerializer},
    )
    def post(self, request):
        entry = services.ledger_adjust(
            by=request.user, **self.validated_input(LedgerAdjustmentInput)
        )
        return self.answer(entry, status.HTTP_201_CREATED)


class _PayoutFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=PayoutStatus.choices)
    store = filters.UUIDFilter(field_name="store_id")

    class Meta:
        model = Payout
        fields = ["status", "store"]


@extend_schema_view(get=extend_schema(summary="Every payout, newest first (staff)"))
class PayoutListView(ListAPIView):
    permission_classes = [IsStaff]
    serializer_class = PayoutSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = _PayoutFilter

    def get_queryset(self):
        return payout_list_for()


class PayoutRunView(GenericAPIView):
    permission_classes = [IsStaff]
    serializer_class = PayoutRunSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Pay every store its available balance now (staff; also daily by schedule)",
        request=None,
        description="One payout per store and currency at or above the minimum; payouts "
        "left processing by an earlier run are sent again with the same idempotency key, "
        "so a retried run pays nothing twice.",
    )
    def post(self, request):
        run = services.payouts_run()
        data = {
            "opened": len(run.opened),
            "resent": len(run.resent),
            "paid": run.paid,
            "failed": run.failed,
            "still_processing": run.still_processing,
        }
        return Response(self.get_serializer(data).data)


class StripePayoutWebhookView(APIView):
    """Stripe calls this for Connect transfers; trusted only through the signature."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    throttle_classes = []

    @extend_schema(
        summary="Stripe Connect webhook (transfers)",
        description="Signed with STRIPE_CONNECT_WEBHOOK_SECRET; each event id applies once. "
        "`transfer.created` confirms a payout; `transfer.reversed` gives its amount back to "
        "the store's available balance.",
        request=None,
        parameters=[STRIPE_SIGNATURE_PARAMETER],
        responses={
            200: PayoutWebhookAckSerializer,
            400: OpenApiResponse(ValidationErrorSerializer, description="Bad signature or body."),
            503: OpenApiResponse(ErrorSerializer, description="The secret is not configured."),
        },
        auth=[],
        tags=["payouts"],
    )
    def post(self, request):
        applied = services.payout_webhook_receive(
            provider="stripe", payload=request.body, headers=request.headers
        )
        return Response({"received": True, "duplicate": not applied})
