"""Writes of the cart, with their rules. Views, admin actions and commands call these.

Every service that changes a cart first locks its row (SELECT ... FOR UPDATE), so two
requests on one cart run one after the other instead of both checking, then both acting.
"""

import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Literal, overload
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from cart.exceptions import CartGone, CartItemNotFound
from cart.models import Cart, CartItem
from cart.selectors import (
    cart_currency,
    cart_guest_get,
    cart_lines,
    cart_user_get,
    product_is_available,
)
from catalog.models import Product
from core.exceptions import BusinessValidationError
from core.money import MONEY_MAX, money_fits, quantize_money
from coupons.services import coupon_for_cart

PRODUCT_UNAVAILABLE = "This product does not exist or is no longer available."
EMPTY_CART_COUPON = "Your cart is empty; add products before applying a coupon."
TOKEN_BYTES = 32


def _lock(cart: Cart) -> Cart:
    """The cart's row, locked until the end of the transaction."""
    locked = Cart.objects.select_for_update().filter(pk=cart.pk).first()
    if locked is None:
        raise CartGone()
    return locked


def _touch(cart: Cart) -> None:
    # auto_now sets updated_at whenever it is saved; the purge of stale guest carts and
    # admins read it as "last activity".
    cart.save(update_fields=["updated_at"])


def _stock_error(*, product: Product, in_cart: int = 0) -> BusinessValidationError:
    available = product.stock_quantity
    if available == 0:
        message = "This product is out of stock."
    elif in_cart:
        message = f"Only {available} in stock, and your cart already holds {in_cart}."
    else:
        message = f"Only {available} in stock."
    return BusinessValidationError({"quantity": [message]}, detail=message)


def _check_amounts_fit(*, cart: Cart, product: Product, quantity: int) -> None:
    """Refuse a line whose total, or a cart whose total, could not be stored in an order
    (money columns end at MONEY_MAX): checkout would fail on it anyway."""
    line_total = quantize_money(product.effective_price * quantity)
    others = sum(
        (line.line_total for line in cart_lines(cart=cart) if line.product.pk != product.pk),
        Decimal("0"),
    )
    if money_fits(line_total) and money_fits(others + line_total):
        return
    message = (
        f"This quantity would bring the cart's total over {MONEY_MAX} {product.currency}, "
        "the largest amount an order can hold."
    )
    raise BusinessValidationError({"quantity": [message]}, message)


# --- finding (or making) the caller's cart ----------------------------------------------


@transaction.atomic
def cart_guest_create() -> Cart:
    """A new guest cart with a fresh random token. Raises nothing."""
    return Cart.objects.create(token=secrets.token_urlsafe(TOKEN_BYTES))


@transaction.atomic
def cart_user_get_or_create(*, user) -> Cart:
    """The user's one cart, created on first use. Raises nothing: a concurrent request
    that created it first wins the unique constraint, and get_or_create then reads its
    row."""
    cart, _ = Cart.objects.get_or_create(user=user)
    return cart


