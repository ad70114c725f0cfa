"""The status machines of orders and of their fulfilments, and the transitions that move
no money and no stock (paying is recorded here, shipping, delivering). Placing, cancelling
and expiring orders coordinate stock, coupons and refunds: they are the checkout app's.

An order of stores is split into one fulfilment per store. The order's own status follows
from them (order_status_sync): shipped when every fulfilment that is not cancelled is
shipped, delivered when all of those are delivered, cancelled when all are cancelled.
Orders placed before stores existed have no fulfilments and move on their own.

Lock order: the order row first, then its fulfilment rows (then, in the apps above, the
payment, products, coupon and store rows).
"""

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import ADDRESS_FIELDS
from core.events import publish
from core.exceptions import BusinessValidationError, InvalidTransition
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderStatus
from orders.tasks import send_fulfilment_email as send_fulfilment_email_task
from orders.tasks import send_order_email as send_order_email_task

logger = logging.getLogger(__name__)

# Events of an order's life for the apps above (core.events), published inside the
# transaction that makes the change, so that what a subscriber does commits with it and a
# subscriber may refuse the change by raising (a DomainError the caller answers).
ORDER_PAID = "orders.order_paid"  # order_id; the order is paid, its row locked
ORDER_CANCELLING = "orders.order_cancelling"  # order_id, by_id (None: the system), reason
# order_id, before any of its parts ships: a subscriber refuses an order that is not goods
# (a booked consultation is delivered by being held, never by a carrier).
ORDER_SHIPPING = "orders.order_shipping"
# order_id; a new order was written (published by whoever places it: checkout).
ORDER_PLACED = "orders.order_placed"
# order_id, previous, status; published by _transition after the order's row changed, so a
# subscriber hears every real change of status exactly once (not a change that was refused).
ORDER_STATUS_CHANGED = "orders.order_status_changed"

# status -> the statuses it may move to. Every order status change goes through _transition.
TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
# The same machine for one store's part of an order.
FULFILMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    FulfilmentStatus.PENDING: frozenset({FulfilmentStatus.PAID, FulfilmentStatus.CANCELLED}),
    FulfilmentStatus.PAID: frozenset({FulfilmentStatus.SHIPPED, FulfilmentStatus.CANCELLED}),
    FulfilmentStatus.SHIPPED: frozenset({FulfilmentStatus.DELIVERED}),
    FulfilmentStatus.DELIVERED: frozenset(),
    FulfilmentStatus.CANCELLED: frozenset(),
}
# The timestamp each status sets when entered (orders and fulfilments alike).
_STAMP: dict[str, str] = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


def can_transition(*, current: str, to: str) -> bool:
    return to in TRANSITIONS[current]


def _check_transition(*, order: Order, to: str) -> None:
    """Raises InvalidTransition unless the order's status may become `to`."""
    if not can_transition(current=order.status, to=to):
        raise InvalidTransition(
            f"An order that is {order.status} cannot become {to}.",
            extra={"status": order.status},
        )


def _transition(*, order: Order, to: str, locked: bool = False, **fields) -> tuple[Order, str]:
    """Lock the order row (unless the caller already holds the lock), move it to `to` and
    return (the locked order, the previous status); raises InvalidTransition."""
    if not locked:
        order = Order.objects.select_for_update().get(pk=order.pk)
    previous = order.status
    _check_transition(order=order, to=to)
    order.status = to
    setattr(order, _STAMP[to], timezone.now())
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=["status", _STAMP[to], *fields, "updated_at"])
    publish(ORDER_STATUS_CHANGED, order_id=order.pk, previous=previous, status=to)
    return order, previous


def fulfilment_transition(*, fulfilment: Fulfilment, to: str, **fields) -> Fulfilment:
    """Move a fulfilment (whose order row the caller has locked) to `to`; raises
    InvalidTransition."""
    current = fulfilment.status
    if to not in FULFILMENT_TRANSITIONS[current]:
        raise InvalidTransition(
            f"A fulfilment that is {current} cannot become {to}.", extra={"status": current}
        )
    fulfilment.status = to
    setattr(fulfilment, _STAMP[to], timezone.now())
    for name, value in fields.items():
        setattr(fulfilment, name, value)
    fulfilment.save(update_fields=["status", _STAMP[to], *fields, "updated_at"])
    return fulfilment


def queue_order_email(order: Order, kind: str) -> None:
    order_id = str(order.pk)
    # Robust: a broker (or, without one, the eager task) that fails is logged; it never
    # turns a committed order into an error answer.
    transaction.on_commit(lambda: send_order_email_task.delay(order_id, kind), robust=True)


def queue_fulfilment_email(fulfilment: Fulfilment, kind: str) -> None:
    fulfilment_id = str(fulfilment.pk)
    transaction.on_commit(
        lambda: send_fulfilment_email_task.delay(fulfilment_id, kind), robust=True
    )


def address_snapshot(address) -> dict:
    """The shipping-address snapshot of an accounts.Address (or any object with its fields)."""
    return {name: getattr(address, name) or "" for name in ADDRESS_FIELDS}


