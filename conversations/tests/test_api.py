import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import Profile
from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory, make_image_file
from conversations.models import Conversation, Message, MessageReport, Side
from conversations.services import (
    conversation_open,
    conversations_notify_unread,
    message_hide,
    message_post,
)
from conversations.tests.factories import ConversationFactory, MessageFactory
from orders.tests.factories import OrderFactory, OrderItemFactory
from stores.models import StoreStatus
from stores.tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

CONVERSATIONS = "/api/v1/conversations/"


def messages_url(conversation) -> str:
    return f"{CONVERSATIONS}{conversation.pk}/messages/"


def action_url(conversation, action) -> str:
    return f"{CONVERSATIONS}{conversation.pk}/{action}/"


@pytest.fixture
def store():
    return StoreFactory(status=StoreStatus.APPROVED)


@pytest.fixture
def owner_client(client_for, store):
    return client_for(store.owner)


# --- opening ----------------------------------------------------------------------------


def test_a_customer_writes_to_a_store_by_slug_or_id(user, user_client, store):
    by_slug = user_client.post(CONVERSATIONS, {"store": store.slug, "body": "Hello!"})
    by_id = user_client.post(CONVERSATIONS, {"store": str(store.pk), "body": "Again"})

    assert by_slug.status_code == 201, by_slug.content
    assert by_id.status_code == 200  # the same (subject-less) conversation continues
    body = by_id.json()
    assert body["id"] == by_slug.json()["id"]
    assert body["store"]["slug"] == store.slug
    assert body["my_side"] == "customer"
    assert body["last_message"]["body"] == "Again"
    assert Message.objects.count() == 2


def test_a_product_or_order_subject_is_a_thread_of_its_own(user, user_client, store):
    product = ProductFactory(store=store, created_by=store.owner)
    order = OrderFactory(user=user)
    OrderItemFactory(order=order, product=product)

    general = user_client.post(CONVERSATIONS, {"store": store.slug, "body": "Hi"})
    about_product = user_client.post(
        CONVERSATIONS, {"store": store.slug, "product_id": str(product.pk), "body": "Vegan?"}
    )
    about_order = user_client.post(
        CONVERSATIONS, {"store": store.slug, "order_id": str(order.pk), "body": "Where is it?"}
    )

    assert {general.status_code, about_product.status_code, about_order.status_code} == {201}
    assert about_product.json()["subject"]["product_name"] == product.name
    assert about_order.json()["subject"]["order_id"] == str(order.pk)
    assert Conversation.objects.count() == 3


def test_an_order_is_a_subject_only_if_it_holds_that_stores_items(user, user_client, store):
    order = OrderFactory(user=user)
    OrderItemFactory(order=order)  # another store's product
    someone_elses = OrderFactory()
    OrderItemFactory(order=someone_elses, product=ProductFactory(store=store))

    for order_id in (order.pk, someone_elses.pk):
        response = user_client.post(
            CONVERSATIONS, {"store": store.slug, "order_id": str(order_id), "body": "?"}
        )
        assert response.status_code == 400
        assert "order_id" in response.json()["errors"]
    assert not Conversation.objects.exists()


def test_a_product_of_another_store_is_not_a_subject(user_client, store):
    response = user_client.post(
        CONVERSATIONS,
        {"store": store.slug, "product_id": str(ProductFactory().pk), "body": "?"},
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"store": "x", "body": ""},
        {"store": "x", "body": "   "},
        {"store": "x", "body": "a" * 4001},
        {"body": "no store"},
        {"store": "x", "body": "both", "product_id": "a", "order_id": "b"},
    ],
)
def test_bad_input_is_a_400(user_client, store, body):
    body = {**body, "store": store.slug} if "store" in body else body

    response = user_client.post(CONVERSATIONS, body)

    assert response.status_code == 400
    assert not Conversation.objects.exists()


