"""Payment endpoints: parse -> authorize -> call a service -> serialize."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.filters import OrderingFilter
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from core.mixins import ServiceViewMixin
from core.parsers import JSONParser
from core.permissions import IsStaff
from core.serializers import ErrorSerializer, ValidationErrorSerializer
from core.stripe_webhooks import STRIPE_SIGNATURE_PARAMETER
from payments import services
from payments.filters import PaymentFilter
from payments.models import Payment
from payments.selectors import payment_list_for
from payments.serializers import (
    PaymentCreateInput,
    PaymentRefundInput,
    PaymentSerializer,
    StripeEventInput,
    WebhookAckSerializer,
)

_PROVIDER_ERROR = OpenApiResponse(
    ErrorSerializer,
    description="The payment provider failed or refused the call (`payment_provider_error`).",
)
_NOT_CONFIGURED = OpenApiResponse(
    ErrorSerializer,
    description="The provider is not configured (`payment_provider_not_configured`).",
)


@extend_schema_view(
    list=extend_schema(
        summary="List payments",
        description="The caller's payments; staff see every payment and may filter.",
    ),
    retrieve=extend_schema(
        summary="Get a payment", description="Another user's payment answers 404."
    ),
)
class PaymentViewSet(
    ServiceViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = PaymentSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = PaymentFilter
    ordering_fields = ["created_at", "amount"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Payment.objects.none()
        return payment_list_for(user=self.request.user)

    def get_permissions(self):
        if self.action == "refund":
            return [IsStaff()]
        return [IsAuthenticated()]

    @extend_schema(
        summary="Pay an order",
        examples=[
            OpenApiExample(
                "With Stripe",
                request_only=True,
                value={"order_id": "9d1e6f3a-2b7c-4e8d-a1f0-6c5b4a3e2d10", "provider": "stripe"},
            ),
            OpenApiExample(
                "With the fake provider (development): a declined card",
                request_only=True,
                value={
                    "order_id": "9d1e6f3a-2b7c-4e8d-a1f0-6c5b4a3e2d10",
                    "provider": "fake",
                    "token": "tok_decline",
                },
            ),
        ],
        description=(
            "Pays one of the caller's pending orders; amount and currency come from the order. "
            "One payment per order: a retry answers the same payment (200) and never charges "
            "again once it succeeded; a failed or timed-out payment is re-attempted on the "
            "same payment. With the `fake` provider the `token` decides the outcome; with "
            "`stripe` the payment stays `pending` (use `client_secret` in the frontend) until "
            "Stripe's webhook reports the result."
        ),
        request=PaymentCreateInput,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: OpenApiResponse(PaymentSerializer, description="Payment created."),
            200: OpenApiResponse(PaymentSerializer, description="The order's existing payment."),
            202: OpenApiResponse(
                PaymentSerializer,
                description="The provider timed out: the payment stays pending; retry later.",
            ),
            404: OpenApiResponse(ErrorSerializer, description="No such order of the caller."),
            409: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "The order is not pending (`invalid_transition`), the order is already "
                    "being paid with another provider, the provider is not configured, or "
                    "the Idempotency-Key is in use (`idempotency_conflict`)."
                ),
            ),
            422: OpenApiResponse(
                ErrorSerializer,
                description="Idempotency-Key reused with another body (`idempotency_conflict`).",
            ),
            502: _PROVIDER_ERROR,
        },
    )
    # Not in one transaction with the key: payment_create commits the payment row before it
    # calls the provider (and must not hold the order's lock across that call). The key is
    # completed right after; if that write is lost, a retry after the key's lease runs this
    # again, which one-payment-per-order makes harmless (never a second charge).
    @idempotent(atomic=False)
    def create(self, request, *args, **kwargs):
        data = self.validated_input(PaymentCreateInput)
        attempt = services.payment_create(
            user=request.user,
            order_id=data["order_id"],
            provider=data.get("provider") or None,
            token=data.get("token") or None,
        )
        if attempt.timed_out:
            code = status.HTTP_202_ACCEPTED
        elif attempt.created:
            code = status.HTTP_201_CREATED
        else:
            code = status.HTTP_200_OK
        return self.answer(attempt.payment, code)

    @extend_schema(
        summary="Refund a payment (staff)",
        description="Refunds all that is left, or `amount` of it; never more than was paid.",
        request=PaymentRefundInput,
        responses={
            200: PaymentSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="The payment has not succeeded or is fully refunded (`conflict`).",
            ),
            502: _PROVIDER_ERROR,
        },
    )
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        payment = self.get_object()
        data = self.validated_input(PaymentRefundInput)
        services.payment_refund(
            payment=payment,
            amount=data.get("amount"),
            by=request.user,
            reason=data.get("reason", ""),
        )
        return self.answer(self.get_queryset().get(pk=payment.pk))


class StripeWebhookView(APIView):
    """Stripe calls this; it is trusted only through the signature of the raw body."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # The raw body is read (and signed); this only documents what Stripe sends.
    parser_classes = [JSONParser]
    # Unauthenticated: each client address gets its own budget of calls.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "stripe_webhook"

    @extend_schema(
        summary="Stripe webhook",
        description=(
            "Receives Stripe events. The raw body must carry a valid `Stripe-Signature` "
            "(webhook secret, timestamp within the tolerance). Each event id applies once; a "
            "replay answers 200 and changes nothing. Handles `payment_intent.succeeded` and "
            "`payment_intent.payment_failed`; other types are acknowledged and ignored."
        ),
        request=StripeEventInput,
        parameters=[STRIPE_SIGNATURE_PARAMETER],
        responses={
            200: WebhookAckSerializer,
            400: OpenApiResponse(
                ValidationErrorSerializer,
                description=(
                    "Bad or missing signature, a timestamp outside the tolerance (past or "
                    "future), or not a JSON event. The signature is checked first, on the "
                    "raw body."
                ),
            ),
            503: OpenApiResponse(
                ErrorSerializer, description="The webhook secret is not configured."
            ),
        },
        auth=[],
        tags=["payments"],
    )
    def post(self, request):
        applied = services.webhook_receive(
            provider="stripe", payload=request.body, headers=request.headers
        )
        return Response({"received": True, "duplicate": not applied})
