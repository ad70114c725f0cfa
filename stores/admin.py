"""Stores in the admin: review actions call the same services as the API; a reason typed
in the actions bar goes with a rejection or suspension."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm

from core.exceptions import BusinessValidationError, DomainError, error_message
from stores import services
from stores.models import Store


class StoreActionForm(ActionForm):
    reason = forms.CharField(
        required=False, max_length=500, help_text="Reason (rejection and suspension)."
    )


class StoreAdminForm(forms.ModelForm):
    class Meta:
        model = Store
        fields = services.STAFF_WRITABLE_FIELDS

    def _post_clean(self):
        # After the ModelForm put the cleaned values on the instance.
        super()._post_clean()
        try:
            services.store_staff_check(store=self.instance, fields=list(self.changed_data))
        except BusinessValidationError as exc:
            for field, errors in exc.extra.get("errors", {}).items():
                self.add_error(field if field in self.fields else None, errors)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    form = StoreAdminForm
    action_form = StoreActionForm
    list_display = (
        "name",
        "kind",
        "status",
        "verified",
        "owner",
        "country",
        "product_count",
        "average_rating",
        "created_at",
    )
    list_filter = ("status", "kind", "verified", "country")
    search_fields = ("name", "slug", "owner__email", "contact_email", "license_number")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    date_hierarchy = "created_at"
    actions = ["approve", "reject", "suspend", "reinstate"]
    readonly_fields = (
        "status",
        "verified",
        "reviewed_by",
        "approved_at",
        "suspended_at",
        "rejection_reason",
        "suspension_reason",
        "product_count",
        "average_rating",
        "review_count",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("owner", "kind", "name", "slug", "description", "logo")}),
        ("Contact", {"fields": ("country", "contact_email")}),
        ("Licence", {"fields": ("license_number", "license_country", "verified")}),
        (
            "Review",
            {
                "fields": (
                    "status",
                    "reviewed_by",
                    "approved_at",
                    "rejection_reason",
                    "suspended_at",
                    "suspension_reason",
                )
            },
        ),
        ("Payouts", {"fields": ("payout_account_id",)}),
        ("Storefront figures", {"fields": ("product_count", "average_rating", "review_count")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "owner")

    def has_add_permission(self, request):
        # Stores come from an application (stores/apply/) or from granting a user the
        # seller role (the user admin's action), both through the services.
        return False

    def save_model(self, request, obj, form, change):
        services.store_staff_update(store=obj, fields=list(form.changed_data))

    def has_delete_permission(self, request, obj=None):
        return False  # a store has orders and money: suspend it instead

    def _apply(self, request, queryset, verb: str, service, *, needs_reason: bool = False):
        reason = request.POST.get("reason", "")
        done = 0
        for store in queryset:
            kwargs = {"reason": reason} if needs_reason else {}
            try:
                service(store=store, by=request.user, **kwargs)
            except DomainError as exc:
                self.message_user(request, f"{store}: {error_message(exc)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} store(s).", messages.SUCCESS)

    @admin.action(description="Approve the selected pending stores")
    def approve(self, request, queryset):
        self._apply(request, queryset, "Approved", services.store_approve)

    @admin.action(description="Reject the selected pending stores (reason required)")
    def reject(self, request, queryset):
        self._apply(request, queryset, "Rejected", services.store_reject, needs_reason=True)

    @admin.action(description="Suspend the selected stores (reason required)")
    def suspend(self, request, queryset):
        self._apply(request, queryset, "Suspended", services.store_suspend, needs_reason=True)

    @admin.action(description="Reinstate the selected suspended stores")
    def reinstate(self, request, queryset):
        self._apply(request, queryset, "Reinstated", services.store_reinstate)