@transaction.atomic
def cart_merge_guest(*, user, token: str | None) -> Cart | None:
    """Move the lines of the guest cart known by `token` into `user`'s cart (quantities
    summed and capped at stock; lines of unavailable products or of another currency
    dropped) and delete the guest cart. Returns the user's cart, or None when there was
    no such guest cart. Raises nothing."""
    guest = cart_guest_get(token=token)
    if guest is None:
        return None
    user_cart = cart_user_get_or_create(user=user)
    # Both rows locked in one statement, in primary-key order: every merge takes them in
    # the same order, so two merges (or a merge and a write to one of the carts) cannot
    # deadlock.
    # A request that waited here for another merge of the same token finds the guest
    # row gone and merges nothing: the lines move exactly once.
    locked = {
        cart.pk: cart
        for cart in Cart.objects.select_for_update()
        .filter(pk__in=[guest.pk, user_cart.pk])
        .order_by("pk")
    }
    guest, user_cart = locked.get(guest.pk), locked[user_cart.pk]
    if guest is None:
        return user_cart

    lines = {item.product_id: item for item in user_cart.items.select_related("product")}
    currency = next((item.product.currency for item in lines.values()), None)
    for guest_item in guest.items.select_related("product__store").order_by("created_at", "id"):
        product = guest_item.product
        if not product_is_available(product):
            continue
        if currency is None:
            currency = product.currency
        elif product.currency != currency:
            continue
        line = lines.get(product.pk)
        held = line.quantity if line else 0
        merged = min(held + guest_item.quantity, product.stock_quantity)
        if merged <= held:
            continue  # nothing left to add: out of stock, or already at the stock level
        if line is None:
            # Moved, not copied: the line keeps its id, so a client that still holds it
            # can go on changing it after logging in.
            guest_item.cart, guest_item.quantity = user_cart, merged
            guest_item.save(update_fields=["cart", "quantity", "updated_at"])
            lines[product.pk] = guest_item
        else:
            line.quantity = merged
            line.save(update_fields=["quantity", "updated_at"])
    if user_cart.coupon_id is None and guest.coupon_id is not None:
        # The coupon entered before logging in comes along; the user's own wins. Whether
        # it still applies (the per-user limit is now known) shows in the cart's totals.
        user_cart.coupon_id = guest.coupon_id
        user_cart.save(update_fields=["coupon", "updated_at"])
    guest.delete()
    _touch(user_cart)
    return user_cart


@overload
def cart_for_request(*, user, token: str | None, create: Literal[True]) -> Cart: ...
@overload
def cart_for_request(*, user, token: str | None, create: bool) -> Cart | None: ...
def cart_for_request(*, user, token: str | None, create: bool) -> Cart | None:
    """The cart a request works on. An authenticated caller gets their own cart, into
    which a guest cart they send the token of is merged first; a guest gets the cart of
    their token. With `create`, a missing cart is made (a guest then gets a new token);
    without it the answer may be None. Raises nothing."""
    # Not atomic itself: a plain read opens no transaction, and each write it may do
    # (merge, creation) is one atomic service of its own.
    if user is not None and user.is_authenticated:
        cart = cart_merge_guest(user=user, token=token) if token else None
        if cart is None:
            cart = cart_user_get_or_create(user=user) if create else cart_user_get(user=user)
        return cart
    cart = cart_guest_get(token=token)
    if cart is None and create:
        cart = cart_guest_create()
    return cart


@transaction.atomic
def cart_add_item_for_request(*, user, token: str | None, product_id: UUID, quantity: int) -> Cart:
    """cart_add_item on the cart a request works on (see cart_for_request), made when
    missing, in one transaction: a refused line leaves no new empty guest cart behind.
    Returns the cart. Raises what cart_add_item raises."""
    cart = cart_for_request(user=user, token=token, create=True)
    cart_add_item(cart=cart, product_id=product_id, quantity=quantity)
    return cart


@transaction.atomic
def cart_coupon_apply_for_request(*, user, token: str | None, code: str) -> Cart:
    """cart_coupon_apply on the cart a request works on, made when missing, in one
    transaction: a refused coupon leaves no new empty guest cart behind. Returns the cart.
    Raises what cart_coupon_apply raises."""
    cart = cart_for_request(user=user, token=token, create=True)
    return cart_coupon_apply(cart=cart, code=code)


# --- changing a cart --------------------------------------------------------------------


@transaction.atomic
def cart_add_item(*, cart: Cart, product_id: UUID, quantity: int) -> CartItem:
    """Add `quantity` of a product to the cart, increasing its line if it has one.
    Raises BusinessValidationError (unknown, inactive or deleted product; another
    currency than the cart's lines; more than the stock; a total an order could not
    hold) or CartGone."""
    cart = _lock(cart)
    product = Product.objects.select_related("store").filter(pk=product_id).first()
    if product is None or not product_is_available(product):
        raise BusinessValidationError({"product_id": [PRODUCT_UNAVAILABLE]}, PRODUCT_UNAVAILABLE)
    currency = cart_currency(cart=cart, exclude_product_id=product.pk)
    if currency is not None and currency != product.currency:
        message = (
            f"This product is priced in {product.currency} and your cart in {currency}; "
            "one cart holds one currency."
        )
        raise BusinessValidationError({"product_id": [message]}, message)
    line = CartItem.objects.filter(cart=cart, product=product).first()
    held = line.quantity if line else 0
    if held + quantity > product.stock_quantity:
        raise _stock_error(product=product, in_cart=held)
    _check_amounts_fit(cart=cart, product=product, quantity=held + quantity)
    if line is None:
        line = CartItem.objects.create(cart=cart, product=product, quantity=quantity)
    else:
        line.quantity = held + quantity
        line.save(update_fields=["quantity", "updated_at"])
    _touch(cart)
    return line


