"""Admin of the skin app. Analyses are listed without their photo; a staff member sees a
photo only through the "See the photo" page, which asks for a support reason, records it
in the audit (AnalysisView, via support) and then shows the photo."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.exceptions import BusinessValidationError, error_message
from skin import services
from skin.models import AnalysisView, SkinAnalysis, SkinProfile
from skin.views import photo_response


class SupportReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why you need to see this customer's photo (kept in the audit).",
    )


@admin.register(SkinAnalysis)
class SkinAnalysisAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "status", "analyzer", "created_at"]
    list_filter = ["status"]
    search_fields = ["id", "user__email"]
    list_select_related = ["user"]
    # No photo field: the photo is behind the reason page.
    fields = [
        "user",
        "status",
        "width",
        "height",
        "measures",
        "photo_concerns",
        "failure_reason",
        "analyzer",
        "analyzed_at",
        "created_at",
        "photo_link",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Photo")
    def photo_link(self, obj):
        url = reverse("admin:skin_skinanalysis_photo", args=[obj.pk])
        return format_html('<a href="{}">See the photo (asks for a support reason)</a>', url)

    def delete_model(self, request, obj):
        services.skin_analysis_delete(analysis=obj)

    def delete_queryset(self, request, queryset):
        for analysis in queryset:
            services.skin_analysis_delete(analysis=analysis)

    def get_urls(self):
        return [
            path(
                "<uuid:object_id>/photo/",
                self.admin_site.admin_view(self.photo_view),
                name="skin_skinanalysis_photo",
            ),
            *super().get_urls(),
        ]

    def photo_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        analysis = get_object_or_404(SkinAnalysis, pk=object_id)
        form = SupportReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.analysis_photo_support_view(
                    analysis=analysis, staff=request.user, reason=form.cleaned_data["reason"]
                )
            except BusinessValidationError as exc:
                messages.error(request, error_message(exc))
            else:
                return photo_response(analysis)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": analysis,
            "form": form,
            "title": "Support reason",
        }
        return TemplateResponse(request, "admin/skin/skinanalysis/photo_reason.html", context)


@admin.register(AnalysisView)
class AnalysisViewAdmin(admin.ModelAdmin):
    list_display = ["created_at", "analysis_ref", "owner_ref", "viewer", "kind", "via", "reason"]
    list_filter = ["kind", "via"]
    search_fields = ["analysis_ref", "owner_ref", "viewer__email"]
    list_select_related = ["viewer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SkinProfile)
class SkinProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "skin_type", "updated_at"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "skin_type", "concerns", "allergies", "routine"]

    def has_add_permission(self, request):
        return False
