"""Demo conversations between the demo customer and stores: one about a product, answered;
one general question to a dermatologist still waiting for the customer to read the answer;
so the conversation list shows subjects and unread counts at once."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import Product
from conversations.models import Conversation, Message, Side
from demo.accounts_seed import CUSTOMER_EMAIL
from stores.models import Store

# (store slug, about a product?, [(side, text, minutes ago)], customer read it?)
THREADS = [
    (
        "solenne-labs",
        True,
        [
            (Side.CUSTOMER, "Hello! Is this serum suitable for sensitive skin?", 180),
            (Side.STORE, "Yes: it is fragrance free and tested on sensitive skin.", 150),
            (Side.CUSTOMER, "Perfect, thank you!", 140),
        ],
        True,
    ),
    (
        "dr-amara-osei",
        False,
        [
            (Side.CUSTOMER, "Do you offer video consultations for rosacea?", 90),
            (Side.STORE, "I do. Book a slot from my storefront and share your skin profile.", 30),
        ],
        False,
    ),
]


@transaction.atomic
def conversations_ensure() -> int:
    """The THREADS, created when missing (identified by customer, store and subject);
    returns how many conversations were created."""
    customer = User.objects.filter(email=CUSTOMER_EMAIL).first()
    if customer is None:
        return 0
    created = 0
    now = timezone.now()
    for slug, about_product, lines, read in THREADS:
        store = Store.objects.filter(slug=slug).first()
        if store is None:
            continue
        product = (
            Product.objects.filter(store=store, is_active=True, is_deleted=False)
            .order_by("slug")
            .first()
            if about_product
            else None
        )
        key = f"product:{product.pk}" if product else ""
        if Conversation.objects.filter(customer=customer, store=store, subject_key=key).exists():
            continue
        conversation = Conversation.objects.create(
            customer=customer, store=store, product=product, subject_key=key
        )
        messages = [
            Message(
                conversation=conversation,
                sender=customer if side == Side.CUSTOMER else store.owner,
                sender_side=side,
                body=text,
            )
            for side, text, _minutes in lines
        ]
        Message.objects.bulk_create(messages)
        for message, (_side, _text, minutes) in zip(messages, lines, strict=True):
            Message.objects.filter(pk=message.pk).update(
                created_at=now - timedelta(minutes=minutes)
            )
        last = messages[-1]
        last_at = now - timedelta(minutes=lines[-1][2])
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message=last,
            last_message_at=last_at,
            store_read_at=last_at,
            customer_read_at=last_at if read else now - timedelta(minutes=lines[0][2]),
        )
        created += 1
    return created
