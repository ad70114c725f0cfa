from datetime import UTC, datetime, time

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from consultations import selectors, services
from consultations.models import ConsultationService, ConsultationStatus
from consultations.serializers import (
    AvailabilitySerializer,
    BookingInput,
    CancelInput,
    CompleteInput,
    ConsultationSerializer,
    ConsultationServiceInput,
    ConsultationServiceSerializer,
    RegimenAddedSerializer,
    RescheduleInput,
    SellerConsultationSerializer,
    SlotQuery,
    SlotsSerializer,
)
from core.exceptions import BusinessValidationError, NotFound
from core.mixins import ServiceViewMixin, ServiceWriteMixin
from core.serializers import ErrorSerializer
from stores.models import StoreKind
from stores.selectors import store_of

ERRORS = "Errors: 400 validation_error, 404 not_found, 409 invalid_transition."
_CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description="Not in this state (`invalid_transition`), or the slot is not free "
    "(`slot_unavailable`), or too many unpaid bookings (`conflict`).",
)


def _own_dermatologist_store(request):
    store = store_of(user=request.user)
    if store is None or store.kind != StoreKind.DERMATOLOGIST:
        raise NotFound("You have no dermatologist store.")
    return store


def _public_store(ref: str):
    store = selectors.bookable_store(ref)
    if store is None:
        raise NotFound("No such dermatologist store.")
    return store


@extend_schema_view(
    list=extend_schema(summary="List your store's consultation services (dermatologist)"),
    retrieve=extend_schema(summary="One of your consultation services (dermatologist)"),
    create=extend_schema(
        summary="Offer a consultation service (dermatologist)",
        request=ConsultationServiceInput,
        responses={201: ConsultationServiceSerializer},
        description="Only a dermatologist store offers consultations: 15 to 120 minutes, "
        "a price in the store's currency.",
    ),
    partial_update=extend_schema(
        summary="Change a consultation service (dermatologist)",
        request=ConsultationServiceInput,
        responses={200: ConsultationServiceSerializer},
    ),
    destroy=extend_schema(
        summary="Stop offering a consultation service (dermatologist)",
        responses={204: None},
        description="The service stays on record for its bookings; it is no longer offered.",
    ),
)
class ConsultationServiceViewSet(
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAuthenticated]
    needs_own_store = True  # without one: 404 (documented by core.schema)
    input_serializer_class = ConsultationServiceInput
    output_serializer_class = ConsultationServiceSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    route_group = "consultations"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ConsultationService.objects.none()
        store = store_of(user=self.request.user)
        if store is None:
            return ConsultationService.objects.none()
        return selectors.own_services(store=store)

    def perform_create_service(self, data):
        return services.service_create(store=_own_dermatologist_store(self.request), data=data)

    def perform_update_service(self, instance, data):
        return services.service_update(service=instance, data=data)

    def perform_destroy_service(self, instance):
        services.service_deactivate(service=instance)


