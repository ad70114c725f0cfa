from django.db.models import QuerySet

from accounts.models import Address, User


def user_list() -> QuerySet[User]:
    """Every account, with its profile joined so serializing a page costs one query."""
    return User.objects.select_related("profile").order_by("-date_joined", "id")


def address_list_for(*, user: User) -> QuerySet[Address]:
    """The user's own addresses; other users' rows are simply not there (so they 404)."""
    return Address.objects.filter(user=user).order_by("-is_default", "-created_at", "id")
