"""Earnings in the admin: rules are edited through the services; the ledger is read-only
(entries are never changed: a correction is an adjustment); payouts can be run and a
processing one sent again from here."""

from django.contrib import admin, messages

from earnings import services
from earnings.models import CommissionRule, LedgerEntry, Payout, PayoutEvent, PayoutStatus


@admin.register(CommissionRule)
class CommissionRuleAdmin(admin.ModelAdmin):
    list_display = ("rate", "store", "category", "note", "created_at")
    list_filter = ("store", "category")
    search_fields = ("store__name", "category__name", "note")
    autocomplete_fields = ("store", "category")
    list_select_related = ("store", "category")

    def save_model(self, request, obj, form, change):
        if change:
            services.commission_rule_update(rule=obj, data=form.cleaned_data)
        else:
            services.commission_rule_create(
                rate=obj.rate, store=obj.store, category=obj.category, note=obj.note
            )

    def delete_model(self, request, obj):
        services.commission_rule_delete(rule=obj)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(_ReadOnly):
    list_display = ("created_at", "store", "kind", "amount", "currency", "fulfilment", "payout")
    list_filter = ("kind", "currency", "store")
    search_fields = ("store__name", "description", "=fulfilment__order__id")
    list_select_related = ("store",)
    date_hierarchy = "created_at"


@admin.register(Payout)
class PayoutAdmin(_ReadOnly):
    list_display = ("created_at", "store", "amount", "currency", "status", "provider", "attempts")
    list_filter = ("status", "provider", "currency")
    search_fields = ("store__name", "provider_reference")
    list_select_related = ("store",)
    date_hierarchy = "created_at"
    actions = ["send_again"]

    @admin.action(description="Send the selected processing payouts again")
    def send_again(self, request, queryset):
        sent = [
            services.payout_send(payout=payout)
            for payout in queryset.filter(status=PayoutStatus.PROCESSING)
        ]
        paid = sum(1 for payout in sent if payout.status == PayoutStatus.PAID)
        self.message_user(request, f"{paid} of {len(sent)} payout(s) paid.", messages.INFO)


@admin.register(PayoutEvent)
class PayoutEventAdmin(_ReadOnly):
    list_display = ("created_at", "provider", "event_type", "event_id")
    list_filter = ("provider", "event_type")
    search_fields = ("event_id",)
