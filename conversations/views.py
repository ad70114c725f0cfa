"""Conversations API: customers talk to stores. Views parse, authorize, call a service and
serialize; the rules live in conversations/services.py, the socket in consumers.py."""

import re

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, pagination, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from conversations import services
from conversations.models import Conversation, Message
from conversations.selectors import (
    conversation_get_for,
    conversation_list_for,
    message_list_for,
)
from conversations.serializers import (
    ConversationOpenInput,
    ConversationSerializer,
    MessagePostInput,
    MessageReportInput,
    MessageSerializer,
)
from core.exceptions import BusinessValidationError, NotFound
from core.mixins import ServiceViewMixin
from core.parsers import JSONParser
from core.routing import UUID_REGEX
from core.serializers import ErrorSerializer
from stores.models import Store

_UUID = re.compile(rf"^{UUID_REGEX}$")
_BLOCKED = OpenApiResponse(
    ErrorSerializer, description="`permission_denied`: the other side blocked this conversation."
)
_UNREAD = OpenApiParameter(
    "unread",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description="`true`: only conversations with unread messages.",
)


class MessageCursorPagination(pagination.CursorPagination):
    """Newest first; a cursor stays valid while messages are posted (new ones are newer
    than any page already read, so no page repeats or skips a message)."""

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 100


class _PostThrottle(ScopedRateThrottle):
    """Posting (a new conversation or a message) counts against THROTTLE_MESSAGES."""

    scope_attr = "post_throttle_scope"


def _store_from(ref: str) -> Store:
    lookup = {"pk": ref} if _UUID.match(ref) else {"slug": ref}
    store = Store.objects.filter(**lookup).first()
    if store is None:
        raise NotFound("No such store.")
    return store


@extend_schema_view(
    list=extend_schema(
        summary="The caller's conversations (as a customer, and as the seller of their store)",
        parameters=[_UNREAD],
    ),
    retrieve=extend_schema(summary="One conversation"),
)
class ConversationViewSet(
    ServiceViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ConversationSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Conversation.objects.none()
        conversations = conversation_list_for(user=self.request.user)
        if self.action == "list":
            unread = self.request.query_params.get("unread", "").strip().lower()
            if unread in {"true", "1", "yes"}:
                conversations = conversations.filter(unread_count__gt=0)
            elif unread not in {"", "false", "0", "no"}:
                raise BusinessValidationError({"unread": ["Use true or false."]})
        return conversations

    def get_object(self) -> Conversation:
        conversation = conversation_get_for(
            user=self.request.user, conversation_id=self.kwargs["pk"]
        )
        if conversation is None:
            raise NotFound()
        return conversation

    def get_throttles(self):
        if self.action in {"create", "messages"} and self.request.method == "POST":
            self.post_throttle_scope = "messages"
            return [*super().get_throttles(), _PostThrottle()]
        return super().get_throttles()

    def _answer(self, conversation: Conversation, status_code=status.HTTP_200_OK) -> Response:
        fresh = conversation_get_for(user=self.request.user, conversation_id=conversation.pk)
        return self.answer(fresh, status_code)

    @extend_schema(
        summary="Write to a store (opens the conversation, or continues the open one)",
        request=ConversationOpenInput,
        responses={
            201: ConversationSerializer,
            200: OpenApiResponse(
                ConversationSerializer,
                description="The conversation with this store about this subject existed: "
                "the message was added to it.",
            ),
            403: _BLOCKED,
            404: OpenApiResponse(ErrorSerializer, description="No such store, or it is not open."),
            429: OpenApiResponse(
                ErrorSerializer,
                description="`throttled`: too many messages, or too many new conversations today.",
            ),
        },
        description="`store` is the store's id or slug; the subject is optional: a "
        "`product_id` of that store or an `order_id` of the caller's that holds its items.",
    )
    def create(self, request, *args, **kwargs):
        values = self.validated_input(ConversationOpenInput)
        conversation, _message, created = services.conversation_open(
            customer=request.user,
            store=_store_from(values["store"]),
            body=values["body"],
            product_id=values.get("product_id"),
            order_id=values.get("order_id"),
        )
        return self._answer(
            conversation, status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        methods=["GET"],
        summary="The conversation's messages, newest first (cursor pages)",
        responses={200: MessageSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Post a message (plain text, optional image)",
        request={
            "application/json": MessagePostInput,
            "multipart/form-data": MessagePostInput,
        },
        responses={201: MessageSerializer, 403: _BLOCKED},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=MessageCursorPagination,
        parser_classes=[JSONParser, MultiPartParser],
    )
    def messages(self, request, pk=None):
        conversation = self.get_object()
        if request.method == "POST":
            message = services.message_post(
                conversation=conversation,
                sender=request.user,
                **self.validated_input(MessagePostInput),
            )
            return self.answer(message, status.HTTP_201_CREATED, serializer_class=MessageSerializer)
        page = self.paginate_queryset(message_list_for(conversation=conversation))
        serializer = MessageSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    @extend_schema(summary="Mark everything up to now as read for the caller", request=None)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        conversation = services.conversation_mark_read(
            conversation=self.get_object(), user=request.user
        )
        return self._answer(conversation)

    @extend_schema(summary="Block the other side: they can no longer post here", request=None)
    @action(detail=True, methods=["post"])
    def block(self, request, pk=None):
        conversation = services.conversation_set_blocked(
            conversation=self.get_object(), user=request.user, blocked=True
        )
        return self._answer(conversation)

    @extend_schema(summary="Unblock the other side", request=None)
    @action(detail=True, methods=["post"])
    def unblock(self, request, pk=None):
        conversation = services.conversation_set_blocked(
            conversation=self.get_object(), user=request.user, blocked=False
        )
        return self._answer(conversation)


class MessageReportView(ServiceViewMixin, GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = MessageReportInput
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Report a message of the other side to staff",
        request=MessageReportInput,
        responses={
            204: None,
            409: OpenApiResponse(ErrorSerializer, description="Already reported by you."),
        },
    )
    def post(self, request, message_id):
        message = get_object_or_404(
            Message.objects.select_related("conversation__store"), pk=message_id
        )
        reason = self.validated_input()["reason"]
        services.message_report(message=message, reporter=request.user, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)
