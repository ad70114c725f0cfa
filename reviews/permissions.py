from rest_framework import permissions


class IsReviewAuthorOrStaffDelete(permissions.BasePermission):
    """Anyone reads (what they may see is the queryset's business). The author edits and
    deletes their review; staff delete any, and moderate through the approve/hide actions
    rather than editing. A review the caller cannot see is a 404 (the queryset); one they
    can see but do not own is a 403."""

    message = "Only the author may change this review."
    # Read by core.schema: reads of such an endpoint need no credentials.
    allows_anonymous_read = True

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        if obj.user_id == request.user.pk:
            return True
        return request.method == "DELETE" and request.user.is_staff
