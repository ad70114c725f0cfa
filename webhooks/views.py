"""Webhook endpoints (staff): parse -> authorize -> call a service -> serialize."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action

from core.mixins import ServiceWriteMixin
from core.permissions import IsStaff
from core.serializers import ErrorSerializer
from webhooks import services
from webhooks.models import DeliveryStatus
from webhooks.selectors import delivery_get, delivery_list_for, endpoint_list
from webhooks.serializers import (
    WebhookDeliveryFilterInput,
    WebhookDeliverySerializer,
    WebhookEndpointInput,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
    WebhookRedeliverInput,
)

_DISABLED = OpenApiResponse(
    ErrorSerializer, description="`conflict`: the endpoint is disabled; switch it back on first."
)
_CREATE_EXAMPLE = OpenApiExample(
    "Orders of a fulfilment partner",
    request_only=True,
    value={
        "url": "https://partner.example.com/hooks/marketplace",
        "description": "Fulfilment partner",
        "events": ["order.paid", "order.cancelled"],
    },
)


@extend_schema_view(
    list=extend_schema(summary="List webhook endpoints (staff), newest first"),
    retrieve=extend_schema(summary="One webhook endpoint (staff); its secret is never shown"),
    create=extend_schema(
        summary="Register a webhook endpoint (staff); the answer shows its secret, once",
        description=(
            "The server generates the signing secret and shows it in this answer only. The URL "
            "is refused (400 on `url`) unless it is http or https (https when DEBUG is off), "
            "has no credentials, and its host resolves to public addresses only."
        ),
        request=WebhookEndpointInput,
        examples=[_CREATE_EXAMPLE],
        responses={201: WebhookEndpointWithSecretSerializer},
    ),
    update=extend_schema(
        summary="Replace a webhook endpoint's settings (staff)",
        request=WebhookEndpointInput,
        responses={200: WebhookEndpointSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some of a webhook endpoint's settings (staff)",
        description="`is_active: true` switches a disabled endpoint back on: its failure count "
        "restarts and its waiting deliveries are sent.",
        request=WebhookEndpointInput,
        responses={200: WebhookEndpointSerializer},
    ),
    destroy=extend_schema(
        summary="Delete a webhook endpoint and its delivery log (staff)",
        responses={204: None},
    ),
)
class WebhookEndpointViewSet(ServiceWriteMixin, viewsets.ModelViewSet):
    """Endpoints that receive the marketplace's events (order.created, order.paid,
    order.shipped, order.cancelled, product.updated, stock.low, review.created), each
    request signed with the endpoint's secret (`X-Webhook-Signature`)."""

    permission_classes = [IsStaff]
    input_serializer_class = WebhookEndpointInput
    output_serializer_class = WebhookEndpointSerializer
    filter_backends: list = []

    def get_queryset(self):
        return endpoint_list()

    def perform_create_service(self, data):
        return services.endpoint_create(created_by=self.request.user, **data)

    def perform_update_service(self, instance, data):
        return services.endpoint_update(endpoint=instance, data=data)

    def perform_destroy_service(self, instance):
        services.endpoint_delete(endpoint=instance)

    def create(self, request, *args, **kwargs):
        endpoint = self.perform_create_service(self.validated_input())
        return self.answer(
            endpoint, status.HTTP_201_CREATED, serializer_class=WebhookEndpointWithSecretSerializer
        )

    @extend_schema(
        summary="Replace the endpoint's secret (staff); the answer shows the new one, once",
        description="Every request from now on is signed with the new secret; the old one "
        "stops working at once.",
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = services.endpoint_rotate_secret(endpoint=self.get_object())
        return self.answer(endpoint, serializer_class=WebhookEndpointWithSecretSerializer)

    @extend_schema(
        summary="Send a ping event to the endpoint now (staff); the answer shows the outcome",
        description="A `ping` event, sent at once whether the endpoint is active or not, never "
        "retried and never counted toward disabling it.",
        request=None,
        responses={200: WebhookDeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        delivery = services.endpoint_ping(endpoint=self.get_object())
        return self.answer(delivery_get(pk=delivery.pk), serializer_class=WebhookDeliverySerializer)

    @extend_schema(
        summary="Send an event to the endpoint again (staff), as a new delivery",
        description=(
            "Name one of the endpoint's deliveries (`delivery_id`) or an event (`event_id`). "
            "The new delivery carries the same event id, body and sequence number, and starts "
            "its own attempts and retries; the answer shows it after its first attempt (still "
            "pending when a worker sends it)."
        ),
        request=WebhookRedeliverInput,
        examples=[
            OpenApiExample(
                "A delivery",
                request_only=True,
                value={"delivery_id": "5f0c8a2e-3b1d-4c6e-9a7f-2d4b6c8e0a13"},
            )
        ],
        responses={202: WebhookDeliverySerializer, 409: _DISABLED},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        data = self.validated_input(WebhookRedeliverInput)
        delivery = services.delivery_redeliver(endpoint=self.get_object(), **data)
        return self.answer(
            delivery_get(pk=delivery.pk),
            status.HTTP_202_ACCEPTED,
            serializer_class=WebhookDeliverySerializer,
        )

    @extend_schema(
        summary="The endpoint's delivery log, newest first (staff)",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=DeliveryStatus.values,
                description="Only deliveries of this status.",
            )
        ],
        responses={200: WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        filters = WebhookDeliveryFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        deliveries = delivery_list_for(
            endpoint=endpoint, status=filters.validated_data.get("status")
        )
        page = self.paginate_queryset(deliveries)
        serializer = WebhookDeliverySerializer(
            page, many=True, context=self.get_serializer_context()
        )
        return self.get_paginated_response(serializer.data)
