from django.conf import settings
from django.db import models

from core.models import BaseModel

MAX_MESSAGE_LENGTH = 4000


class Side(models.TextChoices):
    """Who in a conversation: the customer, or the store (whose owner answers for it)."""

    CUSTOMER = "customer", "Customer"
    STORE = "store", "Store"


class Conversation(BaseModel):
    """A thread between one customer and one store, optionally about one product or one
    order of theirs. There is one per customer, store and subject: opening it again
    continues it."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    store = models.ForeignKey(
        "stores.Store", on_delete=models.CASCADE, related_name="conversations"
    )
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "", "product:<id>" or "order:<id>": what makes the thread unique (a NULL product or
    # order would not take part in a unique index).
    subject_key = models.CharField(max_length=64, blank=True)
    last_message = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    customer_read_at = models.DateTimeField(null=True, blank=True)
    store_read_at = models.DateTimeField(null=True, blank=True)
    # When each side was last emailed about unread messages here.
    customer_notified_at = models.DateTimeField(null=True, blank=True)
    store_notified_at = models.DateTimeField(null=True, blank=True)
    # A side that blocked the other: the other side can no longer post.
    blocked_by_customer = models.BooleanField(default=False)
    blocked_by_store = models.BooleanField(default=False)

    class Meta:
        ordering = ["-last_message_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "store", "subject_key"],
                name="conversations_one_per_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-last_message_at"], name="conv_customer_recent_idx"),
            models.Index(fields=["store", "-last_message_at"], name="conv_store_recent_idx"),
        ]

    def __str__(self):
        return f"Conversation {self.pk} ({self.customer_id} with {self.store_id})"


def message_image_path(instance, filename: str) -> str:
    # The service names the file with a random token: the path is not guessable.
    return f"conversations/{instance.conversation_id}/{filename}"


class Message(BaseModel):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_side = models.CharField(max_length=8, choices=Side.choices)
    body = models.TextField(max_length=MAX_MESSAGE_LENGTH)
    image = models.ImageField(upload_to=message_image_path, blank=True)
    # Hidden by staff (e.g. after a report): its text and image are never shown again.
    is_hidden = models.BooleanField(default=False)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["conversation", "-created_at"], name="conv_message_recent_idx"),
        ]

    def __str__(self):
        return f"Message {self.pk} in {self.conversation_id}"


class MessageReport(BaseModel):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=500)
    resolved = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="conv_report_once"),
        ]

    def __str__(self):
        return f"Report of {self.message_id}"
