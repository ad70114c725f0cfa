from rest_framework import permissions


class IsStaff(permissions.BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IsStaffOrReadOnly(permissions.BasePermission):
    message = "Only staff may change this."
    # Read by core.schema: reads of such an endpoint need no credentials.
    allows_anonymous_read = True

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
