"""Shapes of the conversations API (and of the socket events, which carry the same
message shape). Writes happen in conversations.services."""

from rest_framework import serializers

from conversations.models import MAX_MESSAGE_LENGTH, Conversation, Message, Side
from conversations.selectors import customer_display_name
from core.validators import validate_image_upload
from stores.serializers import StoreSummarySerializer


class MessageSerializer(serializers.ModelSerializer):
    conversation = serializers.UUIDField(source="conversation_id", read_only=True)
    sender_side = serializers.ChoiceField(choices=Side.choices, read_only=True)
    body = serializers.SerializerMethodField(help_text="Empty once staff hid the message.")
    image = serializers.SerializerMethodField(help_text="URL of the attached image, if any.")

    class Meta:
        model = Message
        fields = ["id", "conversation", "sender_side", "body", "image", "is_hidden", "created_at"]
        read_only_fields = fields

    def get_body(self, message: Message) -> str:
        return "" if message.is_hidden else message.body

    def get_image(self, message: Message) -> str | None:
        if message.is_hidden or not message.image:
            return None
        request = self.context.get("request")
        url = message.image.url
        return request.build_absolute_uri(url) if request else url


class ConversationSubjectSerializer(serializers.Serializer):
    product_id = serializers.UUIDField(allow_null=True)
    product_name = serializers.CharField(allow_null=True)
    order_id = serializers.UUIDField(allow_null=True)


class ConversationSerializer(serializers.ModelSerializer):
    store = StoreSummarySerializer(read_only=True)
    customer_name = serializers.SerializerMethodField(
        help_text="The customer's first name and last initial (never their email)."
    )
    subject = serializers.SerializerMethodField()
    last_message = MessageSerializer(read_only=True, allow_null=True)
    unread_count = serializers.IntegerField(
        read_only=True, default=0, help_text="Messages of the other side the caller has not read."
    )
    my_side = serializers.SerializerMethodField(help_text="The caller's side in it.")
    blocked = serializers.SerializerMethodField(
        help_text="Whether the caller can no longer post (the other side blocked them)."
    )
    i_blocked = serializers.SerializerMethodField(help_text="Whether the caller blocked them.")

    class Meta:
        model = Conversation
        fields = [
            "id",
            "store",
            "customer_name",
            "subject",
            "last_message",
            "last_message_at",
            "unread_count",
            "my_side",
            "blocked",
            "i_blocked",
            "created_at",
        ]
        read_only_fields = fields

    def _side(self, conversation) -> str | None:
        user = getattr(self.context.get("request"), "user", None)
        if user is not None and conversation.customer_id == user.pk:
            return Side.CUSTOMER
        if user is not None and conversation.store.owner_id == user.pk:
            return Side.STORE
        return None

    def get_customer_name(self, conversation) -> str:
        return customer_display_name(conversation.customer)

    def get_subject(self, conversation) -> dict:
        product = conversation.product
        return {
            "product_id": conversation.product_id,
            "product_name": product.name if product else None,
            "order_id": conversation.order_id,
        }

    def get_my_side(self, conversation) -> str | None:
        return self._side(conversation)

    def get_blocked(self, conversation) -> bool:
        side = self._side(conversation)
        if side == Side.CUSTOMER:
            return conversation.blocked_by_store
        if side == Side.STORE:
            return conversation.blocked_by_customer
        return False

    def get_i_blocked(self, conversation) -> bool:
        side = self._side(conversation)
        if side == Side.CUSTOMER:
            return conversation.blocked_by_customer
        if side == Side.STORE:
            return conversation.blocked_by_store
        return False


class ConversationOpenInput(serializers.Serializer):
    store = serializers.CharField(max_length=140, help_text="The store's id or slug.")
    product_id = serializers.UUIDField(required=False, allow_null=True)
    order_id = serializers.UUIDField(required=False, allow_null=True)
    body = serializers.CharField(max_length=MAX_MESSAGE_LENGTH, trim_whitespace=True)

    def validate(self, attrs):
        if attrs.get("product_id") and attrs.get("order_id"):
            raise serializers.ValidationError("A conversation is about a product or an order.")
        return attrs


class MessagePostInput(serializers.Serializer):
    body = serializers.CharField(
        max_length=MAX_MESSAGE_LENGTH,
        trim_whitespace=True,
        help_text=f"Plain text, 1 to {MAX_MESSAGE_LENGTH} characters.",
    )
    image = serializers.FileField(
        required=False,
        validators=[validate_image_upload],
        help_text="An optional JPEG, PNG, WebP or GIF image (multipart).",
    )


class MessageReportInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
