"""Checkout: placing an order from a cart, cancelling an order or one store's part of it,
and expiring unpaid orders. It coordinates the apps below it (cart, catalog stock,
coupons, orders and their fulfilments, payments and the sellers' ledger); each of them
keeps its own rules.

Lock order, which every path follows so that two of them never wait on each other in a
circle: the cart row; then the order row and its fulfilment rows; then the payment row;
then product rows in id order; then the coupon row; then store rows (the ledger's).

A provider call (a refund) never runs while product or coupon rows are locked, which other
checkouts need: a cancel refunds first, holding only this order's and payment's rows, and
restocks after. A refund the provider refuses rolls the whole cancel back (nothing changes,
the caller gets the provider's error and may retry).
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import ADDRESS_FIELDS
from cart.models import Cart, CartItem
from cart.services import cart_for_request
from catalog.cache import catalog_products_changed
from catalog.models import Product
from catalog.services import STOCK_LOW, stock_crossed_low
from core import metrics
from core.events import publish
from core.exceptions import (
    BusinessValidationError,
    Conflict,
    InsufficientStock,
    InvalidTransition,
)
from core.money import MONEY_MAX, money_fits, quantize_money, split_amount
from coupons.models import Coupon
from coupons.services import coupon_claim, coupon_redemption_create, coupon_release
from earnings.selectors import commission_schedule
from earnings.services import commission_amount, ledger_record_refund
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderItem, OrderStatus
from orders.selectors import order_with_lines
from orders.services import (
    ORDER_CANCELLING,
    ORDER_PLACED,
    _transition,
    fulfilment_transition,
    lock_fulfilments,
    lock_order,
    order_status_sync,
    queue_fulfilment_email,
    queue_order_email,
)
from payments.models import REFUNDABLE_STATUSES, Payment
from payments.services import payment_refund

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")


class UnpaidOrdersLimit(Conflict):
    """The user holds too much stock in unpaid orders to place another one."""

    default_detail = (
        "You have too many unpaid orders; pay or cancel one of them before placing another."
    )


# --- placing an order: the steps --------------------------------------------------------


def _lock_cart(user) -> tuple[Cart | None, list[CartItem]]:
    """The user's cart, locked, and its lines in product-id order. The cart row lock
    serialises checkouts of one cart: a double submit waits here and then finds the cart
    empty instead of buying everything twice. Product-id order: every checkout then takes
    its product row locks in the same order, so two carts holding the same products cannot
    deadlock each other."""
    cart = Cart.objects.select_for_update().filter(user=user).first()
    if cart is None:
        return None, []
    return cart, list(cart.items.select_related("product__store").order_by("product_id"))


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


def _check_lines(lines: list[CartItem]) -> str:
    """The one currency of the lines; raises BusinessValidationError (a store that is not
    selling, mixed currencies)."""
    closed = [
        line.product.name
        for line in lines
        if line.product.store is None or not line.product.store.is_approved
    ]
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
    return currencies.pop()


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
                "available": product.stock_quantity if product and sellable else 0,
                "reason": "insufficient_stock" if sellable else "unavailable",
            }
        )
    return described


def _deduct_stock(lines: list[CartItem]) -> None:
    """Check and deduct in one conditional UPDATE per line: stock can never go below zero,
    and the row stays locked until commit, so the prices read next cannot move under us.
    Raises InsufficientStock naming every line that failed (then the whole transaction,
    the deductions that did succeed included, rolls back)."""
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
        raise InsufficientStock(
            "Some items are not available in the requested quantity.",
            extra={"lines": _insufficient_lines(failed)},
        )
    # The catalog shows stock: its cached answers for these products go after commit.
    catalog_products_changed(product_ids=[line.product_id for line in lines])


def _announce_low_stock(priced: list["PricedLine"]) -> None:
    """STOCK_LOW for the products this checkout took down to the low-stock threshold. The
    products were read after the deduction (their rows locked), so a line's stock before
    it is what is left plus what it took; no query."""
    low = [
        p.product.pk
        for p in priced
        if stock_crossed_low(
            before=p.product.stock_quantity + p.line.quantity, after=p.product.stock_quantity
        )
    ]
    if low:
        publish(STOCK_LOW, product_ids=low)


@dataclass(frozen=True)
class PricedLine:
    line: CartItem
    product: Product
    unit_price: Decimal
    line_total: Decimal
    commission_rate: Decimal
    commission_amount: Decimal


def _price(lines: list[CartItem], *, currency: str) -> tuple[list[PricedLine], Decimal]:
    """Each line at its product's price now (the row locked by the deduction), with the
    commission of the moment it is sold; and the subtotal. Raises BusinessValidationError
    (a total an order cannot hold: a price raised since the line was added)."""
    products = Product.objects.in_bulk([line.product_id for line in lines])
    schedule = commission_schedule()
    priced = []
    for line in lines:
        product = products[line.product_id]
        unit_price = quantize_money(product.effective_price)
        line_total = quantize_money(unit_price * line.quantity)
        rate = schedule.rate_for(store_id=product.store_id, category_id=product.category_id)
        priced.append(
            PricedLine(
                line=line,
                product=product,
                unit_price=unit_price,
                line_total=line_total,
                commission_rate=rate,
                commission_amount=commission_amount(line_total=line_total, rate=rate),
            )
        )
    subtotal = quantize_money(sum((p.line_total for p in priced), ZERO))
    if not money_fits(subtotal):
        raise BusinessValidationError(
            {
                "cart": [
                    f"The cart's total is over {MONEY_MAX} {currency}, the largest amount an "
                    "order can hold; lower some quantities."
                ]
            }
        )
    return priced, subtotal


def _claim_coupon(
    *, cart: Cart, user, subtotal: Decimal, currency: str
) -> tuple[Decimal, Coupon | None]:
    """The discount of the cart's coupon and the coupon (0 and None without one): checked
    again now, for this user, its use counted atomically. After the stock deductions:
    every checkout takes cart, products, then coupon row locks (and a cancel products,
    then coupon). Raises CouponUsedUp (409), CouponNotApplicable (400 on `coupon`)."""
    if cart.coupon is None:
        return ZERO, None
    coupon, discount = coupon_claim(
        coupon=cart.coupon, user=user, subtotal=subtotal, currency=currency
    )
    return discount, coupon


def _create_order(
    *,
    user,
    shipping_address: dict,
    currency: str,
    priced: list[PricedLine],
    subtotal: Decimal,
    discount: Decimal,
    coupon: Coupon | None,
) -> Order:
    """The order, one fulfilment per store with its lines, its share of the coupon and its
    commission. The coupon is shared across the stores in proportion to their line totals,
    to the cent (split_amount: remainders to the largest fractions, ties in store order)."""
    order = Order.objects.create(
        user=user,
        email=user.email,
        currency=currency,
        subtotal=subtotal,
        discount_total=discount,
        coupon_code=coupon.code if coupon else "",
        total=quantize_money(max(subtotal - discount, ZERO)),
        shipping_address={name: shipping_address.get(name) or "" for name in ADDRESS_FIELDS},
    )
    by_store: dict = defaultdict(list)
    for line in priced:
        by_store[line.product.store_id].append(line)
    store_ids = sorted(by_store, key=str)
    subtotals = [quantize_money(sum((p.line_total for p in by_store[s]), ZERO)) for s in store_ids]
    shares = split_amount(min(discount, subtotal), subtotals)
    items = []
    for store_id, store_subtotal, share in zip(store_ids, subtotals, shares, strict=True):
        fulfilment = Fulfilment.objects.create(
            order=order,
            store_id=store_id,
            currency=currency,
            subtotal=store_subtotal,
            discount_share=share,
            total=store_subtotal - share,
            commission=sum((p.commission_amount for p in by_store[store_id]), ZERO),
        )
        items += [
            OrderItem(
                order=order,
                fulfilment=fulfilment,
                product=p.product,
                product_name=p.product.name,
                product_slug=p.product.slug,
                unit_price=p.unit_price,
                quantity=p.line.quantity,
                line_total=p.line_total,
                commission_rate=p.commission_rate,
                commission_amount=p.commission_amount,
            )
            for p in by_store[store_id]
        ]
    OrderItem.objects.bulk_create(items)
    if coupon is not None:
        coupon_redemption_create(coupon=coupon, user=user, order=order, amount=discount)
    return order


def _clear_cart(cart: Cart) -> None:
    if cart.coupon_id is not None:
        cart.coupon = None
        cart.save(update_fields=["coupon", "updated_at"])
    cart.items.all().delete()


@transaction.atomic
def order_place(*, user, shipping_address: dict) -> Order:
    """Turn the user's cart into a pending order, one fulfilment per store, using its
    coupon; raises BusinessValidationError (empty cart, a store not selling, mixed
    currencies, a total too large for an order; CouponNotApplicable: the coupon no longer
    applies), UnpaidOrdersLimit, InsufficientStock and CouponUsedUp (409). A refusal
    changes nothing."""
    cart, lines = _lock_cart(user)
    if cart is None or not lines:  # no cart has no lines
        raise BusinessValidationError({"cart": ["The cart is empty."]})
    _check_unpaid_caps(user=user, units=sum(line.quantity for line in lines))
    currency = _check_lines(lines)
    _deduct_stock(lines)
    priced, subtotal = _price(lines, currency=currency)
    _announce_low_stock(priced)
    discount, coupon = _claim_coupon(cart=cart, user=user, subtotal=subtotal, currency=currency)
    order = _create_order(
        user=user,
        shipping_address=shipping_address,
        currency=currency,
        priced=priced,
        subtotal=subtotal,
        discount=discount,
        coupon=coupon,
    )
    _clear_cart(cart)
    queue_order_email(order, "placed")
    metrics.order_placed(currency=currency)
    publish(ORDER_PLACED, order_id=order.pk)
    return order


@transaction.atomic
def order_place_service(
    *, user, store, name: str, reference: str, price: Decimal, currency: str
) -> Order:
    """A pending one-line order for a service of `store` (a consultation): no stock, no
    cart, no coupon, no shipping address; one fulfilment with the commission of the moment,
    paid with the usual payments flow and earned like any sale. Raises UnpaidOrdersLimit,
    BusinessValidationError (a price an order cannot hold)."""
    _check_unpaid_caps(user=user, units=1)
    unit_price = quantize_money(price)
    if not money_fits(unit_price):
        raise BusinessValidationError({"price": [f"The price is over {MONEY_MAX} {currency}."]})
    rate = commission_schedule().rate_for(store_id=store.pk, category_id=None)
    commission = commission_amount(line_total=unit_price, rate=rate)
    order = Order.objects.create(
        user=user,
        email=user.email,
        currency=currency,
        subtotal=unit_price,
        total=unit_price,
        shipping_address={},
    )
    fulfilment = Fulfilment.objects.create(
        order=order,
        store=store,
        currency=currency,
        subtotal=unit_price,
        total=unit_price,
        commission=commission,
    )
    OrderItem.objects.create(
        order=order,
        fulfilment=fulfilment,
        product=None,
        product_name=name[:200],
        product_slug=reference[:220],
        unit_price=unit_price,
        quantity=1,
        line_total=unit_price,
        commission_rate=rate,
        commission_amount=commission,
    )
    queue_order_email(order, "placed")
    metrics.order_placed(currency=currency)
    publish(ORDER_PLACED, order_id=order.pk)
    return order


@transaction.atomic
def order_place_from_request_cart(*, user, token: str | None, shipping_address: dict) -> Order:
    """Check out the cart a request works on, in one transaction: a guest cart sent along
    (`token`) is merged into the user's first, exactly as any cart endpoint would, then
    order_place. The order comes back with everything its answer shows already read
    (order_with_lines), so serializing it queries nothing, not even after the commit.
    Raises what order_place raises."""
    cart_for_request(user=user, token=token, create=False)
    return order_with_lines(order_place(user=user, shipping_address=shipping_address))


# --- cancelling -------------------------------------------------------------------------


def _restock(items) -> None:
    """Give back exactly what these lines took, in product-id order (the checkout lock
    order)."""
    restored = []
    for product_id, quantity in (
        items.filter(product__isnull=False)
        .order_by("product_id")
        .values_list("product_id", "quantity")
    ):
        Product.objects.filter(pk=product_id).update(stock_quantity=F("stock_quantity") + quantity)
        restored.append(product_id)
    # The catalog shows stock: its cached answers for these products go after commit.
    catalog_products_changed(product_ids=restored)


def _refundable_payment(order: Order) -> Payment | None:
    payment = Payment.objects.filter(order=order).first()
    if payment is None or payment.status not in REFUNDABLE_STATUSES:
        return None
    return payment if payment.refundable_amount > 0 else None


def _cancel_locked(*, order: Order, by=None, reason: str = "") -> Order:
    """Cancel the locked order: refund what is left of a paid one (first: the provider is
    called while only this order's and payment's rows are locked), then restock the lines
    of every part not cancelled yet, give the coupon's use back, reverse the stores'
    earnings. Raises InvalidTransition (not pending or paid, or a part already shipped),
    what payment_refund raises, what an ORDER_CANCELLING subscriber raises (a booked
    consultation's own cancellation rules)."""
    fulfilments = lock_fulfilments(order)
    shipped = [
        f for f in fulfilments if f.status in (FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED)
    ]
    if shipped:
        raise InvalidTransition(
            "Part of this order has shipped; the stores cancel what they have not shipped.",
            extra={"status": order.status},
        )
    if order.status in (OrderStatus.PENDING, OrderStatus.PAID):
        publish(ORDER_CANCELLING, order_id=order.pk, by_id=getattr(by, "pk", None), reason=reason)
    order, previous = _transition(
        order=order, to=OrderStatus.CANCELLED, locked=True, cancel_reason=reason[:255]
    )
    if previous == OrderStatus.PAID:
        payment = _refundable_payment(order)
        if payment is None:
            logger.warning("Paid order %s cancelled with nothing to refund", order.pk)
        else:
            payment_refund(payment=payment, amount=None, by=by, reason=reason or "Order cancelled")
    live = [f for f in fulfilments if f.status != FulfilmentStatus.CANCELLED]
    if fulfilments:
        _restock(OrderItem.objects.filter(fulfilment__in=live))
    else:
        _restock(order.items.all())
    coupon_release(order=order)
    for fulfilment in live:
        fulfilment.refresh_from_db()
        fulfilment_transition(
            fulfilment=fulfilment, to=FulfilmentStatus.CANCELLED, cancel_reason=reason[:255]
        )
        ledger_record_refund(fulfilment=fulfilment, reason=f"Order {order.pk} cancelled", full=True)
    queue_order_email(order, "cancelled")
    return order


@transaction.atomic
def order_cancel(*, order: Order, by, reason: str = "") -> Order:
    """pending|paid -> cancelled, restoring stock and refunding a paid order; raises
    InvalidTransition, or what payment_refund raises (then nothing changes)."""
    return _cancel_locked(order=lock_order(order), by=by, reason=reason)


@transaction.atomic
def fulfilment_cancel(*, fulfilment: Fulfilment, by, reason: str = "") -> Fulfilment:
    """A store cancels its part of an order that it cannot serve (pending or paid): its
    lines' stock comes back, exactly its share of the payment is refunded through the
    provider (its line totals less its share of the coupon, less what was refunded of it
    already), its earnings are reversed; the order follows (cancelled, and its coupon's use
    given back, when no part is left). Raises BusinessValidationError (no reason),
    InvalidTransition, what payment_refund raises (then nothing changes)."""
    reason = (reason or "").strip()
    if not reason:
        raise BusinessValidationError({"reason": ["Tell the buyer why."]})
    order = lock_order(fulfilment.order)
    fulfilment = Fulfilment.objects.select_for_update().get(pk=fulfilment.pk)
    if fulfilment.status not in (FulfilmentStatus.PENDING, FulfilmentStatus.PAID):
        raise InvalidTransition(
            f"A fulfilment that is {fulfilment.status} cannot be cancelled.",
            extra={"status": fulfilment.status},
        )
    if fulfilment.status == FulfilmentStatus.PAID and fulfilment.refundable > 0:
        payment = _refundable_payment(order)
        if payment is not None:
            payment_refund(
                payment=payment,
                amount=min(fulfilment.refundable, payment.refundable_amount),
                by=by,
                reason=f"{fulfilment.store.name}: {reason}"[:255],
                fulfilment=fulfilment,
            )
            fulfilment.refresh_from_db()
    _restock(fulfilment.items.all())
    fulfilment_transition(
        fulfilment=fulfilment, to=FulfilmentStatus.CANCELLED, cancel_reason=reason[:255]
    )
    ledger_record_refund(fulfilment=fulfilment, reason=f"Cancelled: {reason}", full=True)
    queue_fulfilment_email(fulfilment, "cancelled")
    order = order_status_sync(order=order)
    if order.status == OrderStatus.CANCELLED:
        coupon_release(order=order)
    return fulfilment


# --- expiry -----------------------------------------------------------------------------


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
