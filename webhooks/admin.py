"""Webhooks in the admin: endpoints are written through the services (the same URL rules
as the API), their secret shown only in the message after it is created or rotated; the
delivery log is read-only, with filters and a redeliver action."""

from django import forms
from django.contrib import admin, messages

from core.exceptions import DomainError, error_message
from webhooks import services
from webhooks.models import SUBSCRIBABLE_EVENTS, Delivery, Endpoint, Event, EventType


class ReadOnlyAdminMixin:
    """Records of what was sent: looked at, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EndpointAdminForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(value, EventType(value).label) for value in SUBSCRIBABLE_EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Endpoint
        fields = services.ENDPOINT_WRITABLE_FIELDS

    def clean(self):
        data = super().clean()
        errors = services.endpoint_input_errors(url=data.get("url"), events=data.get("events"))
        for field, field_messages in errors.items():
            if field not in self.errors:
                self.add_error(field, field_messages)
        return data


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointAdminForm
    list_display = (
        "url",
        "description",
        "is_active",
        "consecutive_failures",
        "disabled_at",
        "last_sequence",
        "created_at",
    )
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    # The secret is no field of the form and no column: it never reaches a page.
    readonly_fields = (
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "last_sequence",
        "created_by",
        "created_at",
        "updated_at",
    )
    actions = ["ping", "rotate_secret"]

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in services.ENDPOINT_WRITABLE_FIELDS}
        if change:
            services.endpoint_update(endpoint=obj, data=data)
            return
        created = services.endpoint_create(created_by=request.user, **data)
        # The admin goes on with `obj` (its log entry, the redirect): make it the row the
        # service created.
        obj.pk, obj.secret, obj.created_at = created.pk, created.secret, created.created_at
        obj._state.adding = False
        self._show_secret(request, created)

    def _show_secret(self, request, endpoint: Endpoint) -> None:
        self.message_user(
            request,
            f"The signing secret of {endpoint.url} is {endpoint.secret} — copy it now, it is "
            "not shown again.",
            messages.WARNING,
        )

    @admin.action(description="Send a ping to the selected endpoints")
    def ping(self, request, queryset):
        for endpoint in queryset:
            delivery = services.endpoint_ping(endpoint=endpoint)
            level = messages.SUCCESS if delivery.status == "delivered" else messages.ERROR
            outcome = delivery.last_response_code or delivery.last_error
            self.message_user(
                request, f"Ping to {endpoint.url}: {delivery.status} ({outcome})", level
            )

    @admin.action(description="Rotate the secret of the selected endpoints")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            self._show_secret(request, services.endpoint_rotate_secret(endpoint=endpoint))

    def delete_model(self, request, obj):
        services.endpoint_delete(endpoint=obj)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_delete(endpoint=endpoint)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "event_type",
        "endpoint",
        "sequence",
        "status",
        "attempts",
        "last_response_code",
        "last_duration_ms",
        "next_attempt_at",
    )
    list_filter = ("status", "event__type", "endpoint", "created_at")
    list_select_related = ("event", "endpoint")
    search_fields = ("=id", "=event__id", "endpoint__url")
    date_hierarchy = "created_at"
    actions = ["redeliver"]
    fields = (
        "id",
        "endpoint",
        "event",
        "sequence",
        "redelivery_of",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_response_code",
        "last_duration_ms",
        "last_error",
        "last_response_body",
        "delivered_at",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description="event", ordering="event__type")
    def event_type(self, delivery):
        return delivery.event.type

    @admin.action(description="Redeliver the selected deliveries (same event, new attempts)")
    def redeliver(self, request, queryset):
        sent = 0
        for delivery in queryset.select_related("endpoint"):
            try:
                services.delivery_redeliver(endpoint=delivery.endpoint, delivery_id=delivery.pk)
            except DomainError as exc:
                self.message_user(request, f"{delivery.pk}: {error_message(exc)}", messages.ERROR)
            else:
                sent += 1
        self.message_user(request, f"Queued {sent} redelivery(ies).")


class DeliveryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("endpoint", "sequence", "status", "attempts", "last_response_code", "last_error")
    readonly_fields = fields
    show_change_link = True


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "type", "id")
    list_filter = ("type", "created_at")
    search_fields = ("=id",)
    date_hierarchy = "created_at"
    fields = ("id", "type", "data", "created_at")
    readonly_fields = fields
    inlines = [DeliveryInline]

    def has_delete_permission(self, request, obj=None):
        return False
