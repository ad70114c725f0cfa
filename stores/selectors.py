"""Reads of stores worth naming."""

from django.db.models import Q, QuerySet

from stores.models import Store, StoreStatus


def store_list_public() -> QuerySet[Store]:
    """The stores anyone may see: approved ones (a suspended store is hidden until it is
    reinstated)."""
    return Store.objects.filter(status=StoreStatus.APPROVED).order_by("name", "id")


def store_list_for(*, user) -> QuerySet[Store]:
    """What `user` may see: staff every store, an owner also their own, anyone else the
    public ones."""
    if user is not None and user.is_authenticated and user.is_staff:
        return Store.objects.order_by("name", "id")
    visible = Q(status=StoreStatus.APPROVED)
    if user is not None and user.is_authenticated:
        visible |= Q(owner=user)
    return Store.objects.filter(visible).order_by("name", "id")


def store_of(*, user) -> Store | None:
    """The user's own store (in any status), or None."""
    if user is None or not user.is_authenticated:
        return None
    return Store.objects.filter(owner=user).first()


def store_name_taken(*, name: str, exclude_id=None) -> bool:
    stores = Store.objects.filter(name__iexact=name.strip())
    if exclude_id is not None:
        stores = stores.exclude(pk=exclude_id)
    return stores.exists()
