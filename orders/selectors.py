from django.db.models import QuerySet

from orders.models import Order


def order_list_for(*, user) -> QuerySet[Order]:
    """The orders the user may see (staff: every order), newest first, items prefetched so a
    page costs the same number of queries whatever its size."""
    orders = Order.objects.prefetch_related("items").order_by("-created_at", "-id")
    if not user.is_staff:
        orders = orders.filter(user=user)
    return orders


def order_get_for(*, user, order_id) -> Order | None:
    """One order the user may see, or None."""
    return order_list_for(user=user).filter(pk=order_id).first()
