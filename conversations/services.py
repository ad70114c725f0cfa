"""Conversation use cases: opening one, posting, reading, blocking, reporting, hiding, and
the unread-message emails. The REST endpoints are the one place that writes; the socket
only receives the events these services send after commit.

Lock order: the conversation row, then nothing else (messages are inserted under it), so
two posts to one conversation update its last message one after the other.
"""

import secrets
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image
from rest_framework import status

from catalog.models import Product
from conversations import tasks
from conversations.events import event_send_on_commit
from conversations.models import MAX_MESSAGE_LENGTH, Conversation, Message, MessageReport, Side
from conversations.selectors import side_of
from conversations.serializers import MessageSerializer
from core.exceptions import (
    BusinessValidationError,
    Conflict,
    DomainError,
    ErrorCode,
    Forbidden,
    NotFound,
)
from orders.models import Order
from stores.models import Store, StoreStatus


class ConversationLimitReached(DomainError):
    code = ErrorCode.THROTTLED
    status = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "You opened too many conversations today; continue an existing one."


class ConversationBlocked(Forbidden):
    default_detail = "You cannot post here: the other side blocked this conversation."


def _message_event(message: Message) -> dict:
    return {"type": "message.created", "message": MessageSerializer(message).data}


def _participants(conversation: Conversation) -> list:
    return [conversation.customer_id, conversation.store.owner_id]


def _lock(conversation: Conversation) -> Conversation:
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("store")
        .get(pk=conversation.pk)
    )


def _safe_image(file: File) -> File:
    """A random, unguessable file name with the extension of the image's real format."""
    file.seek(0)
    with Image.open(file) as image:
        extension = (image.format or "img").lower().replace("jpeg", "jpg")
    file.seek(0)
    file.name = f"{secrets.token_urlsafe(24)}.{extension}"
    return file


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise BusinessValidationError({"body": [_("Write a message.")]})
    if len(body) > MAX_MESSAGE_LENGTH:
        raise BusinessValidationError(
            {"body": [_("At most %(n)d characters.") % {"n": MAX_MESSAGE_LENGTH}]}
        )
    return body


# --- opening and posting ----------------------------------------------------------------


def _subject(
    *, customer, store: Store, product_id, order_id
) -> tuple[Product | None, Order | None]:
    product = order = None
    if product_id:
        product = Product.objects.filter(pk=product_id, store=store, is_deleted=False).first()
        if product is None:
            raise BusinessValidationError({"product_id": [_("This store sells no such product.")]})
    if order_id:
        # Only the customer's own order, and only one holding this store's items.
        order = (
            Order.objects.filter(pk=order_id, user=customer, items__product__store=store)
            .distinct()
            .first()
        )
        if order is None:
            raise BusinessValidationError(
                {"order_id": [_("None of your orders with this id holds this store's items.")]}
            )
    return product, order


def _subject_key(product, order) -> str:
    if product is not None:
        return f"product:{product.pk}"
    if order is not None:
        return f"order:{order.pk}"
    return ""


def _check_daily_cap(customer) -> None:
    since = timezone.now() - timedelta(days=1)
    opened = Conversation.objects.filter(customer=customer, created_at__gte=since).count()
    if opened >= settings.CONVERSATIONS_PER_DAY:
        raise ConversationLimitReached()


@transaction.atomic
def conversation_open(
    *,
    customer,
    store: Store,
    body: str,
    product_id=None,
    order_id=None,
    image: File | None = None,
) -> tuple[Conversation, Message, bool]:
    """Start (or continue: one conversation per customer, store and subject) a
    conversation with a store, posting `body`. Returns (conversation, message, created).
    Raises NotFound (the store is not open), BusinessValidationError (subject not the
    store's, empty body), Forbidden (one's own store, or blocked), ConversationLimitReached
    (too many new conversations today)."""
    if store.status != StoreStatus.APPROVED:
        raise NotFound(_("No such store."))
    if store.owner_id == customer.pk:
        raise Forbidden(_("This is your own store."))
    body = _clean_body(body)
    product, order = _subject(
        customer=customer, store=store, product_id=product_id, order_id=order_id
    )
    key = _subject_key(product, order)
    conversation = Conversation.objects.filter(
        customer=customer, store=store, subject_key=key
    ).first()
    created = False
    if conversation is None:
        _check_daily_cap(customer)
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    customer=customer, store=store, product=product, order=order, subject_key=key
                )
            created = True
        except IntegrityError:
            # A concurrent request opened the same thread a moment ago: continue it.
            conversation = Conversation.objects.get(customer=customer, store=store, subject_key=key)
    message = message_post(conversation=conversation, sender=customer, body=body, image=image)
    return conversation, message, created


@transaction.atomic
def message_post(
    *, conversation: Conversation, sender, body: str, image: File | None = None
) -> Message:
    """Post a message as the sender's side (the customer, or the store's owner for the
    store); the sender has read everything up to it. The message is pushed to both sides
    after commit. Raises NotFound (not a participant), ConversationBlocked,
    BusinessValidationError (empty or too long)."""
    body = _clean_body(body)
    conversation = _lock(conversation)
    side = side_of(conversation=conversation, user=sender)
    if side is None:
        raise NotFound()
    blocked = (
        conversation.blocked_by_store
        if side == Side.CUSTOMER
        else (conversation.blocked_by_customer)
    )
    if blocked:
        raise ConversationBlocked()
    message = Message(conversation=conversation, sender=sender, sender_side=side, body=body)
    if image:
        message.image = _safe_image(image)
    message.save()
    conversation.last_message = message
    conversation.last_message_at = message.created_at
    read_field = "customer_read_at" if side == Side.CUSTOMER else "store_read_at"
    setattr(conversation, read_field, message.created_at)
    conversation.save(update_fields=["last_message", "last_message_at", read_field, "updated_at"])
    event = {**_message_event(message), "conversation_id": str(conversation.pk)}
    event_send_on_commit(user_ids=_participants(conversation), event=event)
    return message


