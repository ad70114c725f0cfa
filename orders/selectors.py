from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from orders.models import Fulfilment, Order, OrderItem

# An order's lines with the store's part each belongs to, in one query: the parts an
# order shows are read off its lines (every part has at least one).
ORDER_LINES = Prefetch("items", queryset=OrderItem.objects.select_related("fulfilment__store"))


def order_list_for(*, user) -> QuerySet[Order]:
    """The orders the user may see (staff: every order), newest first, lines and each
    store's part prefetched so a page costs the same number of queries whatever its size."""
    orders = Order.objects.prefetch_related(ORDER_LINES).order_by("-created_at", "-id")
    if not user.is_staff:
        orders = orders.filter(user=user)
    return orders


def order_with_lines(order: Order) -> Order:
    """The order (just written) with what its answer shows loaded, in one query."""
    prefetch_related_objects([order], ORDER_LINES)
    return order


def order_parts(order: Order) -> list[tuple[Fulfilment, list[OrderItem]]]:
    """The order's parts (fulfilments) with their lines, from its prefetched lines, in the
    order they were created."""
    parts: dict = {}
    for item in order.items.all():
        if item.fulfilment_id is not None:
            parts.setdefault(item.fulfilment_id, (item.fulfilment, []))[1].append(item)
    return sorted(parts.values(), key=lambda part: (part[0].created_at, str(part[0].pk)))


def order_get_for(*, user, order_id) -> Order | None:
    """One order the user may see, or None."""
    return order_list_for(user=user).filter(pk=order_id).first()


def fulfilment_list_for_store(*, store_id) -> QuerySet[Fulfilment]:
    """A store's parts of orders, newest first, with their order (the buyer's name and
    address) and lines: a page costs the same number of queries whatever its size."""
    return (
        Fulfilment.objects.filter(store_id=store_id)
        .select_related("order")
        .prefetch_related("items")
        .order_by("-created_at", "-id")
    )
