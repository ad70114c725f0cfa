from django.contrib import admin
from django.db.models import Count, QuerySet, Sum

from cart.models import Cart, CartItem


class CartKindFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("user", "User"), ("guest", "Guest")]

    def queryset(self, request, queryset: QuerySet[Cart]) -> QuerySet[Cart]:
        if self.value() == "user":
            return queryset.filter(user__isnull=False)
        if self.value() == "guest":
            return queryset.filter(user__isnull=True)
        return queryset


class CartItemInline(admin.TabularInline):
    model = CartItem
    extra = 0
    raw_id_fields = ["product"]
    fields = ["product", "quantity", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "line_count", "item_count", "updated_at"]
    list_filter = [CartKindFilter, "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "=token"]
    raw_id_fields = ["user"]
    readonly_fields = ["token", "created_at", "updated_at"]
    inlines = [CartItemInline]
    date_hierarchy = "updated_at"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                line_total_count=Count("items"),
                quantity_sum=Sum("items__quantity"),
            )
        )

    @admin.display(description="owner")
    def owner(self, cart: Cart) -> str:
        return cart.user.email if cart.user_id else "guest"

    @admin.display(description="lines", ordering="line_total_count")
    def line_count(self, cart: Cart) -> int:
        return cart.line_total_count

    @admin.display(description="items", ordering="quantity_sum")
    def item_count(self, cart: Cart) -> int:
        return cart.quantity_sum or 0
