"""Conversations in the admin, for moderation: reported messages are reviewed and hidden
through the same service as everywhere (the hidden text then leaves every answer and
event). Messages are never edited here."""

from django.contrib import admin, messages

from conversations.models import Conversation, Message, MessageReport
from conversations.services import message_hide


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MessageInline(_ReadOnly, admin.TabularInline):
    model = Message
    extra = 0
    fields = ("created_at", "sender_side", "sender", "body", "is_hidden")
    readonly_fields = fields
    can_delete = False
    ordering = ("-created_at",)
    show_change_link = True


@admin.register(Conversation)
class ConversationAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("id", "customer", "store", "subject_key", "last_message_at", "created_at")
    list_filter = ("blocked_by_customer", "blocked_by_store")
    search_fields = ("=id", "customer__email", "store__name")
    list_select_related = ("customer", "store")
    date_hierarchy = "created_at"
    inlines = [MessageInline]


def _hide(modeladmin, request, messages_to_hide) -> None:
    count = 0
    for message in messages_to_hide:
        message_hide(message=message, by=request.user)
        count += 1
    modeladmin.message_user(request, f"{count} message(s) hidden.", messages.SUCCESS)


@admin.register(Message)
class MessageAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "conversation", "sender_side", "sender", "is_hidden")
    list_filter = ("is_hidden", "sender_side")
    search_fields = ("=id", "=conversation__id", "sender__email", "body")
    list_select_related = ("sender",)
    date_hierarchy = "created_at"
    actions = ["hide"]

    @admin.action(description="Hide the selected messages (text and image gone everywhere)")
    def hide(self, request, queryset):
        _hide(self, request, queryset)


@admin.register(MessageReport)
class MessageReportAdmin(admin.ModelAdmin):
    list_display = ("created_at", "message", "reporter", "reason", "resolved")
    list_filter = ("resolved",)
    search_fields = ("reason", "reporter__email", "=message__id")
    list_select_related = ("reporter", "message")
    readonly_fields = ("message", "reporter", "reason", "resolved", "created_at")
    actions = ["hide_reported"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Hide the reported messages and resolve their reports")
    def hide_reported(self, request, queryset):
        _hide(self, request, [report.message for report in queryset.select_related("message")])
