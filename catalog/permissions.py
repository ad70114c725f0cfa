from rest_framework import permissions


class IsSellerOrStaffOrReadOnly(permissions.BasePermission):
    """Anyone reads (what they may see is the queryset's business); only sellers and staff
    write."""

    message = "Only sellers and staff may list or change products."
    allows_anonymous_read = True

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.is_seller))


class IsProductOwnerOrStaff(permissions.BasePermission):
    """A product changes only by the owner of its store, or by staff."""

    message = "Only the store selling this product or staff may change it."
    allows_anonymous_read = True

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        return bool(user.is_staff or (obj.store_id is not None and obj.store.owner_id == user.pk))
