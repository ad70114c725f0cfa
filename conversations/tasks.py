"""Celery tasks of conversations: thin wrappers over the services and the email."""

import logging

from celery import shared_task

# The module, not its names: the services enqueue the email task defined here, so each
# module refers to the other only at call time.
from conversations import emails, services
from conversations.models import Conversation, Side

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_kwargs={"max_retries": 5}, acks_late=True
)
def send_unread_email_task(conversation_id: str, side: str) -> None:
    """Email `side` of a conversation about its unread messages (if any are still unread)."""
    conversation = (
        Conversation.objects.select_related("customer__profile", "store__owner", "product")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        logger.warning("Conversation %s is gone; unread email not sent", conversation_id)
        return
    read_at = conversation.customer_read_at if side == Side.CUSTOMER else conversation.store_read_at
    sender_side = Side.STORE if side == Side.CUSTOMER else Side.CUSTOMER
    unread = conversation.messages.filter(sender_side=sender_side, is_hidden=False)
    if read_at is not None:
        unread = unread.filter(created_at__gt=read_at)
    count = unread.count()
    if count:
        emails.send_unread_email(conversation=conversation, side=side, unread=count)


@shared_task
def notify_unread_messages() -> int:
    """For Celery beat (every minute): queue the unread-message emails that are due."""
    return services.conversations_notify_unread()