def lock_order(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def lock_fulfilments(order: Order) -> list[Fulfilment]:
    """The order's fulfilments, locked (the caller holds the order's lock), by id."""
    return list(
        Fulfilment.objects.select_for_update(of=("self",))
        .select_related("store")
        .filter(order=order)
        .order_by("pk")
    )


def order_status_sync(*, order: Order) -> Order:
    """Derive the (locked) order's status from its fulfilments after one of them moved:
    cancelled when all are, delivered when every other one is delivered, shipped when every
    other one is shipped or delivered. Raises nothing."""
    statuses = [f.status for f in Fulfilment.objects.filter(order=order)]
    if not statuses:
        return order
    live = [status for status in statuses if status != FulfilmentStatus.CANCELLED]
    if not live:
        target = OrderStatus.CANCELLED
    elif all(status == FulfilmentStatus.DELIVERED for status in live):
        target = OrderStatus.DELIVERED
    elif all(status in (FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED) for status in live):
        target = OrderStatus.SHIPPED
    else:
        return order
    if order.status == target:
        return order
    if order.status == OrderStatus.PAID and target == OrderStatus.DELIVERED:
        # Every live part was shipped and delivered in between: pass by shipped.
        order, _ = _transition(order=order, to=OrderStatus.SHIPPED, locked=True)
    if can_transition(current=order.status, to=target):
        order, _ = _transition(order=order, to=target, locked=True)
    return order


# --- paying, shipping, delivering -----------------------------------------------------


@transaction.atomic
def order_mark_paid(*, order: Order) -> Order:
    """pending -> paid, and each of its pending fulfilments too (each store is told);
    raises InvalidTransition when the order is no longer pending."""
    order, _ = _transition(order=order, to=OrderStatus.PAID)
    for fulfilment in lock_fulfilments(order):
        if fulfilment.status == FulfilmentStatus.PENDING:
            fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.PAID)
            queue_fulfilment_email(fulfilment, "paid")
    queue_order_email(order, "paid")
    publish(ORDER_PAID, order_id=order.pk)
    return order


def _shipping_data(tracking_number: str, carrier: str) -> tuple[str, str]:
    tracking_number, carrier = (tracking_number or "").strip(), (carrier or "").strip()
    errors = {}
    if not tracking_number:
        errors["tracking_number"] = ["A tracking number is required to ship."]
    if not carrier:
        errors["carrier"] = ["A carrier is required to ship."]
    if errors:
        raise BusinessValidationError(errors)
    return tracking_number, carrier


@transaction.atomic
def fulfilment_ship(
    *, fulfilment: Fulfilment, by, tracking_number: str, carrier: str
) -> Fulfilment:
    """paid -> shipped with a tracking number and carrier (the buyer is emailed); the
    order follows. Raises BusinessValidationError (either missing), InvalidTransition."""
    tracking_number, carrier = _shipping_data(tracking_number, carrier)
    order = lock_order(fulfilment.order)
    fulfilment = Fulfilment.objects.select_for_update().get(pk=fulfilment.pk)
    publish(ORDER_SHIPPING, order_id=order.pk)
    fulfilment_transition(
        fulfilment=fulfilment,
        to=FulfilmentStatus.SHIPPED,
        tracking_number=tracking_number,
        carrier=carrier,
    )
    queue_fulfilment_email(fulfilment, "shipped")
    order_status_sync(order=order)
    return fulfilment


@transaction.atomic
def fulfilment_deliver(*, fulfilment: Fulfilment, by) -> Fulfilment:
    """shipped -> delivered (its earnings' hold starts); the order follows. Raises
    InvalidTransition."""
    order = lock_order(fulfilment.order)
    fulfilment = Fulfilment.objects.select_for_update().get(pk=fulfilment.pk)
    fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.DELIVERED)
    order_status_sync(order=order)
    return fulfilment


@transaction.atomic
def order_ship(*, order: Order, by, tracking_number: str, carrier: str) -> Order:
    """paid -> shipped with a tracking number and carrier: every fulfilment still to ship
    ships with them (staff shipping the whole order). Raises BusinessValidationError
    (either missing) and InvalidTransition."""
    tracking_number, carrier = _shipping_data(tracking_number, carrier)
    order = lock_order(order)
    publish(ORDER_SHIPPING, order_id=order.pk)
    fulfilments = lock_fulfilments(order)
    if not fulfilments:
        order, _ = _transition(
            order=order,
            to=OrderStatus.SHIPPED,
            locked=True,
            tracking_number=tracking_number,
            carrier=carrier,
        )
        queue_order_email(order, "shipped")
        return order
    _check_transition(order=order, to=OrderStatus.SHIPPED)
    for fulfilment in fulfilments:
        if fulfilment.status == FulfilmentStatus.PAID:
            fulfilment_transition(
                fulfilment=fulfilment,
                to=FulfilmentStatus.SHIPPED,
                tracking_number=tracking_number,
                carrier=carrier,
            )
    order.tracking_number, order.carrier = tracking_number, carrier
    order.save(update_fields=["tracking_number", "carrier", "updated_at"])
    order = order_status_sync(order=order)
    queue_order_email(order, "shipped")
    return order


@transaction.atomic
def order_deliver(*, order: Order, by) -> Order:
    """shipped -> delivered: every shipped fulfilment is delivered. Raises
    InvalidTransition."""
    order = lock_order(order)
    fulfilments = lock_fulfilments(order)
    if not fulfilments:
        order, _ = _transition(order=order, to=OrderStatus.DELIVERED, locked=True)
        return order
    _check_transition(order=order, to=OrderStatus.DELIVERED)
    for fulfilment in fulfilments:
        if fulfilment.status == FulfilmentStatus.SHIPPED:
            fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.DELIVERED)
    return order_status_sync(order=order)