@transaction.atomic
def conversation_mark_read(*, conversation: Conversation, user) -> Conversation:
    """Everything up to now is read for the user's side; both sides are told (read
    receipts). Raises NotFound (not a participant)."""
    conversation = _lock(conversation)
    side = side_of(conversation=conversation, user=user)
    if side is None:
        raise NotFound()
    now = timezone.now()
    field = "customer_read_at" if side == Side.CUSTOMER else "store_read_at"
    setattr(conversation, field, now)
    conversation.save(update_fields=[field, "updated_at"])
    event_send_on_commit(
        user_ids=_participants(conversation),
        event={
            "type": "conversation.read",
            "conversation_id": str(conversation.pk),
            "side": side,
            "read_at": now.isoformat(),
        },
    )
    return conversation


@transaction.atomic
def conversation_set_blocked(*, conversation: Conversation, user, blocked: bool) -> Conversation:
    """Block (or unblock) the other side: while blocked they cannot post here. Raises
    NotFound (not a participant)."""
    conversation = _lock(conversation)
    side = side_of(conversation=conversation, user=user)
    if side is None:
        raise NotFound()
    field = "blocked_by_customer" if side == Side.CUSTOMER else "blocked_by_store"
    setattr(conversation, field, blocked)
    conversation.save(update_fields=[field, "updated_at"])
    return conversation


@transaction.atomic
def message_report(*, message: Message, reporter, reason: str) -> MessageReport:
    """Report a message of the other side to staff (once per reporter). Raises NotFound
    (not a participant), BusinessValidationError (no reason, or one's own message),
    Conflict (already reported)."""
    conversation = message.conversation
    side = side_of(conversation=conversation, user=reporter)
    if side is None:
        raise NotFound()
    if message.sender_side == side:
        raise BusinessValidationError({"message": [_("You cannot report your own message.")]})
    reason = (reason or "").strip()
    if not reason:
        raise BusinessValidationError({"reason": [_("Say what is wrong with it.")]})
    try:
        with transaction.atomic():
            return MessageReport.objects.create(message=message, reporter=reporter, reason=reason)
    except IntegrityError:
        raise Conflict(_("You already reported this message.")) from None


@transaction.atomic
def message_hide(*, message: Message, by) -> Message:
    """Hide a message (staff moderation): its text and image are gone from every answer
    and event from now on, its reports resolved; the sockets are told it is hidden (with
    no content). Raises nothing."""
    message = (
        Message.objects.select_for_update().select_related("conversation__store").get(pk=message.pk)
    )
    if not message.is_hidden:
        message.is_hidden = True
        message.hidden_at = timezone.now()
        message.hidden_by = by if getattr(by, "pk", None) else None
        message.save(update_fields=["is_hidden", "hidden_at", "hidden_by", "updated_at"])
        event_send_on_commit(
            user_ids=_participants(message.conversation),
            event={
                "type": "message.hidden",
                "conversation_id": str(message.conversation_id),
                "message_id": str(message.pk),
            },
        )
    message.reports.update(resolved=True, updated_at=timezone.now())
    return message


# --- unread-message emails --------------------------------------------------------------


def conversations_notify_unread(*, now=None) -> int:
    """Email each side that has messages unread for MESSAGE_EMAIL_DELAY_MINUTES, at most
    once per conversation per that delay (none when they read in time); returns how many
    emails were queued. Each conversation is claimed with a conditional update, so two
    runs at once never email twice. Raises nothing."""
    now = now or timezone.now()
    delay = timedelta(minutes=settings.MESSAGE_EMAIL_DELAY_MINUTES)
    due = now - delay
    queued = 0
    for side, read_field, notified_field, sender_side in (
        (Side.CUSTOMER, "customer_read_at", "customer_notified_at", Side.STORE),
        (Side.STORE, "store_read_at", "store_notified_at", Side.CUSTOMER),
    ):
        candidates = Conversation.objects.filter(
            messages__sender_side=sender_side,
            messages__is_hidden=False,
            messages__created_at__lte=due,
        ).distinct()
        for conversation in candidates.iterator():
            read_at = getattr(conversation, read_field)
            notified_at = getattr(conversation, notified_field)
            if notified_at is not None and notified_at > due:
                continue  # emailed about this conversation within the delay already
            # Messages neither read nor announced yet.
            since = max(filter(None, (read_at, notified_at)), default=None)
            untold = conversation.messages.filter(sender_side=sender_side, is_hidden=False)
            if since is not None:
                untold = untold.filter(created_at__gt=since)
            oldest = untold.order_by("created_at").values_list("created_at", flat=True).first()
            if oldest is None or oldest > due:
                continue  # read in time, or not waiting long enough yet
            claimed = Conversation.objects.filter(
                pk=conversation.pk, **{notified_field: notified_at}
            ).update(**{notified_field: now})
            if claimed:
                transaction.on_commit(
                    partial(tasks.send_unread_email_task.delay, str(conversation.pk), side),
                    robust=True,
                )
                queued += 1
    return queued