class StoreServicesView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ConsultationServiceSerializer
    filter_backends = []
    route_group = "consultations"

    @extend_schema(summary="A dermatologist store's consultation services (public)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ConsultationService.objects.none()
        return selectors.public_services(store=_public_store(self.kwargs["ref"]))


class StoreSlotsView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = SlotsSerializer
    filter_backends = []
    pagination_class = None
    route_group = "consultations"

    @extend_schema(
        summary="Free consultation slots of a dermatologist store (public)",
        parameters=[
            OpenApiParameter("service", OpenApiTypes.UUID, required=True),
            OpenApiParameter(
                "from", OpenApiTypes.DATE, required=True, description="First day, local."
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, required=True, description="Last day (31 at most)."
            ),
        ],
        description="Start times inside the dermatologist's availability (their time zone; "
        "each answer carries its offset, also across daylight-saving changes), not booked "
        "or held, at least CONSULTATION_MIN_LEAD_HOURS ahead and at most "
        "CONSULTATION_HORIZON_DAYS. A range over 31 days is a 400.",
    )
    def get(self, request, ref):
        store = _public_store(ref)
        query = SlotQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        service = get_object_or_404(selectors.public_services(store=store), pk=params["service"])
        availability = selectors.availability_of(store=store)
        slots = selectors.free_slots_for(
            service=service,
            availability=availability,
            first_day=params["from"],
            last_day=params["to"],
        )
        data = {
            "service": service.pk,
            "timezone": availability.timezone if availability else "UTC",
            "duration_minutes": service.duration_minutes,
            "slots": slots,
        }
        return Response(self.get_serializer(data).data)


class SellerAvailabilityView(ServiceViewMixin, GenericAPIView):
    permission_classes = [IsAuthenticated]
    needs_own_store = True  # without one: 404 (documented by core.schema)
    serializer_class = AvailabilitySerializer
    filter_backends = []
    pagination_class = None
    route_group = "consultations"

    @extend_schema(summary="Your weekly availability and exceptions (dermatologist)")
    def get(self, request):
        store = _own_dermatologist_store(request)
        availability = selectors.availability_of(store=store)
        if availability is None:
            return Response({"timezone": "UTC", "weekly": [], "exceptions": []})
        return self.answer(availability)

    @extend_schema(
        summary="Set your weekly availability and exceptions (dermatologist)",
        description="Replaces the plan: `timezone` (IANA), `weekly` windows per weekday "
        "(local HH:MM), `exceptions` per date (closed, or other hours). Booked "
        "consultations keep their time.",
    )
    def put(self, request):
        store = _own_dermatologist_store(request)
        data = self.validated_input()
        availability = services.availability_set(
            store=store,
            timezone_name=data["timezone"],
            weekly=[dict(item) for item in data["weekly"]],
            exceptions=[dict(item) for item in data.get("exceptions", [])],
        )
        return self.answer(availability)


@extend_schema_view(
    list=extend_schema(summary="Your consultations (customer)"),
    retrieve=extend_schema(
        summary="One consultation (its customer or its dermatologist)",
        description="`join_url` is set from CONSULTATION_JOIN_WINDOW_MINUTES before the start "
        "until its end, for a confirmed consultation.",
    ),
)
class ConsultationViewSet(
    ServiceViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsAuthenticated]
    serializer_class = ConsultationSerializer
    filter_backends = []
    route_group = "consultations"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.consultations_of_customer(user=None).none()
        return selectors.consultations_of_customer(user=self.request.user)

    def get_object(self):
        consultation = selectors.consultation_for_participant(
            user=self.request.user, pk=self.kwargs["pk"]
        )
        if consultation is None:
            raise NotFound()
        return consultation

    def _own(self):
        consultation = self.get_object()
        if consultation.customer_id != self.request.user.pk:
            raise NotFound()
        return consultation

    def _answer_for(self, consultation, status_code=status.HTTP_200_OK):
        consultation = selectors.consultation_for_participant(
            user=self.request.user, pk=consultation.pk
        )
        return self.answer(consultation, status_code)

    @extend_schema(
        summary="Book a consultation slot",
        request=BookingInput,
        responses={201: ConsultationSerializer, 409: _CONFLICT},
        description="Holds the slot for CONSULTATION_HOLD_MINUTES and creates its one-line "
        "order (`order_id`), paid with POST payments/. Errors: 409 slot_unavailable (taken "
        "or not a free slot), 409 conflict (too many unpaid bookings), 400.",
    )
    def create(self, request):
        data = self.validated_input(BookingInput)
        service = ConsultationService.objects.select_related("store").filter(
            pk=data["service"], store__kind=StoreKind.DERMATOLOGIST
        )
        service = service.filter(store__status="approved").first()
        if service is None:
            raise BusinessValidationError({"service": ["No such consultation service."]})
        consultation = services.consultation_book(
            customer=request.user,
            service=service,
            starts_at=data["starts_at"],
            share_skin_profile=data["share_skin_profile"],
            note=data["note"],
        )
        return self._answer_for(consultation, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel your consultation",
        request=CancelInput,
        responses={200: ConsultationSerializer, 409: _CONFLICT},
        description="Refunded in full up to CONSULTATION_FREE_CANCEL_HOURS before the start; "
        f"later cancelled without a refund. {ERRORS}",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = self.validated_input(CancelInput)
        consultation = services.consultation_cancel(
            consultation=self._own(), by=request.user, reason=data["reason"]
        )
        return self._answer_for(consultation)

    @extend_schema(
        summary="Move your consultation to another free slot",
        request=RescheduleInput,
        responses={200: ConsultationSerializer, 409: _CONFLICT},
        description="Up to CONSULTATION_FREE_CANCEL_HOURS before the start. Errors: 409 "
        "slot_unavailable, 409 invalid_transition, 400.",
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        data = self.validated_input(RescheduleInput)
        consultation = services.consultation_reschedule(
            consultation=self._own(), by=request.user, starts_at=data["starts_at"]
        )
        return self._answer_for(consultation)

    @extend_schema(
        summary="Put the consultation's recommended products in your cart",
        request=None,
        responses={200: RegimenAddedSerializer},
        description="One of each recommended product that can be bought now.",
    )
    @action(detail=True, methods=["post"], url_path="regimen/add-to-cart")
    def regimen_add_to_cart(self, request, pk=None):
        consultation = self._own()
        if consultation.status != ConsultationStatus.COMPLETED:
            raise NotFound("This consultation has no regimen yet.")
        added, skipped = services.regimen_add_to_cart(consultation=consultation, user=request.user)
        return Response(RegimenAddedSerializer({"added": added, "skipped": skipped}).data)


@extend_schema_view(
    list=extend_schema(
        summary="Your store's consultations (dermatologist)",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="From this day (UTC)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Until this day (UTC)."),
            OpenApiParameter("status", OpenApiTypes.STR, enum=ConsultationStatus.values),
        ],
    ),
    retrieve=extend_schema(summary="One of your store's consultations (dermatologist)"),
)
class SellerConsultationViewSet(
    ServiceViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsAuthenticated]
    needs_own_store = True  # without one: 404 (documented by core.schema)
    serializer_class = SellerConsultationSerializer
    filter_backends = []
    route_group = "consultations"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.consultations_of_customer(user=None).none()
        store = store_of(user=self.request.user)
        if store is None:
            return selectors.consultations_of_customer(user=None).none()
        params = self.request.query_params
        bounds = {}
        for name in ("from", "to"):
            if params.get(name):
                try:
                    day = datetime.strptime(params[name], "%Y-%m-%d").date()
                except ValueError:
                    raise BusinessValidationError({name: ["A date as YYYY-MM-DD."]}) from None
                bounds[name] = datetime.combine(day, time.min, UTC)
        status_filter = params.get("status")
        if status_filter and status_filter not in ConsultationStatus.values:
            raise BusinessValidationError(
                {"status": [f"One of {', '.join(ConsultationStatus.values)}."]}
            )
        end = bounds.get("to")
        if end is not None:
            end = end.replace(hour=23, minute=59, second=59)
        return selectors.consultations_of_store(
            store=store, start=bounds.get("from"), end=end, status=status_filter
        )

    def _answer_for(self, consultation):
        return self.answer(self.get_queryset().get(pk=consultation.pk))

    @extend_schema(
        summary="Complete a consultation: summary, private notes, regimen (dermatologist)",
        request=CompleteInput,
        responses={200: SellerConsultationSerializer, 409: _CONFLICT},
        description="Once the join window has opened (earlier: 409 invalid_transition). The "
        "summary and the recommended products are shown to the customer; the private "
        "notes only ever to the dermatologist.",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        data = self.validated_input(CompleteInput)
        consultation = services.consultation_complete(
            consultation=self.get_object(),
            summary=data["summary"],
            private_notes=data["private_notes"],
            recommended_products=[dict(item) for item in data["recommended_products"]],
        )
        return self._answer_for(consultation)

    @extend_schema(
        summary="Record that the customer did not come (dermatologist)",
        request=None,
        responses={200: SellerConsultationSerializer, 409: _CONFLICT},
        description="Once the join window has opened; not refunded.",
    )
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        consultation = services.consultation_no_show(consultation=self.get_object())
        return self._answer_for(consultation)

    @extend_schema(
        summary="Cancel a consultation, refunded in full (dermatologist)",
        request=CancelInput,
        responses={200: SellerConsultationSerializer, 409: _CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = self.validated_input(CancelInput)
        consultation = services.consultation_cancel(
            consultation=self.get_object(), by=request.user, reason=data["reason"]
        )
        return self._answer_for(consultation)