def test_an_unknown_or_closed_store_is_a_404(user_client):
    suspended = StoreFactory(status=StoreStatus.SUSPENDED)

    assert user_client.post(CONVERSATIONS, {"store": "nope", "body": "Hi"}).status_code == 404
    assert (
        user_client.post(CONVERSATIONS, {"store": suspended.slug, "body": "Hi"}).status_code == 404
    )


def test_a_seller_cannot_write_to_their_own_store(owner_client, store):
    response = owner_client.post(CONVERSATIONS, {"store": store.slug, "body": "Me"})

    assert response.status_code == 403


def test_a_customer_opens_a_limited_number_of_conversations_a_day(user_client, settings):
    settings.CONVERSATIONS_PER_DAY = 2
    stores = [StoreFactory(status=StoreStatus.APPROVED) for _ in range(3)]

    answers = [
        user_client.post(CONVERSATIONS, {"store": s.slug, "body": "Hi"}).status_code for s in stores
    ]
    continued = user_client.post(CONVERSATIONS, {"store": stores[0].slug, "body": "Again"})

    assert answers == [201, 201, 429]
    assert continued.status_code == 200  # continuing is not opening


def test_messages_are_throttled_per_user(user_client, store, monkeypatch):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "messages": "3/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)

    codes = [
        user_client.post(CONVERSATIONS, {"store": store.slug, "body": f"{n}"}).status_code
        for n in range(4)
    ]

    assert codes == [201, 200, 200, 429]


# --- isolation --------------------------------------------------------------------------


def test_only_the_two_participants_and_staff_see_a_conversation(
    client_for, user_client, staff_client
):
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation)

    customer = client_for(conversation.customer)
    owner = client_for(conversation.store.owner)
    for client in (customer, owner, staff_client):
        assert client.get(f"{CONVERSATIONS}{conversation.pk}/").status_code == 200
        assert client.get(messages_url(conversation)).status_code == 200
    for url in (f"{CONVERSATIONS}{conversation.pk}/", messages_url(conversation)):
        assert user_client.get(url).status_code == 404
    assert user_client.post(messages_url(conversation), {"body": "hi"}).status_code == 404
    assert user_client.post(action_url(conversation, "read")).status_code == 404
    assert user_client.post(action_url(conversation, "block")).status_code == 404
    assert user_client.get(CONVERSATIONS).json()["count"] == 0


def test_staff_read_but_cannot_post_in_a_conversation(staff_client):
    conversation = ConversationFactory()

    response = staff_client.post(messages_url(conversation), {"body": "Staff here"})

    assert response.status_code == 404


# --- the list and unread counts ---------------------------------------------------------


def test_each_side_lists_the_conversation_with_its_own_unread_count(client_for, store):
    conversation = ConversationFactory(store=store)
    customer, owner = conversation.customer, store.owner
    message_post(conversation=conversation, sender=customer, body="One")
    message_post(conversation=conversation, sender=customer, body="Two")
    message_post(conversation=conversation, sender=owner, body="Answer")

    as_customer = client_for(customer).get(CONVERSATIONS).json()["results"][0]
    as_owner = client_for(owner).get(CONVERSATIONS).json()["results"][0]

    # The owner's answer read everything before it on the store's side.
    assert (as_customer["unread_count"], as_owner["unread_count"]) == (1, 0)
    assert as_owner["my_side"] == "store"
    assert as_owner["customer_name"] == "Customer"  # no name given: never the email


def test_the_store_sees_the_customers_first_name_and_initial(client_for, store):
    conversation = ConversationFactory(store=store)
    Profile.objects.filter(user=conversation.customer).update(
        first_name="Ada", last_name="Lovelace"
    )
    message_post(conversation=conversation, sender=conversation.customer, body="Hi")

    row = client_for(store.owner).get(CONVERSATIONS).json()["results"][0]

    assert row["customer_name"] == "Ada L."


