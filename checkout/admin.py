"""Orders and their stores' parts (fulfilments) in the admin: totals, address and item
snapshots are read-only; status changes go through the same services as the API
(actions), shipping data is edited while paid."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from checkout.services import fulfilment_cancel, order_cancel
from core.admin_exports import CsvExportMixin
from core.exceptions import Conflict, DomainError, ErrorCode, error_message
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderItem, OrderStatus
from orders.services import fulfilment_deliver, order_deliver, order_ship
from payments.models import REFUNDABLE_STATUSES, Payment
from payments.services import payment_refund


class ShipForm(forms.Form):
    tracking_number = forms.CharField(max_length=64)
    carrier = forms.CharField(max_length=64)


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=255, required=False, initial="Cancelled by staff")


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0.01,
        required=False,
        help_text="Leave empty to refund everything that is left.",
    )
    reason = forms.CharField(max_length=255)


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
class OrderAdmin(CsvExportMixin, admin.ModelAdmin):
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
        ("Shipping", {"fields": ("shipping_address_display", *SHIPPING_FIELDS)}),
        ("Payment", {"fields": ("payment_display",)}),
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
        "shipping_address_display",
        "payment_display",
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

    change_form_template = "admin/orders/order/change_form.html"
    export_header = [
        "id",
        "created_at",
        "status",
        "email",
        "currency",
        "subtotal",
        "discount_total",
        "total",
        "coupon_code",
        "country",
        "paid_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
    ]

    def export_row(self, order) -> list:
        return [
            order.pk,
            order.created_at.isoformat(),
            order.status,
            order.email,
            order.currency,
            order.subtotal,
            order.discount_total,
            order.total,
            order.coupon_code,
            (order.shipping_address or {}).get("country", ""),
            *(
                moment.isoformat() if moment else ""
                for moment in (
                    order.paid_at,
                    order.shipped_at,
                    order.delivered_at,
                    order.cancelled_at,
                )
            ),
        ]

    @admin.display(description="shipping address")
    def shipping_address_display(self, order):
        address = order.shipping_address or {}
        lines = [
            address.get("full_name"),
            address.get("line1"),
            address.get("line2"),
            " ".join(filter(None, [address.get("postal_code"), address.get("city")])),
            address.get("region"),
            address.get("country"),
            address.get("phone"),
        ]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines if line))

    @admin.display(description="payment")
    def payment_display(self, order):
        payment = Payment.objects.filter(order=order).prefetch_related("refunds").first()
        if payment is None:
            return "No payment yet."
        url = reverse("admin:payments_payment_change", args=[payment.pk])
        head = format_html(
            '<a href="{}">{} {} {}</a>: {}, refunded {}',
            url,
            payment.provider,
            payment.amount,
            payment.currency,
            payment.status,
            payment.amount_refunded,
        )
        refunds = format_html_join(
            "",
            "<li>{} {}: {} ({})</li>",
            (
                (refund.amount, payment.currency, refund.reason or "-", refund.created_at)
                for refund in payment.refunds.all()
            ),
        )
        return format_html("{}<ul>{}</ul>", head, refunds) if refunds else head

    # --- the buttons on an order's page: ship, cancel, refund ----------------------------

    def get_urls(self):
        views = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(view),
                name=f"orders_order_{name}",
            )
            for name, view in (
                ("ship", self.ship_view),
                ("cancel", self.cancel_view),
                ("refund", self.refund_view),
            )
        ]
        return [*views, *super().get_urls()]

    def _order_action(self, request, object_id, *, title, form_class, initial, perform):
        if not self.has_change_permission(request):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=object_id)
        form = form_class(request.POST or None, initial=initial(order))
        if request.method == "POST" and form.is_valid():
            try:
                message = perform(order, form.cleaned_data)
            except DomainError as exc:
                self.message_user(request, error_message(exc), messages.ERROR)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return redirect("admin:orders_order_change", order.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": order,
            "form": form,
            "title": f"{title}: order {order.pk}",
            "verb": title,
        }
        return TemplateResponse(request, "admin/orders/order/action_form.html", context)

    def ship_view(self, request, object_id):
        def ship(order, data):
            order_ship(order=order, by=request.user, **data)
            return "The order was shipped; the buyer is emailed."

        return self._order_action(
            request,
            object_id,
            title="Ship",
            form_class=ShipForm,
            initial=lambda order: {
                "tracking_number": order.tracking_number,
                "carrier": order.carrier,
            },
            perform=ship,
        )

    def cancel_view(self, request, object_id):
        def cancel(order, data):
            order_cancel(order=order, by=request.user, reason=data["reason"])
            return "The order was cancelled: stock restored, what was paid refunded."

        return self._order_action(
            request,
            object_id,
            title="Cancel",
            form_class=CancelForm,
            initial=lambda order: {},
            perform=cancel,
        )

    def refund_view(self, request, object_id):
        def refund(order, data):
            payment = Payment.objects.filter(order=order, status__in=REFUNDABLE_STATUSES).first()
            if payment is None:
                raise Conflict("This order has no payment that can be refunded.")
            done = payment_refund(
                payment=payment, amount=data["amount"], by=request.user, reason=data["reason"]
            )
            return f"Refunded {done.amount} {payment.currency}."

        return self._order_action(
            request,
            object_id,
            title="Refund",
            form_class=RefundForm,
            initial=lambda order: {},
            perform=refund,
        )

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
