"""Order use cases. The status machine lives here and only here: TRANSITIONS + _transition."""

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import ADDRESS_FIELDS
from cart.models import Cart, CartItem
from catalog.cache import catalog_products_changed
from catalog.models import Product
from core import metrics
from core.exceptions import (
    BusinessValidationError,
    Conflict,
    InsufficientStock,
    InvalidTransition,
)
from core.money import MONEY_MAX, money_fits, quantize_money
from coupons.models import Coupon
from coupons.services import coupon_claim, coupon_redemption_create, coupon_release
from orders.models import Order, OrderItem, OrderStatus
from payments.models import REFUNDABLE_STATUSES, Payment

logger = logging.getLogger(__name__)

# status -> the statuses it may move to. Every status change goes through _transition.
TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
# The timestamp each status sets when entered.
_STAMP = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


def can_transition(*, current: str, to: str) -> bool:
    return to in TRANSITIONS[current]


def _transition(*, order: Order, to: str, locked: bool = False, **fields) -> tuple[Order, str]:
    """Lock the order row (unless the caller already holds the lock), move it to `to` and
    return (the locked order, the previous status); raises InvalidTransition."""
    if not locked:
        order = Order.objects.select_for_update().get(pk=order.pk)
    previous = order.status
    if not can_transition(current=previous, to=to):
        raise InvalidTransition(
            f"An order that is {previous} cannot become {to}.",
            extra={"status": previous},
        )
    order.status = to
    setattr(order, _STAMP[to], timezone.now())
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=["status", _STAMP[to], *fields, "updated_at"])
    return order, previous


def _queue_email(order: Order, kind: str) -> None:
    # orders.tasks imports this module (the expiry task): imported here to avoid a cycle.
    from orders.tasks import send_order_email

    order_id = str(order.pk)
    # Robust: a broker (or, without one, the eager task) that fails is logged; it never
    # turns a committed order into an error answer.
    transaction.on_commit(lambda: send_order_email.delay(order_id, kind), robust=True)


def _restore_stock(order: Order) -> None:
    """Give back exactly what the order took, in product-id order (the checkout lock order)."""
    lines = order.items.filter(product__isnull=False).order_by("product_id")
    restored = []
    for product_id, quantity in lines.values_list("product_id", "quantity"):
        Product.objects.filter(pk=product_id).update(stock_quantity=F("stock_quantity") + quantity)
        restored.append(product_id)
    # The catalog shows stock: its cached answers for these products go after commit.
    catalog_products_changed(product_ids=restored)


@transaction.atomic
def order_mark_paid(*, order: Order) -> Order:
    """pending -> paid; raises InvalidTransition when the order is no longer pending."""
    order, _ = _transition(order=order, to=OrderStatus.PAID)
    _queue_email(order, "paid")
    return order


def _cancel_locked(*, order: Order, by=None, reason: str = "") -> Order:
    order, previous = _transition(
        order=order, to=OrderStatus.CANCELLED, locked=True, cancel_reason=reason[:255]
    )
    _restore_stock(order)
    coupon_release(order=order)
    if previous == OrderStatus.PAID:
        _refund_all(order=order, by=by, reason=reason)
    _queue_email(order, "cancelled")
    return order


def _refund_all(*, order: Order, by, reason: str) -> None:
    # payments.services calls order_mark_paid: imported here to avoid an import cycle.
    from payments.services import payment_refund

    payment = Payment.objects.filter(order=order).first()
    if (
        payment is None
        or payment.status not in REFUNDABLE_STATUSES
        or payment.refundable_amount <= 0
    ):
        logger.warning("Paid order %s cancelled with nothing to refund", order.pk)
        return
    payment_refund(payment=payment, amount=None, by=by, reason=reason or "Order cancelled")


