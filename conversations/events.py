"""Real-time events of conversations, pushed to the participants' sockets through the
channel layer. They are sent only after the transaction that made them commits (a
rolled-back message is never announced) and robustly: a channel layer that is down loses
the push, never the write. Clients that hold no socket read the same state over REST."""

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# The consumer's handler for these messages is `conversation_event`.
HANDLER = "conversation.event"


def user_group(user_id) -> str:
    """The group every socket of one user joins."""
    return f"user.{user_id}"


def _send(user_ids: list, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for user_id in user_ids:
        try:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": HANDLER, "event": event})
        except Exception:
            # A push is a courtesy: the message is stored and listed over REST anyway.
            logger.warning(
                "Could not push %s to user %s", event.get("type"), user_id, exc_info=True
            )


def event_send_on_commit(*, user_ids, event: dict) -> None:
    """Push `event` to every socket of these users once the current transaction commits."""
    transaction.on_commit(partial(_send, list(dict.fromkeys(user_ids)), event), robust=True)
