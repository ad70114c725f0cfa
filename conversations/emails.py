"""The unread-messages email: who wrote, about what, and how many are waiting."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from conversations.models import Conversation, Side
from conversations.selectors import customer_display_name


def send_unread_email(*, conversation: Conversation, side: str, unread: int) -> None:
    """Tell `side` of the conversation that `unread` messages wait for them."""
    if side == Side.CUSTOMER:
        recipient = conversation.customer.email
        other = conversation.store.name
    else:
        recipient = conversation.store.contact_email or conversation.store.owner.email
        other = customer_display_name(conversation.customer)
    context = {
        "conversation": conversation,
        "other": other,
        "unread": unread,
        "url": settings.CONVERSATION_URL.format(id=conversation.pk),
    }
    subject = render_to_string("conversations/email/unread_subject.txt", context)
    send_mail(
        subject=" ".join(subject.split()),
        message=render_to_string("conversations/email/unread.txt", context),
        from_email=None,
        recipient_list=[recipient],
    )
