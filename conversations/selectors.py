"""Reads of conversations. A list costs a fixed number of queries: the unread count of each
row is a correlated subquery of the one list query, not a query per row."""

from datetime import UTC, datetime

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from conversations.models import Conversation, Message, Side

# Before any message: what an unset read time compares as.
NEVER = datetime(2000, 1, 1, tzinfo=UTC)


def side_of(*, conversation: Conversation, user) -> str | None:
    """The user's side in the conversation: its customer, the owner of its store, or
    neither (None)."""
    if user is None or not user.is_authenticated:
        return None
    if conversation.customer_id == user.pk:
        return Side.CUSTOMER
    if conversation.store.owner_id == user.pk:
        return Side.STORE
    return None


def conversation_list_for(*, user) -> QuerySet[Conversation]:
    """The conversations the user takes part in, as a customer or as the owner of the
    store, most recent first, each with `unread_count` (messages of the other side the user
    has not read) and what a row shows joined."""
    return (
        Conversation.objects.filter(Q(customer=user) | Q(store__owner=user))
        .select_related(
            "store", "customer__profile", "product", "order", "last_message", "last_message__sender"
        )
        .annotate(unread_count=unread_count_for(user=user))
        .order_by(F("last_message_at").desc(nulls_last=True), "-created_at", "-id")
    )


def unread_count_for(*, user):
    """The `unread_count` of a conversation for `user`, as an annotation."""
    return Case(
        When(
            customer=user,
            then=Coalesce(_unread(Side.STORE, "customer_read_at"), Value(0)),
        ),
        default=Coalesce(_unread(Side.CUSTOMER, "store_read_at"), Value(0)),
        output_field=IntegerField(),
    )


def _unread(side: str, read_at_field: str) -> Subquery:
    """How many visible messages `side` sent after the other side's `read_at_field`
    (every one while it is NULL: never read)."""
    read_at = Coalesce(OuterRef(read_at_field), Value(NEVER))
    unread = Message.objects.filter(
        conversation=OuterRef("pk"), sender_side=side, is_hidden=False, created_at__gt=read_at
    )
    return Subquery(
        unread.order_by().values("conversation").annotate(n=Count("id")).values("n"),
        output_field=IntegerField(),
    )


def conversation_get_for(*, user, conversation_id) -> Conversation | None:
    """One conversation the user takes part in (staff: any), or None."""
    if user.is_staff:
        conversations = Conversation.objects.select_related("store", "customer__profile")
        return conversations.filter(pk=conversation_id).first()
    return conversation_list_for(user=user).filter(pk=conversation_id).first()


def message_list_for(*, conversation: Conversation) -> QuerySet[Message]:
    """The conversation's messages, newest first (hidden ones stay, without their text)."""
    return Message.objects.filter(conversation=conversation).order_by("-created_at", "-id")


def customer_display_name(user) -> str:
    """How a store sees a customer: first name and the initial of the last name, never
    the email; "Customer" when they gave no name."""
    profile = getattr(user, "profile", None)
    first = (profile.first_name if profile else "").strip()
    last = (profile.last_name if profile else "").strip()
    if first:
        return f"{first} {last[0]}." if last else first
    return "Customer"
