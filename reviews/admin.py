"""Reviews in the admin: read-only records moderated through the same services as the API
(approve, hide, delete), so the products' ratings follow every change made here too."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.text import Truncator

from core.exceptions import DomainError
from reviews.models import Review
from reviews.services import review_approve, review_delete, review_hide


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "product",
        "user",
        "rating",
        "comment_excerpt",
        "status",
        "verified_purchase",
        "created_at",
        "moderated_at",
    )
    list_filter = ("status", "rating", "verified_purchase", "created_at")
    list_select_related = ("product", "user")
    search_fields = ("product__name", "user__email")
    date_hierarchy = "created_at"
    raw_id_fields = ("product", "user", "moderated_by")
    actions = ["approve_reviews", "hide_reviews"]
    fields = (
        "id",
        "product",
        "user",
        "rating",
        "comment",
        "status",
        "verified_purchase",
        "moderated_by",
        "moderated_at",
        "created_at",
        "updated_at",
    )
    # Status changes go through the actions, deletion through the services; nothing is
    # edited in place (an edit would bypass the product's rating refresh).
    readonly_fields = fields

    @admin.display(description="comment")
    def comment_excerpt(self, review):
        return Truncator(review.comment).chars(80)

    def has_add_permission(self, request):
        return False  # reviews come from customers

    def save_model(self, request, obj, form, change):
        pass  # every field is read-only: there is nothing to save

    def delete_model(self, request, obj):
        review_delete(review=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for review in queryset:
            review_delete(review=review)

    def _apply(self, request, queryset, verb: str, service) -> None:
        done = 0
        for review in queryset:
            try:
                service(review=review, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"Review {review.pk}: {exc.detail}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} review(s).", messages.SUCCESS)

    @admin.action(description="Approve the selected reviews")
    def approve_reviews(self, request, queryset):
        self._apply(request, queryset, "Approved", review_approve)

    @admin.action(description="Hide the selected reviews")
    def hide_reviews(self, request, queryset):
        self._apply(request, queryset, "Hid", review_hide)
