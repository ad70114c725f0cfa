"""Stores API: apply, the public storefronts, the owner's own store and staff review.
Views parse, authorize, call a service and serialize; the rules live in stores/services.py."""

import re

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from core.cache import serve_public_read
from core.exceptions import NotFound
from core.mixins import ServiceViewMixin
from core.parsers import JSONParser
from core.permissions import IsStaff
from core.routing import UUID_REGEX
from core.serializers import ErrorSerializer
from stores import services
from stores.cache import STORES
from stores.filters import StoreFilter
from stores.models import Store
from stores.selectors import store_list_for, store_list_public, store_of
from stores.serializers import (
    StoreApplyInput,
    StoreDetailSerializer,
    StoreReasonInput,
    StoreSerializer,
    StoreUpdateInput,
)

_UUID = re.compile(rf"^{UUID_REGEX}$")
_INVALID_TRANSITION = OpenApiResponse(
    ErrorSerializer,
    description="`invalid_transition`: the store's current status does not allow this.",
)
_STORE_REF = OpenApiParameter(
    "ref",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The store's slug, or its id.",
)


def _sees_details(user, store: Store) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or store.owner_id == user.pk))


@extend_schema_view(
    list=extend_schema(
        summary="List stores",
        description="Approved stores for everyone; staff see every store and filter by "
        "`status`. Owners and staff get the review details of a store.",
    ),
    retrieve=extend_schema(
        summary="A storefront, by slug or id",
        parameters=[_STORE_REF],
        # The fields everyone gets; the owner's and staff's answer is a StoreDetail, which
        # has them all and more (as in the list).
        responses={200: StoreSerializer},
        description="Public fields for everyone; the owner and staff also see the status, "
        "contact and licence details and the review reasons (the fields of `StoreDetail`, "
        "as `stores/me/` answers).",
    ),
)
class StoreViewSet(
    ServiceViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Anonymous reads (the directory, the storefronts) come from the cache, with an ETag
    and a short public Cache-Control, until a store or its figures change."""

    permission_classes = [AllowAny]
    serializer_class = StoreSerializer
    lookup_field = "ref"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends = [DjangoFilterBackend]
    filterset_class = StoreFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Store.objects.none()
        user = self.request.user
        if self.action == "list" and not user.is_staff:
            # The directory lists what is open; an owner finds their own at stores/me/.
            return store_list_public()
        return store_list_for(user=user)

    def get_serializer_class(self):
        if self.request is not None and self.request.user.is_staff:
            return StoreDetailSerializer
        return StoreSerializer

    def get_permissions(self):
        if self.action in {"approve", "reject", "suspend", "reinstate"}:
            return [IsStaff()]
        return super().get_permissions()

    def dispatch(self, request, *args, **kwargs):
        action = getattr(self, "action_map", {}).get(request.method.lower())
        if action not in {"list", "retrieve"}:
            return super().dispatch(request, *args, **kwargs)
        return serve_public_read(
            request,
            name=f"store-{action}",
            scopes=[STORES],
            build=lambda: super(StoreViewSet, self).dispatch(request, *args, **kwargs),
        )

    def get_object(self):
        ref = self.kwargs["ref"]
        lookup = {"pk": ref} if _UUID.match(ref) else {"slug": ref}
        store = get_object_or_404(self.get_queryset(), **lookup)
        self.check_object_permissions(self.request, store)
        return store

    def _answer(self, store: Store, status_code: int = status.HTTP_200_OK) -> Response:
        serializer_class = (
            StoreDetailSerializer if _sees_details(self.request.user, store) else StoreSerializer
        )
        return self.answer(store, status_code, serializer_class=serializer_class)

    def retrieve(self, request, *args, **kwargs):
        return self._answer(self.get_object())

    @extend_schema(
        summary="Apply for a store (any customer without one)",
        request=StoreApplyInput,
        responses={
            201: StoreDetailSerializer,
            409: OpenApiResponse(
                ErrorSerializer, description="`conflict`: the caller already has a store."
            ),
        },
        description="A brand or a dermatologist store; dermatologists give their licence "
        "number and its country. The store is `pending` until staff approve it, which "
        "makes the caller a seller. A rejected applicant may apply again.",
    )
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[IsAuthenticated],
        filter_backends=[],
        pagination_class=None,
    )
    def apply(self, request):
        store = services.store_apply(owner=request.user, **self.validated_input(StoreApplyInput))
        return self.answer(store, status.HTTP_201_CREATED, serializer_class=StoreDetailSerializer)

    def _review(self, request, service, *, with_reason: bool):
        store = self.get_object()
        kwargs = {}
        if with_reason:
            kwargs["reason"] = self.validated_input(StoreReasonInput)["reason"]
        return self._answer(service(store=store, by=request.user, **kwargs))

    @extend_schema(
        summary="Approve a pending store (staff): its owner becomes a seller",
        parameters=[_STORE_REF],
        request=None,
        responses={200: StoreDetailSerializer, 409: _INVALID_TRANSITION},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, ref=None):
        return self._review(request, services.store_approve, with_reason=False)

    @extend_schema(
        summary="Reject a pending store with a reason (staff)",
        parameters=[_STORE_REF],
        request=StoreReasonInput,
        responses={200: StoreDetailSerializer, 409: _INVALID_TRANSITION},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, ref=None):
        return self._review(request, services.store_reject, with_reason=True)

    @extend_schema(
        summary="Suspend an approved store with a reason (staff)",
        parameters=[_STORE_REF],
        request=StoreReasonInput,
        responses={200: StoreDetailSerializer, 409: _INVALID_TRANSITION},
        description="Its products leave the public catalog and cannot be bought; orders "
        "already placed are still fulfilled.",
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def suspend(self, request, ref=None):
        return self._review(request, services.store_suspend, with_reason=True)

    @extend_schema(
        summary="Reinstate a suspended store (staff)",
        parameters=[_STORE_REF],
        request=None,
        responses={200: StoreDetailSerializer, 409: _INVALID_TRANSITION},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reinstate(self, request, ref=None):
        return self._review(request, services.store_reinstate, with_reason=False)


class MyStoreView(ServiceViewMixin, GenericAPIView):
    """The caller's own store, in whatever status it is."""

    permission_classes = [IsAuthenticated]
    needs_own_store = True  # without one: 404 (documented by core.schema)
    serializer_class = StoreDetailSerializer
    parser_classes = [JSONParser, MultiPartParser]
    filter_backends = []
    pagination_class = None

    def _store(self) -> Store:
        store = store_of(user=self.request.user)
        if store is None:
            raise NotFound("You have no store; apply with POST stores/apply/.")
        return store

    @extend_schema(summary="The caller's own store")
    def get(self, request):
        return Response(self.get_serializer(self._store()).data)

    @extend_schema(
        summary="Change the caller's store (description, contact email, country, logo)",
        request={
            "application/json": StoreUpdateInput,
            "multipart/form-data": StoreUpdateInput,
        },
        description="Name, kind and licence were reviewed by staff and change only through "
        "them. Send the logo as multipart.",
    )
    def patch(self, request):
        store = self._store()
        data = self.validated_input(StoreUpdateInput, partial=True)
        return self.answer(services.store_update(store=store, data=data))