@transaction.atomic
def cart_item_set_quantity(*, cart: Cart, item_id: UUID, quantity: int) -> CartItem:
    """Set a line's quantity (at least 1; removing is cart_item_remove). Raises
    CartItemNotFound, BusinessValidationError (product gone, more than the stock, a total
    an order could not hold) or CartGone."""
    cart = _lock(cart)
    line = CartItem.objects.select_related("product__store").filter(cart=cart, pk=item_id).first()
    if line is None:
        raise CartItemNotFound()
    if quantity < 1:
        raise BusinessValidationError({"quantity": ["The quantity must be at least 1."]})
    if not product_is_available(line.product):
        raise BusinessValidationError(
            {"quantity": [PRODUCT_UNAVAILABLE + " Remove it from your cart."]},
            PRODUCT_UNAVAILABLE,
        )
    if quantity > line.product.stock_quantity:
        raise _stock_error(product=line.product)
    _check_amounts_fit(cart=cart, product=line.product, quantity=quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity", "updated_at"])
    _touch(cart)
    return line


@transaction.atomic
def cart_item_remove(*, cart: Cart, item_id: UUID) -> None:
    """Remove a line from the cart. Raises CartItemNotFound or CartGone."""
    cart = _lock(cart)
    deleted, _ = CartItem.objects.filter(cart=cart, pk=item_id).delete()
    if not deleted:
        raise CartItemNotFound()
    _touch(cart)


@transaction.atomic
def cart_clear(*, cart: Cart) -> None:
    """Remove every line of the cart (the cart itself stays). Raises CartGone."""
    cart = _lock(cart)
    CartItem.objects.filter(cart=cart).delete()
    _touch(cart)


@transaction.atomic
def cart_coupon_apply(*, cart: Cart, code: str) -> Cart:
    """Put the coupon with this code (any case) on the cart, replacing the one it had,
    after checking it against the cart as it is now. Returns the cart. Raises
    BusinessValidationError (an empty cart, answered before the code is looked at),
    CouponNotApplicable (one answer for every code that does not apply, see
    coupons.services.coupon_for_cart) or CartGone."""
    cart = _lock(cart)
    lines = cart_lines(cart=cart)
    if not lines:
        raise BusinessValidationError({"code": [EMPTY_CART_COUPON]}, EMPTY_CART_COUPON)
    coupon = coupon_for_cart(
        code=code,
        user=cart.user if cart.user_id else None,
        subtotal=quantize_money(sum(line.line_total for line in lines)),
        currency=lines[0].product.currency,
    )
    cart.coupon = coupon
    cart.save(update_fields=["coupon", "updated_at"])
    return cart


@transaction.atomic
def cart_coupon_remove(*, cart: Cart) -> Cart:
    """Take the coupon off the cart (nothing happens without one). Returns the cart.
    Raises CartGone."""
    cart = _lock(cart)
    if cart.coupon_id is not None:
        cart.coupon = None
        cart.save(update_fields=["coupon", "updated_at"])
    return cart


@transaction.atomic
def cart_purge_guest_carts(*, older_than_days: int) -> int:
    """Delete guest carts untouched for `older_than_days` days; returns how many. User
    carts are never purged. Raises nothing."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    _, per_model = Cart.objects.filter(user__isnull=True, updated_at__lt=cutoff).delete()
    return per_model.get(Cart._meta.label, 0)
