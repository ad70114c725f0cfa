"""Payments in the admin: money is read-only; refunds go through the same service as the
API."""

from django.contrib import admin, messages

from core.admin_exports import CsvExportMixin
from core.exceptions import DomainError
from payments import services
from payments.models import Payment, Refund, WebhookEvent


class ReadOnlyAdminMixin:
    """Records of what happened (refunds, provider events): looked at, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RefundInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Refund
    extra = 0
    fields = ["amount", "reason", "provider_reference", "created_by", "created_at"]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(CsvExportMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "order",
        "user",
        "provider",
        "status",
        "amount",
        "amount_refunded",
        "currency",
        "needs_review",
        "created_at",
    ]
    list_filter = ["status", "provider", "needs_review", "created_at"]
    list_select_related = ["order", "user"]
    search_fields = ["=id", "=order__id", "user__email", "provider_reference"]
    date_hierarchy = "created_at"
    inlines = [RefundInline]
    # Only the review flag is staff's to change; everything else is the record of money.
    readonly_fields = [
        "id",
        "order",
        "user",
        "provider",
        "status",
        "amount",
        "currency",
        "amount_refunded",
        "provider_reference",
        "failure_reason",
        "succeeded_at",
        "created_at",
        "updated_at",
    ]
    fields = [*readonly_fields[:-2], "needs_review", "created_at", "updated_at"]
    actions = ["refund_in_full"]
    export_header = [
        "id",
        "created_at",
        "order",
        "email",
        "provider",
        "status",
        "amount",
        "amount_refunded",
        "currency",
        "provider_reference",
        "succeeded_at",
        "needs_review",
    ]

    def export_queryset(self, request):
        return super().export_queryset(request).select_related("user")

    def export_row(self, payment) -> list:
        return [
            payment.pk,
            payment.created_at.isoformat(),
            payment.order_id,
            payment.user.email,
            payment.provider,
            payment.status,
            payment.amount,
            payment.amount_refunded,
            payment.currency,
            payment.provider_reference,
            payment.succeeded_at.isoformat() if payment.succeeded_at else "",
            payment.needs_review,
        ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Refund in full (what is still refundable)")
    def refund_in_full(self, request, queryset):
        refunded = 0
        for payment in queryset.order_by("pk"):
            try:
                services.payment_refund(payment=payment, by=request.user, reason="Admin refund")
            except DomainError as exc:
                self.message_user(request, f"{payment.pk}: {exc.detail}", messages.ERROR)
            else:
                refunded += 1
        if refunded:
            self.message_user(request, f"Refunded {refunded} payment(s).", messages.SUCCESS)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "payment", "amount", "reason", "created_by", "created_at"]
    list_select_related = ["payment", "created_by"]
    search_fields = ["=payment__id", "=payment__order__id", "provider_reference"]
    date_hierarchy = "created_at"


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["event_id", "provider", "event_type", "created_at"]
    list_filter = ["provider", "event_type"]
    search_fields = ["=event_id"]
    date_hierarchy = "created_at"
