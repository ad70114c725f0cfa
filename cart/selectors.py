"""Reads of the cart: finding the caller's cart, and pricing it. Prices are never stored on
a cart: every line is priced from its product's current effective price when it is read."""

import re
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects

from cart.models import Cart, CartItem
from catalog.models import Product
from catalog.selectors import product_images_prefetch
from core.money import quantize_money
from coupons.models import Coupon
from coupons.services import coupon_discount, coupon_problem

ZERO = Decimal("0.00")

# secrets.token_urlsafe() output: anything else cannot be a token we issued, so it is
# treated as unknown without reaching the database (no NUL bytes, no 10 kB headers).
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class CartLine:
    """One priced line of a cart."""

    id: UUID
    product: Product
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class CartTotals:
    """What a cart costs now. `discount` is the reduction of the cart's coupon when it
    applies now; `coupon_valid` and `coupon_reason` say whether and why not (None without
    a coupon)."""

    item_count: int
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    currency: str
    coupon: Coupon | None = None
    coupon_valid: bool | None = None
    coupon_reason: str | None = None


@dataclass(frozen=True)
class CartSummary:
    """Everything the cart endpoints show. `id` is None when the caller has no cart yet."""

    id: UUID | None
    token: str | None
    lines: list[CartLine]
    totals: CartTotals


def token_is_well_formed(token: str | None) -> bool:
    return bool(token and _TOKEN_RE.fullmatch(token))


def cart_guest_get(*, token: str | None) -> Cart | None:
    """The guest cart known by `token`. A user's cart is never found by a token (user
    carts have none; the filter says so again)."""
    if not token_is_well_formed(token):
        return None
    return Cart.objects.select_related("coupon").filter(token=token, user__isnull=True).first()


def cart_user_get(*, user) -> Cart | None:
    return Cart.objects.select_related("coupon").filter(user=user).first()


def product_is_available(product: Product) -> bool:
    """Whether a product may be (kept) in a cart: it is on sale (its store approved)."""
    return product.is_sellable


def cart_items_prefetch() -> Prefetch:
    """Lines with their products and the products' images (primary first): three queries
    for the whole cart, whatever its number of lines."""
    images = Prefetch("product__images", queryset=product_images_prefetch().queryset)
    return Prefetch(
        "items",
        queryset=CartItem.objects.select_related("product__store")
        .prefetch_related(images)
        .order_by("created_at", "id"),
    )


def _items(cart: Cart) -> list[CartItem]:
    if "items" in getattr(cart, "_prefetched_objects_cache", {}):
        return list(cart.items.all())
    return list(cart.items.select_related("product__store").order_by("created_at", "id"))


def cart_lines(*, cart: Cart) -> list[CartLine]:
    """The cart's lines priced at their products' current effective price."""
    lines = []
    for item in _items(cart):
        unit_price = item.product.effective_price
        lines.append(
            CartLine(
                id=item.pk,
                product=item.product,
                quantity=item.quantity,
                unit_price=unit_price,
                line_total=quantize_money(unit_price * item.quantity),
            )
        )
    return lines


def _cart_discount(
    *, cart: Cart, coupon: Coupon, subtotal: Decimal, currency: str | None
) -> tuple[Decimal, str | None]:
    """The one place the cart's coupon is priced for its totals: (the discount, None)
    while the coupon applies to the cart as it is now, (0, why not) when it no longer
    does (expired, below its minimum, used up...). Showing the cart never fails for it:
    checkout is where an invalid coupon refuses (checkout.services)."""
    owner = cart.user if cart.user_id else None
    problem = coupon_problem(coupon=coupon, user=owner, subtotal=subtotal, currency=currency)
    if problem is not None:
        return ZERO, problem.message
    return coupon_discount(coupon=coupon, subtotal=subtotal), None


def cart_totals(*, cart: Cart | None, lines: list[CartLine] | None = None) -> CartTotals:
    """Item count, subtotal, discount and total of a cart, in the currency of its lines
    (the store's default for an empty cart). Pass `lines` when already computed."""
    if cart is None:
        lines = []
    elif lines is None:
        lines = cart_lines(cart=cart)
    subtotal = quantize_money(sum((line.line_total for line in lines), ZERO))
    currency = lines[0].product.currency if lines else None
    coupon = cart.coupon if cart is not None and cart.coupon_id else None
    discount, coupon_reason = ZERO, None
    if cart is not None and coupon is not None:
        discount, coupon_reason = _cart_discount(
            cart=cart, coupon=coupon, subtotal=subtotal, currency=currency
        )
    discount = min(quantize_money(discount), subtotal)
    return CartTotals(
        item_count=sum(line.quantity for line in lines),
        subtotal=subtotal,
        discount=discount,
        total=quantize_money(subtotal - discount),
        currency=currency or settings.DEFAULT_CURRENCY,
        coupon=coupon,
        coupon_valid=None if coupon is None else coupon_reason is None,
        coupon_reason=coupon_reason,
    )


def cart_currency(*, cart: Cart, exclude_product_id: UUID | None = None) -> str | None:
    """The currency of the cart's lines, or None when it has none (besides the excluded
    product's)."""
    items = cart.items.all()
    if exclude_product_id is not None:
        items = items.exclude(product_id=exclude_product_id)
    return items.values_list("product__currency", flat=True).first()


def cart_summary(*, cart: Cart | None) -> CartSummary:
    """The representation of a cart (or of the empty cart of a caller who has none)."""
    if cart is None:
        return CartSummary(id=None, token=None, lines=[], totals=cart_totals(cart=None))
    prefetch_related_objects([cart], cart_items_prefetch())
    lines = cart_lines(cart=cart)
    return CartSummary(
        id=cart.pk, token=cart.token, lines=lines, totals=cart_totals(cart=cart, lines=lines)
    )
