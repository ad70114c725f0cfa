"""Coupons in the admin. The form asks the same rules as the API (coupons.services);
times_used and redemptions are written by checkout and cancel only, so they are read-only
here. Deleting a coupon that orders used is refused (the redemptions protect it):
deactivate it instead."""

from django import forms
from django.contrib import admin

from coupons.models import Coupon, CouponRedemption
from coupons.services import (
    COUPON_WRITABLE_FIELDS,
    coupon_rule_errors,
    coupon_update,
    normalize_code,
)


class CouponAdminForm(forms.ModelForm):
    class Meta:
        model = Coupon
        fields = COUPON_WRITABLE_FIELDS

    def clean_code(self):
        return normalize_code(self.cleaned_data["code"])

    def clean(self):
        data = super().clean()
        candidate = Coupon(
            pk=self.instance.pk,
            times_used=self.instance.times_used,
            **{field: data.get(field) for field in COUPON_WRITABLE_FIELDS},
        )
        for field, messages in coupon_rule_errors(coupon=candidate).items():
            if field not in self.errors:
                self.add_error(field, messages)
        return data


class CouponRedemptionInline(admin.TabularInline):
    model = CouponRedemption
    extra = 0
    can_delete = False
    fields = ("order", "user", "amount", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    form = CouponAdminForm
    list_display = (
        "code",
        "kind",
        "value",
        "currency",
        "min_subtotal",
        "times_used",
        "usage_limit",
        "per_user_limit",
        "valid_from",
        "valid_until",
        "is_active",
    )
    list_filter = ("is_active", "kind", "currency", "valid_until")
    search_fields = ("code", "description")
    readonly_fields = ("times_used", "created_at", "updated_at")
    inlines = [CouponRedemptionInline]
    actions = ["deactivate"]

    @admin.action(description="Deactivate the selected coupons")
    def deactivate(self, request, queryset):
        coupons = list(queryset.filter(is_active=True))
        for coupon in coupons:
            coupon_update(coupon=coupon, data={"is_active": False})
        self.message_user(request, f"Deactivated {len(coupons)} coupon(s).")


@admin.register(CouponRedemption)
class CouponRedemptionAdmin(admin.ModelAdmin):
    """Read-only: a redemption is the record of an order's coupon use."""

    list_display = ("coupon", "order", "user", "amount", "created_at")
    list_filter = ("created_at",)
    search_fields = ("coupon__code", "user__email", "=order__id")
    list_select_related = ("coupon", "user")
    date_hierarchy = "created_at"
    readonly_fields = ("coupon", "order", "user", "amount", "created_at", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
