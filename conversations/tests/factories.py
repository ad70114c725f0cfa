import factory

from accounts.tests.factories import UserFactory
from conversations.models import Conversation, Message, Side
from stores.models import StoreStatus
from stores.tests.factories import StoreFactory


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    customer = factory.SubFactory(UserFactory)
    store = factory.SubFactory(StoreFactory, status=StoreStatus.APPROVED)
    subject_key = ""


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    sender_side = Side.CUSTOMER
    sender = factory.LazyAttribute(
        lambda o: (
            o.conversation.customer
            if o.sender_side == Side.CUSTOMER
            else o.conversation.store.owner
        )
    )
    body = factory.Sequence(lambda n: f"Message {n}")
