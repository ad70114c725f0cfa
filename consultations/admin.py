from django.contrib import admin

from consultations.models import Availability, Consultation, ConsultationService, RecommendedProduct


@admin.register(ConsultationService)
class ConsultationServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "duration_minutes", "price", "currency", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "store__name"]
    list_select_related = ["store"]
    autocomplete_fields = ["store"]


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    list_display = ["store", "timezone", "updated_at"]
    search_fields = ["store__name"]
    list_select_related = ["store"]
    autocomplete_fields = ["store"]


class RecommendedProductInline(admin.TabularInline):
    model = RecommendedProduct
    extra = 0
    fields = ["product", "product_name", "note", "position"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    """Read-only: bookings change through the services (payments, cancellations), so that
    the order, the refund and the store's earnings stay consistent. The dermatologist's
    private notes are not shown to staff."""

    list_display = ["service", "store", "customer", "starts_at", "status", "refunded"]
    list_filter = ["status", "refunded"]
    search_fields = ["customer__email", "store__name", "service__name"]
    date_hierarchy = "starts_at"
    list_select_related = ["service", "store", "customer"]
    inlines = [RecommendedProductInline]
    exclude = ["private_notes", "room"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
