"""The metrics of the dashboard, each read with aggregate SQL: a fixed handful of queries
whatever the number of orders, items, payments, carts or products. Python only touches the
aggregated rows (a few per status and currency) and the top-N lists.

Staff see every order. A seller sees the same figures restricted to the order items of the
products they created: their revenue is the sum of those line totals, their orders are the
orders holding at least one of those items. An item whose product was later deleted for
good has no product any more, so it counts for staff (by its snapshot name) but can no
longer be attributed to a seller.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from cart.models import Cart
from catalog.models import Product
from core.money import quantize_money
from core.response_times import response_time_summary
from earnings.models import LedgerEntry, LedgerEntryKind, Payout, PayoutStatus
from earnings.selectors import store_balances
from orders.models import (
    SOLD_STATUSES,
    Fulfilment,
    FulfilmentStatus,
    Order,
    OrderItem,
    OrderStatus,
)
from payments.models import Payment, PaymentStatus
from stores.selectors import store_of

# Payments that reached an outcome; refunded ones had succeeded first.
FINAL_PAYMENT_STATUSES = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.FAILED,
    PaymentStatus.REFUNDED,
    PaymentStatus.PARTIALLY_REFUNDED,
)
SUCCESSFUL_PAYMENT_STATUSES = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.REFUNDED,
    PaymentStatus.PARTIALLY_REFUNDED,
)
LOW_STOCK_LIMIT = 50
RATE_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)

SCOPE_ALL = "all"
SCOPE_SELLER = "seller"

SELLER_CONVERSION_EXPLANATION = (
    "Not computable for a seller: checkout empties the cart, so which carts once held a "
    "seller's products is not recorded. Staff see the store-wide conversion."
)
SELLER_REVENUE_NOTE = (
    "A seller's revenue is the sum of the line totals of their products, before any "
    "order-level coupon discount. Refunds are made on whole orders and are not attributed "
    "to the products in them, so refunds are null and net equals gross."
)
CURRENCY_NOTE = (
    "Amounts are per currency and never added across currencies; amounts are decimal "
    "strings with two places."
)


@dataclass(frozen=True)
class MetricsWindow:
    """Orders, payments and carts created at or after `start` and before `end`."""

    start: datetime
    end: datetime

    @property
    def days(self) -> Decimal:
        seconds = Decimal((self.end - self.start).total_seconds())
        return (seconds / Decimal(86_400)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def q(self, prefix: str = "") -> Q:
        return Q(**{f"{prefix}created_at__gte": self.start, f"{prefix}created_at__lt": self.end})


def metrics_scope_for(*, user) -> str:
    """Staff see everything, even when they are sellers too."""
    return SCOPE_ALL if user.is_staff else SCOPE_SELLER


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator with four places, None when there is nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, ROUND_HALF_UP)


# --- the queries ------------------------------------------------------------------------


def _order_rows(*, window: MetricsWindow, seller) -> QuerySet:
    """One row per (status, currency) of the orders placed in the window: order count,
    gross amount and (staff) refunded amount."""
    if seller is None:
        return (
            Order.objects.filter(window.q())
            .values("status", "currency")
            .annotate(
                orders=Count("id"),
                gross=Coalesce(Sum("total"), Value(ZERO), output_field=_MONEY),
                # Payment is one per order: the join cannot count an order twice.
                refunds=Coalesce(Sum("payment__amount_refunded"), Value(ZERO), output_field=_MONEY),
            )
            .order_by()
        )
    return (
        OrderItem.objects.filter(window.q("order__"), product__store__owner=seller)
        .values(status=F("order__status"), currency=F("order__currency"))
        .annotate(
            orders=Count("order_id", distinct=True),
            gross=Coalesce(Sum("line_total"), Value(ZERO), output_field=_MONEY),
        )
        .order_by()
    )


def _payment_counts(*, window: MetricsWindow, seller) -> dict:
    payments = Payment.objects.filter(window.q())
    distinct = False
    if seller is not None:
        # An order holding several of the seller's items joins several times: count once.
        payments = payments.filter(order__items__product__store__owner=seller)
        distinct = True
    return payments.aggregate(
        successful=Count("id", filter=Q(status__in=SUCCESSFUL_PAYMENT_STATUSES), distinct=distinct),
        final=Count("id", filter=Q(status__in=FINAL_PAYMENT_STATUSES), distinct=distinct),
    )


def _sold_items(*, window: MetricsWindow, seller) -> QuerySet:
    """Items of the window's revenue orders, grouped per product and currency. A product
    deleted since is grouped by the name it was sold under."""
    items = OrderItem.objects.filter(window.q("order__"), order__status__in=SOLD_STATUSES)
    if seller is not None:
        items = items.filter(product__store__owner=seller)
    return (
        items.annotate(
            snapshot_key=Case(
                When(product__isnull=True, then=F("product_name")),
                default=Value(""),
                output_field=CharField(),
            )
        )
        .values("product_id", "snapshot_key", currency=F("order__currency"))
        .annotate(
            units=Sum("quantity"),
            revenue=Coalesce(Sum("line_total"), Value(ZERO), output_field=_MONEY),
            # The product's current name while it exists, else the name it was sold under.
            name=Coalesce(Max("product__name"), Max("product_name")),
        )
    )


def _top_by_units(*, window: MetricsWindow, seller, top: int) -> list[dict]:
    rows = _sold_items(window=window, seller=seller).order_by(
        "-units", "-revenue", "name", "snapshot_key"
    )
    return [_product_row(row) for row in rows[:top]]


def _top_by_revenue(*, window: MetricsWindow, seller, top: int) -> list[dict]:
    """The top N of each currency: revenues in different currencies are not comparable."""
    rows = (
        _sold_items(window=window, seller=seller)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("order__currency")],
                order_by=[F("revenue").desc(), F("units").desc(), F("name").asc()],
            )
        )
        .filter(rank__lte=top)
        .order_by("currency", "rank")
    )
    return [_product_row(row) for row in rows]


def _product_row(row: dict) -> dict:
    return {
        "product_id": row["product_id"],
        "name": row["name"],
        "currency": row["currency"],
        "units": row["units"],
        "revenue": quantize_money(row["revenue"]),
    }


def _low_stock(*, seller, threshold: int) -> list:
    products = Product.objects.filter(
        is_active=True, is_deleted=False, stock_quantity__lte=threshold
    )
    if seller is not None:
        products = products.filter(store__owner=seller)
    rows = products.order_by("stock_quantity", "name").values("id", "name", "stock_quantity")
    return list(rows[:LOW_STOCK_LIMIT])


# --- the figures ------------------------------------------------------------------------


# --- the marketplace's money -------------------------------------------------------------

# A store's part that was paid for and not cancelled: what it sold.
_SOLD_PARTS = (FulfilmentStatus.PAID, FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED)
_EARNING_KINDS = (
    LedgerEntryKind.SALE,
    LedgerEntryKind.REFUND,
    LedgerEntryKind.COMMISSION_REVERSAL,
)


def _store_sales(*, window: MetricsWindow, store_id) -> dict[str, dict]:
    """Per currency, the store's parts of orders placed in the window that it sold: gross
    sales (its line totals), the commission on them, what was refunded of them, and its net
    earnings on every part of the window (its ledger: sales less refunds and the commission
    given back). Two queries."""
    parts = (
        Fulfilment.objects.filter(window.q(), store_id=store_id, status__in=_SOLD_PARTS)
        .values("currency")
        .annotate(
            gross=Coalesce(Sum("subtotal"), Value(ZERO), output_field=_MONEY),
            commission=Coalesce(Sum("commission"), Value(ZERO), output_field=_MONEY),
            refunds=Coalesce(Sum("refunded"), Value(ZERO), output_field=_MONEY),
        )
        .order_by()
    )
    earned = (
        LedgerEntry.objects.filter(
            window.q("fulfilment__"), store_id=store_id, kind__in=_EARNING_KINDS
        )
        .values("currency")
        .annotate(net=Coalesce(Sum("amount"), Value(ZERO), output_field=_MONEY))
        .order_by()
    )
    sales: dict[str, dict] = {}
    for row in parts:
        sales.setdefault(row["currency"], _no_sales()).update(
            gross_sales=quantize_money(row["gross"]),
            commission=quantize_money(row["commission"]),
            refunds=quantize_money(row["refunds"]),
        )
    for entry in earned:
        sales.setdefault(entry["currency"], _no_sales())["net_earnings"] = quantize_money(
            entry["net"]
        )
    return dict(sorted(sales.items())) or {settings.DEFAULT_CURRENCY: _no_sales()}


def _seller_marketplace(*, user, window: MetricsWindow) -> dict:
    store = store_of(user=user)
    if store is None:
        return {"sales": {settings.DEFAULT_CURRENCY: _no_sales()}, "balance": {}}
    balances = {
        b.currency: {"pending": b.pending, "available": b.available, "paid_out": b.paid_out}
        for b in store_balances(store_id=store.pk)
    }
    return {"sales": _store_sales(window=window, store_id=store.pk), "balance": balances}


def _no_sales() -> dict:
    return {"gross_sales": ZERO, "commission": ZERO, "refunds": ZERO, "net_earnings": ZERO}


def _staff_marketplace(*, window: MetricsWindow) -> dict:
    """Per currency, the commission the platform kept on the parts sold in the window (less
    what it gave back on their refunds), and the payouts paid to stores in the window."""
    kept = (
        Fulfilment.objects.filter(window.q(), status__in=_SOLD_PARTS)
        .values("currency")
        .annotate(total=Coalesce(Sum("commission"), Value(ZERO), output_field=_MONEY))
        .order_by()
    )
    given_back = (
        LedgerEntry.objects.filter(
            window.q("fulfilment__"),
            fulfilment__status__in=_SOLD_PARTS,
            kind=LedgerEntryKind.COMMISSION_REVERSAL,
        )
        .values("currency")
        .annotate(total=Coalesce(Sum("amount"), Value(ZERO), output_field=_MONEY))
        .order_by()
    )
    commission: dict[str, Decimal] = {}
    for row in kept:
        commission[row["currency"]] = commission.get(row["currency"], ZERO) + row["total"]
    for row in given_back:
        commission[row["currency"]] = commission.get(row["currency"], ZERO) - row["total"]
    payouts = (
        Payout.objects.filter(
            status=PayoutStatus.PAID, paid_at__gte=window.start, paid_at__lt=window.end
        )
        .values("currency")
        .annotate(
            count=Count("id"), amount=Coalesce(Sum("amount"), Value(ZERO), output_field=_MONEY)
        )
        .order_by("currency")
    )
    return {
        "commission_earned": {
            currency: quantize_money(amount) for currency, amount in sorted(commission.items())
        }
        or {settings.DEFAULT_CURRENCY: ZERO},
        "payouts_made": {
            row["currency"]: {"count": row["count"], "amount": quantize_money(row["amount"])}
            for row in payouts
        }
        or {settings.DEFAULT_CURRENCY: {"count": 0, "amount": ZERO}},
    }


def metrics_compute(*, user, window: MetricsWindow, top: int, low_stock_threshold: int) -> dict:
    """Every dashboard figure for the caller (staff: the store; a seller: their products),
    in the shape of dashboard.serializers.MetricsSerializer."""
    scope = metrics_scope_for(user=user)
    seller = None if scope == SCOPE_ALL else user

    by_status = dict.fromkeys(OrderStatus.values, 0)
    revenue: dict[str, dict] = {}
    for row in _order_rows(window=window, seller=seller):
        by_status[row["status"]] += row["orders"]
        if row["status"] not in SOLD_STATUSES:
            continue
        figures = revenue.setdefault(row["currency"], {"orders": 0, "gross": ZERO, "refunds": ZERO})
        figures["orders"] += row["orders"]
        figures["gross"] += row["gross"]
        figures["refunds"] += row.get("refunds", ZERO)

    if not revenue:
        # A window without sales still has figures to draw: zero, in the store's currency.
        revenue[settings.DEFAULT_CURRENCY] = {"orders": 0, "gross": ZERO, "refunds": ZERO}
    for figures in revenue.values():
        figures["gross"] = quantize_money(figures["gross"])
        if seller is None:
            figures["refunds"] = quantize_money(figures["refunds"])
            figures["net"] = figures["gross"] - figures["refunds"]
        else:
            figures["refunds"] = None
            figures["net"] = figures["gross"]
    revenue = dict(sorted(revenue.items()))
    average_order_value = {
        currency: quantize_money(figures["gross"] / figures["orders"])
        if figures["orders"]
        else ZERO
        for currency, figures in revenue.items()
    }

    placed = sum(by_status.values())
    payments = _payment_counts(window=window, seller=seller)
    if seller is None:
        carts = Cart.objects.filter(window.q()).count()
        conversion = {
            "rate": ratio(placed, carts),
            "orders": placed,
            "carts": carts,
            "explanation": "",
        }
    else:
        conversion = {
            "rate": None,
            "orders": placed,
            "carts": None,
            "explanation": SELLER_CONVERSION_EXPLANATION,
        }

    notes = [CURRENCY_NOTE]
    if seller is not None:
        notes.append(SELLER_REVENUE_NOTE)
    # How fast the API answers is the store's figure, not a seller's.
    response_time = (
        response_time_summary(start=window.start, end=window.end) if seller is None else None
    )
    return {
        "scope": scope,
        "window": {"from": window.start, "to": window.end, "days": window.days},
        "notes": notes,
        "revenue": revenue,
        "average_order_value": average_order_value,
        "orders_by_status": by_status,
        "order_completion_rate": ratio(
            by_status[OrderStatus.DELIVERED], placed - by_status[OrderStatus.PENDING]
        ),
        "payment_success_rate": ratio(payments["successful"], payments["final"]),
        "payments": payments,
        "cart_to_order_conversion": conversion,
        "top_products": {
            "by_units": _top_by_units(window=window, seller=seller, top=top),
            "by_revenue": _top_by_revenue(window=window, seller=seller, top=top),
        },
        "low_stock": {
            "threshold": low_stock_threshold,
            "products": _low_stock(seller=seller, threshold=low_stock_threshold),
        },
        "api_response_time": response_time,
        "marketplace": (
            _staff_marketplace(window=window)
            if seller is None
            else _seller_marketplace(user=user, window=window)
        ),
    }
