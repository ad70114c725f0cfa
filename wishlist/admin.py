from django.contrib import admin, messages
from django.db.models import Count

from wishlist.models import Wishlist, WishlistItem
from wishlist.services import wishlist_unshare


class WishlistItemInline(admin.TabularInline):
    model = WishlistItem
    extra = 0
    raw_id_fields = ["product"]
    fields = ["product", "created_at"]
    readonly_fields = ["created_at"]


class SharedFilter(admin.SimpleListFilter):
    title = "shared"
    parameter_name = "shared"

    def lookups(self, request, model_admin):
        return [("yes", "Shared"), ("no", "Not shared")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(share_token__isnull=False)
        if self.value() == "no":
            return queryset.filter(share_token__isnull=True)
        return queryset


@admin.register(Wishlist)
class WishlistAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "item_count", "is_shared", "updated_at"]
    list_filter = [SharedFilter, "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    readonly_fields = ["share_token", "created_at", "updated_at"]
    inlines = [WishlistItemInline]
    actions = ["revoke_share_links"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_total=Count("items"))

    @admin.display(description="items", ordering="item_total")
    def item_count(self, wishlist: Wishlist) -> int:
        return wishlist.item_total

    @admin.display(description="shared", boolean=True)
    def is_shared(self, wishlist: Wishlist) -> bool:
        return bool(wishlist.share_token)

    @admin.action(description="Revoke the share links of the selected wishlists")
    def revoke_share_links(self, request, queryset):
        count = 0
        for wishlist in queryset:
            wishlist_unshare(wishlist=wishlist)
            count += 1
        self.message_user(
            request, f"Revoked the share links of {count} wishlist(s).", messages.SUCCESS
        )
