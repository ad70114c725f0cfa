"""The conversations socket: thin like a view. It authenticates in the connect step, joins
the caller's own group and forwards the events the services send after commit; it never
writes. Posting stays on REST, with its rules, throttles and validation."""

import json

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from conversations.events import user_group

# Close codes (4000-4999 are the application's own).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_BIG = 1009
CLOSE_PROTOCOL = 1008


class ConversationConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accepting first lets the client read why; closing before the handshake only
            # says 403 to a browser.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept(subprotocol=self.scope.get("accepted_subprotocol"))

    async def disconnect(self, code):
        group = getattr(self, "group", None)
        if group is not None:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        """The client may only ping: everything else (chat included) goes over REST."""
        frame = text_data if text_data is not None else bytes_data or b""
        if len(frame) > settings.WEBSOCKET_MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            message = json.loads(frame) if text_data is not None else None
        except (ValueError, RecursionError):
            message = None
        if isinstance(message, dict) and message.get("type") == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))
            return
        await self.send(
            text_data=json.dumps(
                {
                    "type": "error",
                    "detail": 'Only {"type": "ping"} is accepted here; post messages '
                    "with POST /api/v1/conversations/{id}/messages/.",
                }
            )
        )

    async def conversation_event(self, message):
        await self.send(text_data=json.dumps(message["event"], default=str))
