"""The demo's past orders: M orders over the last weeks, in every status, with their items,
payments, refunds and coupon redemptions (reviews, wishlists and carts: demo.activity).

Historical orders are written directly with bulk_create, NOT through checkout
(checkout.services.order_place): checkout turns the caller's cart of *now* into an order,
deducts stock, claims the coupon and queues emails, whereas these rows record what
happened over the last weeks. The stock those orders sold was restocked since, so they
leave stock alone and a re-run can never deduct it again. The one exception: the few
pending orders of the last hour still hold their stock, and the expiry job gives it back
when it cancels them; so each takes its stock once, when it is created.

Every row gets an id derived from its demo number (demo.rows.demo_id), so a second run
finds them all and adds nothing, and `--orders 500` after `--orders 300` adds exactly the
200 missing orders, like the products. The history is bounded whatever N is (a few hundred
orders about a pool of at most PRODUCT_POOL products), so the million-product run only
pays for a few thousand rows more.
"""

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import ADDRESS_FIELDS, User
from catalog.models import Product
from core.money import quantize_money
from coupons.models import Coupon, CouponKind, CouponRedemption
from coupons.services import coupon_discount
from demo.marketplace_seed import fulfilment_rows, ledger_rows, parts_plan, parts_stamp
from demo.rows import create_with_timestamps, demo_id, demo_random
from earnings.models import LedgerEntry
from earnings.selectors import commission_schedule
from orders.models import Fulfilment, Order, OrderItem, OrderStatus
from payments.models import Payment, PaymentStatus, Refund
from payments.providers.fake import FakeProvider

HISTORY_DAYS = 60
# The products the history is about, whatever --products is: the history stays bounded.
PRODUCT_POOL = 120
# Pairs of products often bought together, so "bought together" has something to show.
BUNDLES = 12

CITIES = [
    ("Lyon", "69002", "FR"),
    ("Austin", "78701", "US"),
    ("Leeds", "LS1 4DY", "GB"),
    ("Porto", "4000-322", "PT"),
    ("Denver", "80202", "US"),
    ("Utrecht", "3511 LX", "NL"),
]
CARRIERS = ["UPS", "DHL", "FedEx", "La Poste"]

WELCOME, SAVE5, EXPIRED = "WELCOME10", "SAVE5", "SPRING15"
# (code, description, kind, value, min subtotal, per-user limit, valid from / until in
# days from now; None is open).
DEMO_COUPONS = [
    (WELCOME, "10 % off, once per customer.", CouponKind.PERCENT, "10", "0", 1, -120, None),
    (SAVE5, "5.00 off from 30.00 up.", CouponKind.FIXED, "5.00", "30.00", None, None, None),
    (EXPIRED, "Spring sale, over.", CouponKind.PERCENT, "15", "0", None, -180, -90),
]


@dataclass
class HistoryReport:
    customers: int = 0
    coupons: int = 0
    orders: Counter = field(default_factory=Counter)
    payments: Counter = field(default_factory=Counter)
    redemptions: int = 0
    fulfilments: Counter = field(default_factory=Counter)
    ledger_entries: int = 0
    payouts: int = 0
    reviews: int = 0
    rated_products: int = 0
    wishlists: int = 0
    wishlist_items: int = 0
    carts: int = 0
    skipped: str = ""


def _address(index: int, name: str) -> dict:
    city, postal_code, country = CITIES[index % len(CITIES)]
    address = dict.fromkeys(ADDRESS_FIELDS, "")
    address.update(
        full_name=name,
        line1=f"{10 + index * 7} Demo Street",
        city=city,
        postal_code=postal_code,
        country=country,
    )
    return address


@dataclass
class _Line:
    product: Product
    quantity: int
    unit_price: Decimal

    @property
    def line_total(self) -> Decimal:
        return quantize_money(self.unit_price * self.quantity)


