from rest_framework import permissions


class IsStaffOrSeller(permissions.BasePermission):
    """Staff see every figure; sellers see the same figures for their own products."""

    message = "Only staff and sellers may see metrics."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.is_seller))