def test_reading_clears_the_unread_count_and_unread_filters(client_for, store):
    conversation = ConversationFactory(store=store)
    quiet = ConversationFactory(customer=conversation.customer)
    message_post(conversation=conversation, sender=store.owner, body="News")
    message_post(conversation=quiet, sender=conversation.customer, body="Me only")
    client = client_for(conversation.customer)

    unread = client.get(CONVERSATIONS, {"unread": "true"}).json()["results"]
    client.post(action_url(conversation, "read"))
    after = client.get(CONVERSATIONS, {"unread": "true"}).json()["results"]

    assert [row["id"] for row in unread] == [str(conversation.pk)]
    assert after == []
    assert client.get(CONVERSATIONS, {"unread": "maybe"}).status_code == 400


def test_hidden_messages_are_not_counted_and_show_no_text(client_for, store, staff):
    conversation = ConversationFactory(store=store)
    message = message_post(conversation=conversation, sender=store.owner, body="Buy elsewhere!")
    message_hide(message=message, by=staff)

    client = client_for(conversation.customer)
    row = client.get(CONVERSATIONS).json()["results"][0]
    listed = client.get(messages_url(conversation)).json()["results"][0]

    assert row["unread_count"] == 0
    assert row["last_message"]["body"] == "" and row["last_message"]["is_hidden"] is True
    assert listed["body"] == "" and listed["image"] is None


def test_the_conversation_list_costs_the_same_queries_whatever_its_size(
    client_for, django_assert_max_num_queries
):
    customer = UserFactory()
    client = client_for(customer)
    for _ in range(2):
        message_post(conversation=ConversationFactory(customer=customer), sender=customer, body="x")
    with CaptureQueriesContext(connection) as small:
        client.get(CONVERSATIONS)
    for _ in range(10):
        message_post(conversation=ConversationFactory(customer=customer), sender=customer, body="x")

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(CONVERSATIONS, {"page_size": 50})
    assert response.json()["count"] == 12


# --- messages ---------------------------------------------------------------------------