@transaction.atomic
def order_cancel(*, order: Order, by, reason: str = "") -> Order:
    """pending|paid -> cancelled, restoring stock and refunding a paid order; raises
    InvalidTransition, or what payment_refund raises (then nothing changes)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    return _cancel_locked(order=order, by=by, reason=reason)


def order_expire_unpaid(*, older_than: timedelta) -> int:
    """Cancel pending orders older than `older_than` (reason "expired"), each in its own
    transaction, skipping orders locked right now; returns how many; raises nothing."""
    cutoff = timezone.now() - older_than
    candidates = Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=cutoff)
    expired = 0
    for order_id in list(candidates.order_by("created_at").values_list("pk", flat=True)):
        with transaction.atomic():
            order = (
                Order.objects.select_for_update(skip_locked=True)
                .filter(pk=order_id, status=OrderStatus.PENDING, created_at__lt=cutoff)
                .first()
            )
            if order is None:  # paid, cancelled or being worked on meanwhile
                continue
            _cancel_locked(order=order, by=None, reason="expired")
            expired += 1
    return expired


# --- checkout -------------------------------------------------------------------------


def address_snapshot(address) -> dict:
    """The shipping-address snapshot of an accounts.Address (or any object with its fields)."""
    return {name: getattr(address, name) or "" for name in ADDRESS_FIELDS}


def _cart_discount(
    *, cart: Cart, user, subtotal: Decimal, currency: str
) -> tuple[Decimal, Coupon | None]:
    """The discount of the cart's coupon and the coupon (0 and None without one): the one
    place checkout validates the coupon (now for this user), counts its use atomically and
    prices it. Raises CouponUsedUp (409) and CouponNotApplicable (400 on `coupon`)."""
    if cart.coupon_id is None:
        return Decimal("0.00"), None
    coupon, discount = coupon_claim(
        coupon=cart.coupon, user=user, subtotal=subtotal, currency=currency
    )
    return discount, coupon


class UnpaidOrdersLimit(Conflict):
    """The user holds too much stock in unpaid orders to place another one."""

    default_detail = (
        "You have too many unpaid orders; pay or cancel one of them before placing another."
    )


def _check_unpaid_caps(*, user, units: int) -> None:
    """Unpaid orders hold their stock until they expire: one user may hold at most
    ORDER_MAX_PENDING_PER_USER of them and ORDER_MAX_PENDING_UNITS_PER_USER units, new
    order included. Read under the cart's row lock, which every checkout of the user takes
    first, so two checkouts at once cannot both pass. Raises UnpaidOrdersLimit."""
    pending = Order.objects.filter(user=user, status=OrderStatus.PENDING)
    held = pending.aggregate(
        orders=Count("id", distinct=True), units=Coalesce(Sum("items__quantity"), 0)
    )
    if held["orders"] + 1 > settings.ORDER_MAX_PENDING_PER_USER:
        raise UnpaidOrdersLimit(extra={"pending_orders": held["orders"]})
    if held["units"] + units > settings.ORDER_MAX_PENDING_UNITS_PER_USER:
        raise UnpaidOrdersLimit(
            f"Unpaid orders may hold at most {settings.ORDER_MAX_PENDING_UNITS_PER_USER} "
            f"items; you hold {held['units']}. Pay or cancel an order first.",
            extra={"pending_orders": held["orders"]},
        )


def _store_is_selling(product: Product) -> bool:
    return product.store_id is not None and product.store.is_approved


def _insufficient_lines(failed: list[CartItem]) -> list[dict]:
    """Describe the lines that could not be deducted, from a fresh read of their products."""
    current = Product.objects.in_bulk([line.product_id for line in failed])
    described = []
    for line in failed:
        product = current.get(line.product_id)
        sellable = product is not None and product.is_active and not product.is_deleted
        described.append(
            {
                "product_id": str(line.product_id),
                "name": product.name if product else line.product.name,
                "requested": line.quantity,
                "available": product.stock_quantity if sellable else 0,
                "reason": "insufficient_stock" if sellable else "unavailable",
            }
        )
    return described


@transaction.atomic
def order_place(*, user, shipping_address: dict) -> Order:
    """Turn the user's cart into a pending order, using its coupon; raises
    BusinessValidationError (empty cart, mixed currencies, a total too large for an order;
    CouponNotApplicable: the coupon no longer applies), InsufficientStock and CouponUsedUp
    (409). A refusal changes nothing."""
    # The cart row lock serialises checkouts of one cart: a double submit waits here and
    # then finds the cart empty instead of buying everything twice.
    cart = Cart.objects.select_for_update().filter(user=user).first()
    # Sorted by product id: every checkout takes its product row locks in the same order,
    # so two carts holding the same products cannot deadlock each other.
    lines = list(cart.items.select_related("product__store").order_by("product_id")) if cart else []
    if not lines:
        raise BusinessValidationError({"cart": ["The cart is empty."]})
    _check_unpaid_caps(user=user, units=sum(line.quantity for line in lines))
    closed = [line.product.name for line in lines if not _store_is_selling(line.product)]
    if closed:
        raise BusinessValidationError(
            {
                "cart": [
                    "Not sold right now (its store is not open): "
                    f"{', '.join(sorted(closed))}. Remove it from the cart to check out."
                ]
            }
        )
    currencies = {line.product.currency for line in lines}
    if len(currencies) > 1:
        raise BusinessValidationError(
            {
                "cart": [
                    f"The cart mixes currencies ({', '.join(sorted(currencies))}); "
                    "check out one currency at a time."
                ]
            }
        )

    # Check-and-deduct in one conditional UPDATE per line: it can never go below zero and
    # it locks the row until commit, so the prices read below cannot move under us.
    failed = []
    for line in lines:
        deducted = Product.objects.filter(
            pk=line.product_id,
            is_active=True,
            is_deleted=False,
            stock_quantity__gte=line.quantity,
        ).update(stock_quantity=F("stock_quantity") - line.quantity)
        if not deducted:
            failed.append(line)
    if failed:
        metrics.checkout_refused_for_stock()
        # Raising rolls back the deductions of the lines that did succeed.
        raise InsufficientStock(
            "Some items are not available in the requested quantity.",
            extra={"lines": _insufficient_lines(failed)},
        )
    # The catalog shows stock: its cached answers for these products go after commit.
    catalog_products_changed(product_ids=[line.product_id for line in lines])

    products = Product.objects.in_bulk([line.product_id for line in lines])
    priced = []
    for line in lines:
        product = products[line.product_id]
        unit_price = quantize_money(product.effective_price)
        priced.append((line, product, unit_price, quantize_money(unit_price * line.quantity)))
    subtotal = quantize_money(sum((line_total for *_, line_total in priced), Decimal("0")))
    currency = currencies.pop()
    # The cart refuses such lines when they are added; a price raised since is caught
    # here, before the order columns would overflow. Raising rolls the deductions back.
    if not money_fits(subtotal):
        raise BusinessValidationError(
            {
                "cart": [
                    f"The cart's total is over {MONEY_MAX} {currency}, the largest amount an "
                    "order can hold; lower some quantities."
                ]
            }
        )
    # After the stock deductions: every checkout takes cart, products, then coupon row
    # locks (and a cancel products, then coupon), so they cannot deadlock each other.
    discount, coupon = _cart_discount(cart=cart, user=user, subtotal=subtotal, currency=currency)
    order = Order.objects.create(
        user=user,
        email=user.email,
        currency=currency,
        subtotal=subtotal,
        discount_total=discount,
        coupon_code=coupon.code if coupon else "",
        total=quantize_money(max(subtotal - discount, Decimal("0"))),
        shipping_address={name: shipping_address.get(name) or "" for name in ADDRESS_FIELDS},
    )
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            product=product,
            product_name=product.name,
            product_slug=product.slug,
            unit_price=unit_price,
            quantity=line.quantity,
            line_total=line_total,
        )
        for line, product, unit_price, line_total in priced
    )
    if coupon is not None:
        coupon_redemption_create(coupon=coupon, user=user, order=order, amount=discount)
        cart.coupon = None
        cart.save(update_fields=["coupon", "updated_at"])
    cart.items.all().delete()
    _queue_email(order, "placed")
    metrics.order_placed(currency=currency)
    return order


# --- fulfilment -----------------------------------------------------------------------


@transaction.atomic
def order_ship(*, order: Order, by, tracking_number: str, carrier: str) -> Order:
    """paid -> shipped with a tracking number and carrier; raises BusinessValidationError
    (either missing) and InvalidTransition."""
    tracking_number, carrier = (tracking_number or "").strip(), (carrier or "").strip()
    errors = {}
    if not tracking_number:
        errors["tracking_number"] = ["A tracking number is required to ship."]
    if not carrier:
        errors["carrier"] = ["A carrier is required to ship."]
    if errors:
        raise BusinessValidationError(errors)
    order, _ = _transition(
        order=order, to=OrderStatus.SHIPPED, tracking_number=tracking_number, carrier=carrier
    )
    _queue_email(order, "shipped")
    return order


@transaction.atomic
def order_deliver(*, order: Order, by) -> Order:
    """shipped -> delivered; raises InvalidTransition."""
    order, _ = _transition(order=order, to=OrderStatus.DELIVERED)
    return order
