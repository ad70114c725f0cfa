"""The conversations socket, through channels' WebsocketCommunicator, on the in-memory
channel layer and (when REDIS_URL is set, as in CI) on the Redis layer too.

Each scenario is one coroutine run with async_to_sync: the database work inside it runs
back in the test's thread (database_sync_to_async is thread-sensitive), and the tests are
transactional so that the events the services send after commit are really sent."""

import json
import os
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.db import transaction
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.tests.factories import UserFactory
from config.asgi import application
from conversations.consumers import CLOSE_TOO_BIG, CLOSE_UNAUTHENTICATED
from conversations.services import conversation_mark_read, message_hide, message_post
from conversations.tests.factories import ConversationFactory

PATH = "/ws/v1/conversations/"
LAYERS = ["memory"] + (["redis"] if os.environ.get("REDIS_URL") else [])


@pytest.fixture(params=LAYERS)
def layer(request, settings):
    if request.param == "redis":
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {
                    "hosts": [os.environ["REDIS_URL"]],
                    "prefix": f"test-{os.getpid()}",
                },
            }
        }
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield request.param
    channel_layers.backends.clear()


pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("layer")]


def token_for(user) -> str:
    return str(AccessToken.for_user(user))


def socket(token: str | None = None, *, subprotocols=None) -> WebsocketCommunicator:
    path = PATH if token is None else f"{PATH}?token={token}"
    return WebsocketCommunicator(
        application, path, headers=[(b"host", b"testserver")], subprotocols=subprotocols
    )


async def _closes_with(communicator, code) -> bool:
    connected, _ = await communicator.connect()
    output = await communicator.receive_output(timeout=2)
    await communicator.wait()
    return connected and output == {"type": "websocket.close", "code": code}


def _run(scenario):
    async_to_sync(scenario)()


# --- authentication ---------------------------------------------------------------------


def test_a_socket_without_a_valid_access_token_is_refused():
    user = UserFactory()
    inactive = UserFactory(is_active=False)
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(minutes=1))
    tokens = [
        None,
        "not-a-jwt",
        str(expired),
        str(RefreshToken.for_user(user)),  # a refresh token is not an access token
        token_for(inactive),
        "x" * 5000,
    ]

    async def scenario():
        for token in tokens:
            assert await _closes_with(socket(token), CLOSE_UNAUTHENTICATED), token

    _run(scenario)


def test_a_token_revoked_by_a_password_change_is_refused():
    user = UserFactory()
    token = token_for(user)
    user.set_password("Another-pass-2026")
    user.save()

    async def scenario():
        assert await _closes_with(socket(token), CLOSE_UNAUTHENTICATED)

    _run(scenario)


def test_the_token_may_come_as_a_subprotocol():
    user = UserFactory()

    async def scenario():
        communicator = socket(subprotocols=["bearer", token_for(user)])
        connected, subprotocol = await communicator.connect()
        assert connected and subprotocol == "bearer"
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from() == {"type": "pong"}
        await communicator.disconnect()

    _run(scenario)


# --- events -----------------------------------------------------------------------------


def test_a_message_reaches_both_participants_and_never_a_third_user():
    conversation = ConversationFactory()
    customer, owner, stranger = conversation.customer, conversation.store.owner, UserFactory()

    async def scenario():
        sockets = {}
        for name, user in (("customer", customer), ("owner", owner), ("stranger", stranger)):
            sockets[name] = socket(token_for(user))
            connected, _ = await sockets[name].connect()
            assert connected
        message = await database_sync_to_async(message_post)(
            conversation=conversation, sender=customer, body="Is it vegan?"
        )
        for name in ("customer", "owner"):
            event = await sockets[name].receive_json_from(timeout=2)
            assert event["type"] == "message.created"
            assert event["conversation_id"] == str(conversation.pk)
            assert event["message"]["id"] == str(message.pk)
            assert event["message"]["body"] == "Is it vegan?"
            assert event["message"]["sender_side"] == "customer"
        assert await sockets["stranger"].receive_nothing(timeout=0.3)
        for communicator in sockets.values():
            await communicator.disconnect()

    _run(scenario)


def test_read_receipts_reach_both_sides():
    conversation = ConversationFactory()

    async def scenario():
        customer = socket(token_for(conversation.customer))
        owner = socket(token_for(conversation.store.owner))
        await customer.connect()
        await owner.connect()
        await database_sync_to_async(conversation_mark_read)(
            conversation=conversation, user=conversation.store.owner
        )
        for communicator in (customer, owner):
            event = await communicator.receive_json_from(timeout=2)
            assert (event["type"], event["side"]) == ("conversation.read", "store")
            await communicator.disconnect()

    _run(scenario)


def test_a_hidden_message_is_never_pushed_again():
    conversation = ConversationFactory()
    message = message_post(conversation=conversation, sender=conversation.customer, body="Spam")
    staff = UserFactory(is_staff=True)

    async def scenario():
        owner = socket(token_for(conversation.store.owner))
        await owner.connect()
        await database_sync_to_async(message_hide)(message=message, by=staff)
        event = await owner.receive_json_from(timeout=2)
        assert event == {
            "type": "message.hidden",
            "conversation_id": str(conversation.pk),
            "message_id": str(message.pk),
        }
        assert "Spam" not in json.dumps(event)
        await database_sync_to_async(conversation_mark_read)(
            conversation=conversation, user=conversation.store.owner
        )
        assert "Spam" not in json.dumps(await owner.receive_json_from(timeout=2))
        await owner.disconnect()

    _run(scenario)


def test_a_rolled_back_message_is_never_announced():
    conversation = ConversationFactory()

    def post_then_fail():
        with transaction.atomic():
            message_post(conversation=conversation, sender=conversation.customer, body="Oops")
            transaction.set_rollback(True)

    async def scenario():
        owner = socket(token_for(conversation.store.owner))
        await owner.connect()
        await database_sync_to_async(post_then_fail)()
        assert await owner.receive_nothing(timeout=0.3)
        await owner.disconnect()

    _run(scenario)


# --- what a client may send -------------------------------------------------------------


def test_a_client_may_only_ping_and_big_frames_close_the_socket(settings):
    settings.WEBSOCKET_MAX_FRAME_BYTES = 100
    user = UserFactory()

    async def scenario():
        communicator = socket(token_for(user))
        await communicator.connect()
        await communicator.send_json_to({"type": "message", "body": "over the socket"})
        refused = await communicator.receive_json_from()
        assert refused["type"] == "error"
        await communicator.send_to(text_data="[" * 50)
        assert (await communicator.receive_json_from())["type"] == "error"
        await communicator.send_to(text_data="x" * 101)
        assert await communicator.receive_output(timeout=2) == {
            "type": "websocket.close",
            "code": CLOSE_TOO_BIG,
        }

    _run(scenario)
