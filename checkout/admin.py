"""Orders and their stores' parts (fulfilments) in the admin: totals, address and item
snapshots are read-only; status changes go through the same services as the API
(actions), shipping data is edited while paid."""

from django.contrib import admin, messages
from django.utils import timezone

from checkout.services import fulfilment_cancel, order_cancel
from core.exceptions import DomainError, ErrorCode
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderItem, OrderStatus
from orders.services import fulfilment_deliver, order_deliver, order_ship


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False
    fields = ("product", "product_name", "product_slug", "unit_price", "quantity", "line_total")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


_FULFILMENT_FIELDS = (
    "store",
    "status",
    "subtotal",
    "discount_share",
    "total",
    "commission",
    "refunded",
    "tracking_number",
    "carrier",
)


class FulfilmentInline(admin.TabularInline):
    model = Fulfilment
    extra = 0
    can_delete = False
    fields = _FULFILMENT_FIELDS
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Editable in the change form, and only while the order is paid (before shipping).
SHIPPING_FIELDS = ("tracking_number", "carrier")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "email", "status", "total", "currency", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("email", "=id")
    date_hierarchy = "created_at"
    list_select_related = False
    inlines = [FulfilmentInline, OrderItemInline]
    actions = ["cancel_orders", "mark_shipped", "mark_delivered"]
    fieldsets = (
        (None, {"fields": ("id", "user", "email", "status", "created_at", "updated_at")}),
        (
            "Amounts",
            {"fields": ("currency", "subtotal", "discount_total", "coupon_code", "total")},
        ),
        ("Shipping", {"fields": ("shipping_address", *SHIPPING_FIELDS)}),
        (
            "History",
            {"fields": ("paid_at", "shipped_at", "delivered_at", "cancelled_at", "cancel_reason")},
        ),
    )
    readonly_fields = (
        "id",
        "user",
        "email",
        "status",
        "created_at",
        "updated_at",
        "currency",
        "subtotal",
        "discount_total",
        "coupon_code",
        "total",
        "shipping_address",
        "paid_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
        "cancel_reason",
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == OrderStatus.PAID:
            return self.readonly_fields
        return (*self.readonly_fields, *SHIPPING_FIELDS)

    def has_add_permission(self, request):
        return False  # orders come from checkout only

    def has_delete_permission(self, request, obj=None):
        return False  # an order is a record: cancel it instead

    def save_model(self, request, obj, form, change):
        # Write only the shipping fields, and only while the order is still paid: a full
        # save() would write back the status read when the form was opened.
        changes = {
            name: form.cleaned_data[name].strip()
            for name in SHIPPING_FIELDS
            if name in form.cleaned_data
        }
        if not changes:
            return
        updated = Order.objects.filter(pk=obj.pk, status=OrderStatus.PAID).update(
            **changes, updated_at=timezone.now()
        )
        if not updated:
            self.message_user(
                request,
                "The order is no longer paid; shipping details were not changed.",
                messages.WARNING,
            )

    def _apply(self, request, queryset, verb: str, service) -> None:
        done = 0
        for order in queryset:
            try:
                service(order)
            except DomainError as exc:
                self.message_user(request, f"Order {order.pk}: {exc.detail}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} order(s).", messages.SUCCESS)

    @admin.action(description="Cancel the selected orders (restores stock, refunds if paid)")
    def cancel_orders(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Cancelled",
            lambda order: order_cancel(order=order, by=request.user, reason="Cancelled by staff"),
        )

    @admin.action(description="Mark the selected paid orders shipped (stored tracking data)")
    def mark_shipped(self, request, queryset):
        def ship(order):
            if not (order.tracking_number and order.carrier):
                raise _MissingShippingData(
                    "Enter the tracking number and carrier in the order first."
                )
            order_ship(
                order=order,
                by=request.user,
                tracking_number=order.tracking_number,
                carrier=order.carrier,
            )

        self._apply(request, queryset, "Shipped", ship)

    @admin.action(description="Mark the selected shipped orders delivered")
    def mark_delivered(self, request, queryset):
        def deliver(order):
            order_deliver(order=order, by=request.user)

        self._apply(request, queryset, "Delivered", deliver)


class _MissingShippingData(DomainError):
    code = ErrorCode.VALIDATION_ERROR


class FulfilmentItemInline(OrderItemInline):
    fk_name = "fulfilment"
    fields = (*OrderItemInline.fields, "commission_rate", "commission_amount")
    readonly_fields = fields


@admin.register(Fulfilment)
class FulfilmentAdmin(admin.ModelAdmin):
    """A store's part of an order. Read-only: it moves through the actions (the same
    services as the sellers' API), never by editing."""

    list_display = ("id", "order", "store", "status", "total", "commission", "refunded")
    list_filter = ("status", "store")
    search_fields = ("=id", "=order__id", "store__name", "order__email")
    list_select_related = ("order", "store")
    date_hierarchy = "created_at"
    inlines = [FulfilmentItemInline]
    actions = ["mark_delivered", "cancel_fulfilments"]
    readonly_fields = (
        "id",
        "order",
        "currency",
        *_FULFILMENT_FIELDS,
        "paid_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
        "cancel_reason",
        "created_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False  # fulfilments come from checkout only

    def has_delete_permission(self, request, obj=None):
        return False

    def _apply(self, request, queryset, verb: str, service) -> None:
        done = 0
        for fulfilment in queryset:
            try:
                service(fulfilment)
            except DomainError as exc:
                self.message_user(
                    request, f"Fulfilment {fulfilment.pk}: {exc.detail}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} fulfilment(s).", messages.SUCCESS)

    @admin.action(description="Mark the selected shipped parts delivered")
    def mark_delivered(self, request, queryset):
        self._apply(
            request,
            queryset.filter(status=FulfilmentStatus.SHIPPED),
            "Delivered",
            lambda fulfilment: fulfilment_deliver(fulfilment=fulfilment, by=request.user),
        )

    @admin.action(description="Cancel the selected parts (restock, refund their share)")
    def cancel_fulfilments(self, request, queryset):
        self._apply(
            request,
            queryset,
            "Cancelled",
            lambda fulfilment: fulfilment_cancel(
                fulfilment=fulfilment, by=request.user, reason="Cancelled by staff"
            ),
        )