@dataclass
class _OrderPlan:
    number: int
    customer: User
    placed_at: datetime
    status: str
    lines: list[_Line]
    payment: str | None  # a PaymentStatus, or None when the customer never paid
    refund_share: Decimal = Decimal("0")
    coupon_roll: float = 1.0
    coupon: Coupon | None = None
    stamps: dict = field(default_factory=dict)
    parts: list = field(default_factory=list)
    refunded: Decimal = Decimal("0.00")

    @property
    def id(self) -> uuid.UUID:
        return demo_id("order", self.number)

    @property
    def currency(self) -> str:
        return self.lines[0].product.currency

    @property
    def subtotal(self) -> Decimal:
        return quantize_money(sum((line.line_total for line in self.lines), Decimal("0")))

    @property
    def discount(self) -> Decimal:
        if self.coupon is None:
            return Decimal("0.00")
        return coupon_discount(coupon=self.coupon, subtotal=self.subtotal)

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    @property
    def redeemed(self) -> bool:
        # A cancelled order gave its coupon use back (coupons.services.coupon_release).
        return self.coupon is not None and self.status != OrderStatus.CANCELLED


@transaction.atomic
def coupons_ensure() -> tuple[dict[str, Coupon], int]:
    """The DEMO_COUPONS by code, created when missing; and how many were created."""
    coupons, created = {}, 0
    now = timezone.now()
    for code, description, kind, value, minimum, per_user, since, until in DEMO_COUPONS:
        coupon, made = Coupon.objects.get_or_create(
            code=code,
            defaults={
                "description": description,
                "kind": kind,
                "value": Decimal(value),
                "currency": settings.DEFAULT_CURRENCY,
                "min_subtotal": Decimal(minimum),
                "per_user_limit": per_user,
                "valid_from": now + timedelta(days=since) if since is not None else None,
                "valid_until": now + timedelta(days=until) if until is not None else None,
            },
        )
        coupons[code] = coupon
        created += made
    return coupons, created


@transaction.atomic
def coupon_uses_recount(*, coupons: list[Coupon]) -> None:
    """Set each coupon's times_used from its redemptions, so the two always agree."""
    uses = (
        CouponRedemption.objects.filter(coupon=OuterRef("pk"))
        .order_by()
        .values("coupon")
        .annotate(n=Count("id"))
        .values("n")
    )
    Coupon.objects.filter(pk__in=[coupon.pk for coupon in coupons]).update(
        times_used=Coalesce(Subquery(uses, output_field=IntegerField()), Value(0))
    )