def test_messages_come_newest_first_in_cursor_pages(client_for, store):
    conversation = ConversationFactory(store=store)
    for n in range(5):
        message_post(conversation=conversation, sender=conversation.customer, body=f"m{n}")
    client = client_for(store.owner)

    first = client.get(messages_url(conversation), {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert [m["body"] for m in first["results"]] == ["m4", "m3"]
    assert [m["body"] for m in second["results"]] == ["m2", "m1"]
    assert client.get(messages_url(conversation), {"cursor": "garbage"}).status_code == 404


def test_cursor_pages_neither_repeat_nor_skip_while_messages_are_posted(client_for, store):
    conversation = ConversationFactory(store=store)
    for n in range(6):
        message_post(conversation=conversation, sender=conversation.customer, body=f"old{n}")
    client = client_for(store.owner)
    seen = []

    page = client.get(messages_url(conversation), {"page_size": 2}).json()
    while True:
        seen += [m["body"] for m in page["results"]]
        message_post(conversation=conversation, sender=store.owner, body="new while paging")
        if not page["next"]:
            break
        page = client.get(page["next"]).json()

    assert seen == [f"old{n}" for n in reversed(range(6))]


def test_a_message_carries_an_image_that_must_be_real(client_for, store):
    conversation = ConversationFactory(store=store)
    client = client_for(conversation.customer)
    fake = make_image_file()
    fake.file.seek(0)
    fake.file.truncate()
    fake.file.write(b"GIF89a not really")
    fake.file.seek(0)

    good = client.post(
        messages_url(conversation), {"body": "Look", "image": make_image_file()}, format="multipart"
    )
    bad = client.post(messages_url(conversation), {"body": "x", "image": fake}, format="multipart")

    assert good.status_code == 201
    assert good.json()["image"].endswith(".png")
    assert bad.status_code == 400 and "image" in bad.json()["errors"]


def test_the_store_owner_answers_as_the_store(client_for, store):
    conversation = ConversationFactory(store=store)

    response = client_for(store.owner).post(messages_url(conversation), {"body": "Hello"})

    assert response.status_code == 201
    assert response.json()["sender_side"] == "store"


# --- blocks and reports -----------------------------------------------------------------


def test_a_blocked_side_cannot_post_until_unblocked(client_for, store):
    conversation = ConversationFactory(store=store)
    customer, owner = client_for(conversation.customer), client_for(store.owner)

    blocked = owner.post(action_url(conversation, "block"))
    refused = customer.post(messages_url(conversation), {"body": "Hello?"})
    still_open = owner.post(messages_url(conversation), {"body": "Final answer"})
    owner.post(action_url(conversation, "unblock"))
    allowed = customer.post(messages_url(conversation), {"body": "Thanks"})

    assert blocked.json()["i_blocked"] is True
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert still_open.status_code == 201
    assert allowed.status_code == 201


def test_a_participant_reports_the_other_sides_message_once(client_for, store):
    conversation = ConversationFactory(store=store)
    message = message_post(conversation=conversation, sender=store.owner, body="Rude")
    own = message_post(conversation=conversation, sender=conversation.customer, body="Mine")
    client = client_for(conversation.customer)
    url = f"/api/v1/messages/{message.pk}/report/"

    first = client.post(url, {"reason": "Insulting"})
    again = client.post(url, {"reason": "Insulting"})
    mine = client.post(f"/api/v1/messages/{own.pk}/report/", {"reason": "x"})
    stranger = client_for(UserFactory()).post(url, {"reason": "x"})
    no_reason = client.post(f"/api/v1/messages/{message.pk}/report/", {})

    assert first.status_code == 204
    assert again.status_code == 409
    assert mine.status_code == 400
    assert stranger.status_code == 404
    assert no_reason.status_code == 400
    assert MessageReport.objects.count() == 1


# --- unread emails ----------------------------------------------------------------------


def test_one_email_per_conversation_per_delay_and_none_when_read_in_time(
    store, settings, django_capture_on_commit_callbacks
):
    settings.MESSAGE_EMAIL_DELAY_MINUTES = 15
    waiting = ConversationFactory(store=store)
    read_in_time = ConversationFactory(store=store)
    for conversation in (waiting, read_in_time):
        message_post(conversation=conversation, sender=conversation.customer, body="Hello?")
    read_in_time.store_read_at = timezone.now() + timedelta(seconds=1)
    read_in_time.save()
    later = timezone.now() + timedelta(minutes=16)

    with django_capture_on_commit_callbacks(execute=True):
        first = conversations_notify_unread(now=later)
    with django_capture_on_commit_callbacks(execute=True):
        again = conversations_notify_unread(now=later + timedelta(minutes=1))
    too_early = conversations_notify_unread(now=timezone.now())

    assert (first, again, too_early) == (1, 0, 0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [store.contact_email]
    assert "1 new message" in mail.outbox[0].subject


def test_new_unread_messages_after_an_email_wait_for_the_next_delay(store, settings):
    settings.MESSAGE_EMAIL_DELAY_MINUTES = 15
    conversation = ConversationFactory(store=store)
    message_post(conversation=conversation, sender=store.owner, body="Shipped")
    at = timezone.now() + timedelta(minutes=16)
    assert conversations_notify_unread(now=at) == 1
    assert conversations_notify_unread(now=at + timedelta(minutes=30)) == 0  # nothing new
    later = MessageFactory(conversation=conversation, sender_side=Side.STORE)
    Message.objects.filter(pk=later.pk).update(created_at=at + timedelta(minutes=31))

    assert conversations_notify_unread(now=at + timedelta(minutes=40)) == 0  # not due yet
    assert conversations_notify_unread(now=at + timedelta(minutes=47)) == 1


# --- concurrency ------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_messages_open_one_conversation():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    store = StoreFactory(status=StoreStatus.APPROVED)
    customer = UserFactory()
    barrier = threading.Barrier(8)
    errors = []

    def write(n):
        try:
            barrier.wait()
            conversation_open(customer=customer, store=store, body=f"hello {n}")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Conversation.objects.count() == 1
    conversation = Conversation.objects.get()
    assert conversation.messages.count() == 8
    assert conversation.last_message_id == conversation.messages.order_by("-created_at")[0].pk
