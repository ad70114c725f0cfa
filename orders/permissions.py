from rest_framework import permissions


class IsStaffForObject(permissions.BasePermission):
    """Staff only, checked once the object is found: a customer gets 403 on an order they
    can see (their own) and 404, from the queryset, on anyone else's."""

    message = "Only staff may do this."

    def has_object_permission(self, request, view, obj):
        return bool(request.user and request.user.is_staff)