class History:
    """Plans the demo history from fixed seeds and writes what is missing; demo.activity
    adds what the same customers did besides buying."""

    def __init__(self, *, customers: list[User], staff: User, orders: int):
        self.customers = customers
        self.staff = staff
        self.order_count = orders
        self.now = timezone.now()
        self.report = HistoryReport()
        self.pool: list[Product] = []

    # --- the pool of products ---------------------------------------------------------

    def load_pool(self) -> bool:
        """Load the products the history is about; False when there is none."""
        # By primary key: an index walk, cheap on a million products, the same on every
        # run, and (random UUIDs) a mix of brands and categories.
        pool = list(
            Product.objects.filter(is_active=True, is_deleted=False)
            .order_by("pk")
            .only(
                "id",
                "name",
                "slug",
                "price",
                "currency",
                "discount_percent",
                "discount_starts_at",
                "discount_ends_at",
                "stock_quantity",
                "store_id",
                "category_id",
            )[:PRODUCT_POOL]
        )
        if not pool:
            return False
        demo_random("popularity").shuffle(pool)
        self.pool = pool
        # A long tail: the first products of the shuffled pool sell far more than the last.
        self.weights = [1 / (rank + 1) ** 0.8 for rank in range(len(pool))]
        self.bundles = [(pool[2 * i], pool[2 * i + 1]) for i in range(min(BUNDLES, len(pool) // 2))]
        return True

    def pick(self, rng: random.Random, *, currency: str | None = None, min_stock: int = 0):
        """A product of the pool, popular ones more often; None when none qualifies."""
        candidates = [
            (product, weight)
            for product, weight in zip(self.pool, self.weights, strict=True)
            if (currency is None or product.currency == currency)
            and product.stock_quantity >= min_stock
        ]
        if not candidates:
            return None
        products, weights = zip(*candidates, strict=True)
        return rng.choices(products, weights)[0]

    # --- planning ---------------------------------------------------------------------

    def _plan(self, number: int) -> _OrderPlan | None:
        rng = demo_random("order", number)
        customer = self.customers[rng.randrange(len(self.customers))]
        age = timedelta(days=rng.uniform(0.02, HISTORY_DAYS))
        refund_share = Decimal("0")
        roll = rng.random()
        if roll < 0.05:
            # Unpaid, within the last hour: an older one would have expired already.
            status, age = OrderStatus.PENDING, timedelta(minutes=rng.uniform(2, 50))
            payment = PaymentStatus.FAILED if rng.random() < 0.3 else None
        elif roll < 0.18:
            status, outcome = OrderStatus.CANCELLED, rng.random()
            if outcome < 0.4:  # declined, then expired
                payment = PaymentStatus.FAILED
            elif outcome < 0.7:  # paid, then cancelled and refunded in full
                payment, refund_share = PaymentStatus.REFUNDED, Decimal("1")
            else:  # never paid, expired
                payment = None
        else:
            status = (
                OrderStatus.PAID
                if age < timedelta(days=2)
                else OrderStatus.SHIPPED
                if age < timedelta(days=7)
                else OrderStatus.DELIVERED
            )
            payment = PaymentStatus.SUCCEEDED
            if status == OrderStatus.DELIVERED and rng.random() < 0.06:
                payment, refund_share = PaymentStatus.PARTIALLY_REFUNDED, Decimal("0.2")

        lines = self._lines(rng, pending=status == OrderStatus.PENDING)
        if not lines:
            return None
        return _OrderPlan(
            number=number,
            customer=customer,
            placed_at=self.now - age,
            status=status,
            lines=lines,
            payment=payment,
            refund_share=refund_share,
            coupon_roll=rng.random(),
        )

    def _lines(self, rng: random.Random, *, pending: bool) -> list[_Line]:
        # A pending order takes its stock now: only products with enough of it, one each.
        min_stock = 3 if pending else 0
        first = self.pick(rng, min_stock=min_stock)
        if first is None:
            return []
        chosen = [first]
        if self.bundles and not pending and rng.random() < 0.35:
            pair = rng.choices(self.bundles, self.weights[: len(self.bundles)])[0]
            if pair[0].currency == pair[1].currency:
                chosen = list(pair)
        for _ in range(rng.choices([0, 1, 2], [55, 30, 15])[0]):
            extra = self.pick(rng, currency=chosen[0].currency, min_stock=min_stock)
            if extra is not None and extra not in chosen:
                chosen.append(extra)
        return [
            _Line(
                product=product,
                quantity=1 if pending else rng.choices([1, 2, 3], [75, 20, 5])[0],
                unit_price=quantize_money(product.effective_price),
            )
            for product in chosen
        ]

    def _assign_coupons(self, plans: list[_OrderPlan], coupons: dict[str, Coupon]) -> None:
        """In order of time: WELCOME10 once per customer, SAVE5 above its minimum."""
        welcome, save5 = coupons[WELCOME], coupons[SAVE5]
        used_welcome = set(
            CouponRedemption.objects.filter(coupon=welcome).values_list("user_id", flat=True)
        )
        for plan in sorted(plans, key=lambda plan: plan.placed_at):
            if plan.coupon_roll < 0.12 and plan.customer.pk not in used_welcome:
                plan.coupon = welcome
                if plan.redeemed:
                    used_welcome.add(plan.customer.pk)
            elif (
                plan.coupon_roll < 0.3
                and plan.currency == save5.currency
                and plan.subtotal >= save5.min_subtotal
            ):
                plan.coupon = save5

    def _stamp(self, plan: _OrderPlan) -> None:
        """The timestamps of each step the order went through, none in the future."""
        rng = demo_random("order-steps", plan.number)

        def after(moment: datetime, **delta) -> datetime:
            return min(moment + timedelta(**delta), self.now)

        placed = plan.placed_at
        stamps = {"payment": after(placed, minutes=2)}
        if plan.payment in (
            PaymentStatus.SUCCEEDED,
            PaymentStatus.REFUNDED,
            PaymentStatus.PARTIALLY_REFUNDED,
        ):
            stamps["paid"] = after(placed, minutes=3)
        if plan.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            stamps["shipped"] = after(stamps["paid"], hours=rng.uniform(12, 40))
        if plan.status == OrderStatus.DELIVERED:
            stamps["delivered"] = after(stamps["shipped"], hours=rng.uniform(30, 90))
        if plan.status == OrderStatus.CANCELLED:
            stamps["cancelled"] = (
                after(stamps["paid"], hours=rng.uniform(1, 20))
                if "paid" in stamps
                else after(placed, minutes=settings.ORDER_UNPAID_EXPIRY_MINUTES)
            )
        if plan.refund_share:
            stamps["refund"] = stamps.get("cancelled") or after(
                stamps["delivered"], days=rng.uniform(1, 4)
            )
        stamps["updated"] = max(stamps.values())
        plan.stamps = stamps

    def _hold_stock(self, plan: _OrderPlan) -> bool:
        """Take a new pending order's stock once (see the module docstring)."""
        taken = []
        for line in plan.lines:
            updated = Product.objects.filter(
                pk=line.product.pk, stock_quantity__gte=line.quantity
            ).update(stock_quantity=F("stock_quantity") - line.quantity)
            if not updated:
                for product, quantity in taken:
                    Product.objects.filter(pk=product.pk).update(
                        stock_quantity=F("stock_quantity") + quantity
                    )
                return False
            taken.append((line.product, line.quantity))
        return True

    # --- writing ----------------------------------------------------------------------

    def write_orders(self, coupons: dict[str, Coupon]) -> list[uuid.UUID]:
        """Create the missing demo orders; returns the ids of all demo orders."""
        plans = [plan for n in range(1, self.order_count + 1) if (plan := self._plan(n))]
        ids = [plan.id for plan in plans]
        existing = set(Order.objects.filter(pk__in=ids).values_list("pk", flat=True))
        new = [plan for plan in plans if plan.id not in existing]
        self._assign_coupons(new, coupons)
        schedule = commission_schedule()
        for plan in new:
            if plan.status == OrderStatus.PENDING and not self._hold_stock(plan):
                # Sold out meanwhile: the customer gave up on it.
                plan.status, plan.payment = OrderStatus.CANCELLED, None
            self._stamp(plan)
            self._split(plan, schedule)

        orders, parts, items, payments, refunds, redemptions = [], [], [], [], [], []
        ledger = []
        for plan in new:
            order = self._order(plan)
            orders.append(order)
            parts.extend(fulfilment_rows(order=order, parts=plan.parts, currency=plan.currency))
            items.extend(self._items(plan, order))
            ledger.extend(
                ledger_rows(
                    parts=plan.parts, currency=plan.currency, refund_at=plan.stamps.get("refund")
                )
            )
            if plan.payment is not None:
                payments.append(self._payment(plan, order))
                if plan.refunded:
                    refunds.append(self._refund(plan, payments[-1]))
            if plan.redeemed:
                redemption = CouponRedemption(
                    id=demo_id("order", plan.number, "redemption"),
                    coupon=plan.coupon,
                    user=plan.customer,
                    order=order,
                    amount=plan.discount,
                )
                redemption.created_at = redemption.updated_at = plan.placed_at
                redemptions.append(redemption)
            self.report.orders[plan.status] += 1
            if plan.payment is not None:
                self.report.payments[plan.payment] += 1
            for part in plan.parts:
                self.report.fulfilments[part.status] += 1
        self.report.redemptions = len(redemptions)
        self.report.ledger_entries = len(ledger)

        for model, rows in (
            (Order, orders),
            (Fulfilment, parts),
            (OrderItem, items),
            (Payment, payments),
            (Refund, refunds),
            (CouponRedemption, redemptions),
            (LedgerEntry, ledger),
        ):
            create_with_timestamps(model, rows)
        return ids

    def _split(self, plan: _OrderPlan, schedule) -> None:
        """One part per store, with its commission, coupon share, status and refund."""
        plan.parts = parts_plan(
            number=plan.number, lines=plan.lines, discount=plan.discount, schedule=schedule
        )
        refunded = quantize_money(plan.total * plan.refund_share)
        plan.refunded = parts_stamp(
            parts=plan.parts,
            status=plan.status,
            stamps=plan.stamps,
            refunded=refunded,
            rng=demo_random("order-parts", plan.number),
            now=self.now,
        )
        if plan.refunded and not plan.refund_share:
            # A store cancelled its part of a paid order: its share came back.
            plan.payment = PaymentStatus.PARTIALLY_REFUNDED
            plan.stamps["refund"] = plan.parts[0].stamps["cancelled"]
            plan.stamps["updated"] = max(plan.stamps["updated"], plan.stamps["refund"])

    def _order(self, plan: _OrderPlan) -> Order:
        name = f"{plan.customer.profile.first_name} {plan.customer.profile.last_name}"
        stamps = plan.stamps
        order = Order(
            id=plan.id,
            user=plan.customer,
            email=plan.customer.email,
            status=plan.status,
            currency=plan.currency,
            subtotal=plan.subtotal,
            discount_total=plan.discount,
            total=plan.total,
            coupon_code=plan.coupon.code if plan.coupon else "",
            shipping_address=_address(self.customers.index(plan.customer), name.strip()),
            paid_at=stamps.get("paid"),
            shipped_at=stamps.get("shipped"),
            delivered_at=stamps.get("delivered"),
            cancelled_at=stamps.get("cancelled"),
            cancel_reason=(
                ""
                if plan.status != OrderStatus.CANCELLED
                else "Changed my mind"
                if "paid" in stamps
                else "expired"
            ),
            tracking_number=f"DEMO{plan.number:08d}" if "shipped" in stamps else "",
            carrier=CARRIERS[plan.number % len(CARRIERS)] if "shipped" in stamps else "",
        )
        order.created_at, order.updated_at = plan.placed_at, stamps["updated"]
        return order

    def _items(self, plan: _OrderPlan, order: Order) -> list[OrderItem]:
        items = []
        for part in plan.parts:
            for position, line, rate, commission in part.lines:
                item = OrderItem(
                    id=demo_id("order", plan.number, "item", position),
                    order=order,
                    fulfilment_id=part.id,
                    product=line.product,
                    product_name=line.product.name,
                    product_slug=line.product.slug,
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                    line_total=line.line_total,
                    commission_rate=rate,
                    commission_amount=commission,
                )
                item.created_at = item.updated_at = plan.placed_at
                items.append(item)
        return items

    def _payment(self, plan: _OrderPlan, order: Order) -> Payment:
        succeeded = "paid" in plan.stamps
        payment = Payment(
            id=demo_id("order", plan.number, "payment"),
            order=order,
            user=plan.customer,
            provider=FakeProvider.name,
            status=plan.payment,
            amount=plan.total,
            currency=plan.currency,
            amount_refunded=plan.refunded,
            provider_reference=f"fake_ch_{demo_id('charge', plan.number).hex}",
            failure_reason="" if succeeded else "card_declined",
            succeeded_at=plan.stamps.get("paid"),
        )
        payment.created_at = plan.stamps["payment"]
        payment.updated_at = max(
            plan.stamps.get(step) or payment.created_at for step in ("paid", "refund")
        )
        return payment

    def _refund(self, plan: _OrderPlan, payment: Payment) -> Refund:
        refund = Refund(
            id=demo_id("order", plan.number, "refund"),
            payment=payment,
            amount=payment.amount_refunded,
            reason="Order cancelled"
            if plan.status == OrderStatus.CANCELLED
            else "Damaged item"
            if plan.refund_share
            else "A store cancelled its part",
            provider_reference=f"fake_re_{demo_id('refund', plan.number).hex}",
            created_by=self.staff,
        )
        refund.created_at = refund.updated_at = plan.stamps["refund"]
        return refund
