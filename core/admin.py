from django.contrib import admin

from core.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    """Read-only: the stored first answers are evidence of what a client was told."""

    list_display = ("key", "scope", "user", "state", "response_status", "created_at")
    list_filter = ("state", "scope", "created_at")
    search_fields = ("key", "user__email")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in IdempotencyKey._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
