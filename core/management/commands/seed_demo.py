"""`manage.py seed_demo --products N --orders M`: demo users, a category tree, brands and N
products, then a bounded demo history (customers, M past orders with payments, coupons,
reviews, wishlists and carts) so that metrics and recommendations show real figures.

Built for N = 1,000,000 on PostgreSQL: products are generated lazily in batches and
written with `bulk_create`, slugs are computed in Python (no per-row queries), and only
one existence query is made per batch. Running it again creates nothing twice: product
number i always gets the same name and slug, and a batch's indices whose slug already
exists are skipped, so `--products 1000` after `--products 200` adds exactly 800.

The history is bounded whatever N is (a few hundred orders about a pool of at most
PRODUCT_POOL products), so the million-product run only pays for a few thousand rows more.
"""

import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import ADDRESS_FIELDS, Profile, User
from cart.models import Cart, CartItem
from catalog.cache import catalog_taxonomy_changed
from catalog.models import Brand, Category, Product
from catalog.services import product_search_reindex, search_terms_rebuild
from core.money import quantize_money
from coupons.models import Coupon, CouponKind, CouponRedemption
from orders.models import Order, OrderItem, OrderStatus
from payments.models import Payment, PaymentStatus, Refund
from payments.providers.fake import FakeProvider
from recommendations.services import recommendations_compute
from reviews.models import Review, ReviewStatus
from wishlist.models import Wishlist, WishlistItem

# --- Demo data ------------------------------------------------------------------------

# Fixed, printed on every run: these accounts exist for local demos only.
DEMO_USERS = [
    {
        "email": "staff@example.com",
        "password": "Demo-staff-2026",
        "role": "staff (and admin superuser)",
        "fields": {"is_staff": True, "is_superuser": True},
    },
    {
        "email": "seller@example.com",
        "password": "Demo-seller-2026",
        "role": "seller",
        "fields": {"is_seller": True},
    },
    {
        "email": "customer@example.com",
        "password": "Demo-customer-2026",
        "role": "customer",
        "fields": {},
    },
]
SELLER_EMAIL = "seller@example.com"
STAFF_EMAIL = "staff@example.com"
CUSTOMER_EMAIL = "customer@example.com"

# Top-level category -> subcategory -> the product types sold in it.
CATALOG_TREE = {
    "Skincare": {
        "Cleansers": ["Gel Cleanser", "Foaming Cleanser", "Cleansing Balm", "Micellar Water"],
        "Moisturizers": ["Day Cream", "Night Cream", "Gel Moisturizer", "Barrier Cream"],
        "Serums": ["Vitamin C Serum", "Hyaluronic Serum", "Niacinamide Serum", "Retinol Serum"],
        "Sunscreens": ["Mineral Sunscreen SPF 50", "Daily Fluid SPF 30", "Tinted Sunscreen"],
        "Masks": ["Clay Mask", "Sheet Mask", "Overnight Mask"],
        "Eye Care": ["Eye Cream", "Eye Gel", "Under-Eye Patches"],
    },
    "Haircare": {
        "Shampoos": ["Clarifying Shampoo", "Volumizing Shampoo", "Anti-Dandruff Shampoo"],
        "Conditioners": ["Daily Conditioner", "Leave-In Conditioner", "Deep Conditioner"],
        "Hair Treatments": ["Hair Mask", "Scalp Serum", "Hair Oil", "Bond Repair Treatment"],
        "Styling": ["Styling Cream", "Texturizing Spray", "Curl Gel", "Heat Protectant"],
    },
    "Aesthetics": {
        "Chemical Peels": ["Glycolic Peel", "Salicylic Peel", "Lactic Acid Peel"],
        "Microneedling": ["Microneedling Serum", "Derma Roller", "Recovery Ampoule"],
        "Post-Procedure Care": ["Recovery Balm", "Soothing Gel", "Calming Mist"],
        "LED Therapy": ["LED Face Mask", "LED Wand", "Light Therapy Serum"],
    },
}

CATEGORY_DESCRIPTIONS = {
    "Skincare": "Cleansers, moisturizers, serums and sun care for every skin type.",
    "Haircare": "Shampoos, conditioners, treatments and styling.",
    "Aesthetics": "Professional and at-home aesthetic treatments and aftercare.",
}

BRANDS = [
    "Aurelia Labs",
    "Dermaveil",
    "Norde Skin",
    "Clinique Verte",
    "Solenne",
    "Kerasol",
    "Mira Botanics",
    "Epiderma Pro",
    "Lumen & Co",
    "Velour Hair",
]

ADJECTIVES = [
    "Hydrating",
    "Soothing",
    "Brightening",
    "Firming",
    "Clarifying",
    "Nourishing",
    "Restoring",
    "Gentle",
    "Intensive",
    "Daily",
    "Advanced",
    "Pure",
    "Calming",
    "Renewing",
    "Balancing",
    "Radiance",
]

PRICE_STEPS = ["9.99", "12.50", "14.99", "19.99", "24.00", "29.99", "34.50", "39.99", "49.00"]
PRICE_STEPS += ["59.99", "74.00", "89.99", "119.00", "149.99", "249.00"]
DISCOUNTS = [Decimal(d) for d in ("10.00", "15.00", "20.00", "25.00", "30.00", "40.00")]

DEFAULT_PRODUCTS = 200
DEFAULT_BATCH_SIZE = 5_000
DEFAULT_ORDERS = 300

# --- Generation -----------------------------------------------------------------------


def _mix(index: int, salt: int) -> int:
    """A cheap deterministic hash of (index, salt): the same product always gets the same
    attributes, without a random generator per row."""
    value = (index * 2_654_435_761 + salt * 40_503) & 0xFFFFFFFF
    value ^= value >> 15
    value = (value * 2_246_822_519) & 0xFFFFFFFF
    return value ^ (value >> 13)


class _ProductPlan:
    """Everything needed to build product number i, computed once per run."""

    def __init__(self, *, leaves: list[Category], brands: list[Brand], seller: User):
        # (category, product type, slugged product type) for every leaf's product types.
        self.kinds = [
            (category, kind, slugify(kind))
            for category in leaves
            for kind in CATALOG_TREE[category.parent.name][category.name]
        ]
        self.brands = [(brand, slugify(brand.name)) for brand in brands]
        self.adjectives = [(adjective, slugify(adjective)) for adjective in ADJECTIVES]
        self.prices = [Decimal(p) for p in PRICE_STEPS]
        self.seller = seller
        self.currency = settings.DEFAULT_CURRENCY
        self.now = timezone.now()

    def name_and_slug(self, index: int) -> tuple[str, str]:
        _, kind, kind_slug = self.kinds[_mix(index, 1) % len(self.kinds)]
        brand, brand_slug = self.brands[_mix(index, 2) % len(self.brands)]
        adjective, adjective_slug = self.adjectives[_mix(index, 3) % len(self.adjectives)]
        # The index makes names unique (case-insensitively too) and idempotent.
        name = f"{brand.name} {adjective} {kind} No. {index}"
        slug = f"{brand_slug}-{adjective_slug}-{kind_slug}-no-{index}"
        return name, slug

    def build(self, index: int, name: str, slug: str) -> Product:
        category, kind, _ = self.kinds[_mix(index, 1) % len(self.kinds)]
        brand, _ = self.brands[_mix(index, 2) % len(self.brands)]
        roll = _mix(index, 4) % 100
        discount = starts = ends = None
        if roll < 15:  # 15 % on sale: most open-ended, some within a window.
            discount = DISCOUNTS[_mix(index, 5) % len(DISCOUNTS)]
            if roll < 5:
                starts = self.now - timedelta(days=3)
                ends = self.now + timedelta(days=4 + roll)
            elif roll < 7:  # a sale that already ended: price shows undiscounted
                starts = self.now - timedelta(days=30)
                ends = self.now - timedelta(days=1)
        stock_roll = _mix(index, 6) % 100
        stock = 0 if stock_roll < 8 else (stock_roll * 7) % 250 + 1
        product = Product(
            id=uuid.uuid4(),
            name=name,
            slug=slug,
            description=(
                f"{kind} by {brand.name} for the {category.name.lower()} routine. "
                f"Dermatologist tested, fragrance free, demo item number {index}."
            ),
            price=self.prices[_mix(index, 7) % len(self.prices)],
            currency=self.currency,
            discount_percent=discount,
            discount_starts_at=starts,
            discount_ends_at=ends,
            category=category,
            brand=brand,
            stock_quantity=stock,
            is_active=_mix(index, 8) % 50 != 0,  # about 2 % inactive
            created_by=self.seller,
        )
        # bulk_create bypasses the services, so the stored effective price is set here.
        product.set_current_price()
        return product


# --- Demo history -----------------------------------------------------------------------
#
# Historical orders are written directly with bulk_create, NOT through checkout
# (orders.services.order_place): checkout turns the caller's cart of *now* into an order,
# deducts stock, claims the coupon and queues emails, whereas these rows record what
# happened over the last weeks. The stock those orders sold was restocked since, so they
# leave stock alone and a re-run can never deduct it again. The one exception: the few
# pending orders of the last hour still hold their stock, and the expiry job gives it back
# when it cancels them; so each takes its stock once, when it is created.
#
# Every row gets an id derived from its demo number (uuid5), so a second run finds them all
# and adds nothing, and `--orders 500` after `--orders 300` adds exactly the 200 missing
# orders, like the products above.

DEMO_NAMESPACE = uuid.UUID("6f1c1c52-3a57-4f49-9a1e-5b0d2c6f7a10")
DEMO_SHOPPERS = 20
SHOPPER_EMAIL = "shopper{:02d}@example.com"
SHOPPER_PASSWORD = "Demo-shopper-2026"
HISTORY_DAYS = 60
# The products the history is about, whatever --products is: the history stays bounded.
PRODUCT_POOL = 120
# Pairs of products often bought together, so "bought together" has something to show.
BUNDLES = 12
WISHLIST_OWNERS = 12
# Guest carts per demo order (most are abandoned): cart-to-order conversion about 0.5.
CARTS_PER_ORDER = 2
# Above this many products, recommendations are recomputed for the ordered and wished
# products only (the similar pass costs about a millisecond per product).
FULL_RECOMMENDATIONS_LIMIT = 20_000

FIRST_NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"]
FIRST_NAMES += ["Margaret", "Tim", "Radia", "Linus", "Hedy", "Dennis", "Karen", "John"]
LAST_NAMES = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen"]
LAST_NAMES += ["Thompson", "Hamilton", "Berners-Lee", "Perlman", "Torvalds", "Lamarr"]
CITIES = [
    ("Lyon", "69002", "FR"),
    ("Austin", "78701", "US"),
    ("Leeds", "LS1 4DY", "GB"),
    ("Porto", "4000-322", "PT"),
    ("Denver", "80202", "US"),
    ("Utrecht", "3511 LX", "NL"),
]
CARRIERS = ["UPS", "DHL", "FedEx", "La Poste"]
PURCHASED = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)

WELCOME, SAVE5, EXPIRED = "WELCOME10", "SAVE5", "SPRING15"
# (code, description, kind, value, min subtotal, per-user limit, valid from / until in
# days from now; None is open).
DEMO_COUPONS = [
    (WELCOME, "10 % off, once per customer.", CouponKind.PERCENT, "10", "0", 1, -120, None),
    (SAVE5, "5.00 off from 30.00 up.", CouponKind.FIXED, "5.00", "30.00", None, None, None),
    (EXPIRED, "Spring sale, over.", CouponKind.PERCENT, "15", "0", None, -180, -90),
]

COMMENTS = {
    1: ["Broke me out within a week.", "Not for sensitive skin, sadly."],
    2: ["Texture is nice but it did little for me.", "Too heavily scented for my taste."],
    3: ["Does the job, nothing special.", "Fine, though the pump jams."],
    4: ["Very gentle, I will buy it again.", "Good value, absorbs quickly."],
    5: ["Holy grail product!", "My skin has never looked better.", "Worth every cent."],
}


def demo_id(*parts) -> uuid.UUID:
    """The id of a demo row, the same on every run."""
    return uuid.uuid5(DEMO_NAMESPACE, "/".join(str(part) for part in parts))


def _rng(*parts) -> random.Random:
    # Not for security: a repeatable generator per demo row.
    return random.Random("/".join(str(part) for part in parts))  # noqa: S311


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
        if self.coupon.kind == CouponKind.PERCENT:
            amount = quantize_money(self.subtotal * self.coupon.value / Decimal(100))
        else:
            amount = quantize_money(self.coupon.value)
        return min(amount, self.subtotal)

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    @property
    def redeemed(self) -> bool:
        # A cancelled order gave its coupon use back (coupons.services.coupon_release).
        return self.coupon is not None and self.status != OrderStatus.CANCELLED


@dataclass
class HistoryReport:
    customers: int = 0
    coupons: int = 0
    orders: Counter = field(default_factory=Counter)
    payments: Counter = field(default_factory=Counter)
    redemptions: int = 0
    reviews: int = 0
    rated_products: int = 0
    wishlists: int = 0
    wishlist_items: int = 0
    carts: int = 0
    skipped: str = ""


class _History:
    """Plans the demo history from fixed seeds and writes what is missing."""

    def __init__(self, *, customers: list[User], staff: User, orders: int):
        self.customers = customers
        self.staff = staff
        self.order_count = orders
        self.now = timezone.now()
        self.report = HistoryReport()

    # --- the pool of products ---------------------------------------------------------

    def load_pool(self) -> bool:
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
            )[:PRODUCT_POOL]
        )
        if not pool:
            return False
        _rng("popularity").shuffle(pool)
        self.pool = pool
        # A long tail: the first products of the shuffled pool sell far more than the last.
        self.weights = [1 / (rank + 1) ** 0.8 for rank in range(len(pool))]
        self.bundles = [(pool[2 * i], pool[2 * i + 1]) for i in range(min(BUNDLES, len(pool) // 2))]
        return True

    def _pick(self, rng: random.Random, *, currency: str | None = None, min_stock: int = 0):
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

    # --- orders -----------------------------------------------------------------------

    def _plan(self, number: int) -> _OrderPlan | None:
        rng = _rng("order", number)
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
        first = self._pick(rng, min_stock=min_stock)
        if first is None:
            return []
        chosen = [first]
        if self.bundles and not pending and rng.random() < 0.35:
            pair = rng.choices(self.bundles, self.weights[: len(self.bundles)])[0]
            if pair[0].currency == pair[1].currency:
                chosen = list(pair)
        for _ in range(rng.choices([0, 1, 2], [55, 30, 15])[0]):
            extra = self._pick(rng, currency=chosen[0].currency, min_stock=min_stock)
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
        rng = _rng("order-steps", plan.number)

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
        """Take a new pending order's stock once (see the comment at the top)."""
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

    def write_orders(self, coupons: dict[str, Coupon]) -> list[uuid.UUID]:
        """Create the missing demo orders; returns the ids of all demo orders."""
        plans = [plan for n in range(1, self.order_count + 1) if (plan := self._plan(n))]
        ids = [plan.id for plan in plans]
        existing = set(Order.objects.filter(pk__in=ids).values_list("pk", flat=True))
        new = [plan for plan in plans if plan.id not in existing]
        self._assign_coupons(new, coupons)
        for plan in new:
            if plan.status == OrderStatus.PENDING and not self._hold_stock(plan):
                # Sold out meanwhile: the customer gave up on it.
                plan.status, plan.payment = OrderStatus.CANCELLED, None
            self._stamp(plan)

        orders, items, payments, refunds, redemptions = [], [], [], [], []
        for plan in new:
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
            orders.append(order)
            for position, line in enumerate(plan.lines):
                item = OrderItem(
                    id=demo_id("order", plan.number, "item", position),
                    order=order,
                    product=line.product,
                    product_name=line.product.name,
                    product_slug=line.product.slug,
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                    line_total=line.line_total,
                )
                item.created_at = item.updated_at = plan.placed_at
                items.append(item)
            if plan.payment is not None:
                payments.append(self._payment(plan, order))
                if plan.refund_share:
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
        self.report.redemptions = len(redemptions)

        for model, rows in (
            (Order, orders),
            (OrderItem, items),
            (Payment, payments),
            (Refund, refunds),
            (CouponRedemption, redemptions),
        ):
            _create_with_timestamps(model, rows)
        return ids

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
            amount_refunded=quantize_money(plan.total * plan.refund_share),
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
            reason="Order cancelled" if plan.status == OrderStatus.CANCELLED else "Damaged item",
            provider_reference=f"fake_re_{demo_id('refund', plan.number).hex}",
            created_by=self.staff,
        )
        refund.created_at = refund.updated_at = plan.stamps["refund"]
        return refund

    # --- reviews ----------------------------------------------------------------------

    def write_reviews(self, order_ids: list[uuid.UUID]) -> None:
        """Buyers review some of what they received (verified purchases); a few shoppers
        review products they never bought. Then the reviewed products' ratings."""
        bought = (
            OrderItem.objects.filter(
                order_id__in=order_ids, order__status__in=PURCHASED, product__isnull=False
            )
            .values_list("order__user_id", "product_id", "order__status", "order__created_at")
            .order_by("order__created_at")
        )
        purchased = {(user_id, product_id) for user_id, product_id, _, _ in bought}
        wanted = {}  # (user id, product id) -> when it was reviewed
        for user_id, product_id, status, placed_at in bought:
            rng = _rng("review", user_id, product_id)
            if status == OrderStatus.DELIVERED and rng.random() < 0.45:
                wanted.setdefault((user_id, product_id), placed_at + timedelta(days=8))
        for customer in self.customers:
            rng = _rng("review-unverified", customer.email)
            for _ in range(rng.choice([0, 0, 1, 2])):
                product = self._pick(rng)
                when = self.now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
                wanted.setdefault((customer.pk, product.pk), when)

        ids = {key: demo_id("review", *key) for key in wanted}
        existing = set(Review.objects.filter(pk__in=ids.values()).values_list("pk", flat=True))
        reviews = []
        for (user_id, product_id), when in wanted.items():
            if ids[user_id, product_id] in existing:
                continue
            rng = _rng("rating", user_id, product_id)
            # Each product has a quality of its own; ratings scatter around it.
            quality = _rng("quality", product_id).uniform(2.6, 4.9)
            rating = min(5, max(1, round(rng.gauss(quality, 0.9))))
            roll = rng.random()
            status = (
                ReviewStatus.HIDDEN
                if roll < 0.05
                else ReviewStatus.PENDING
                if roll < 0.1
                else ReviewStatus.APPROVED
            )
            review = Review(
                id=ids[user_id, product_id],
                product_id=product_id,
                user_id=user_id,
                rating=rating,
                comment=rng.choice(COMMENTS[rating]) if rng.random() < 0.6 else "",
                status=status,
                verified_purchase=(user_id, product_id) in purchased,
                moderated_by=self.staff if status == ReviewStatus.HIDDEN else None,
                moderated_at=min(when + timedelta(days=1), self.now)
                if status == ReviewStatus.HIDDEN
                else None,
            )
            review.created_at = review.updated_at = min(when, self.now)
            reviews.append(review)
        # ignore_conflicts: a shopper who already reviewed the product by hand keeps theirs.
        _create_with_timestamps(Review, reviews, ignore_conflicts=True)
        created = Review.objects.filter(pk__in=[review.pk for review in reviews])
        self.report.reviews = created.count()
        reviewed = list(created.values_list("product_id", flat=True).distinct())
        self.report.rated_products = product_ratings_refresh(product_ids=reviewed)

    # --- wishlists and carts ----------------------------------------------------------

    def write_wishlists(self) -> None:
        owners = self.customers[:WISHLIST_OWNERS]
        have = set(Wishlist.objects.filter(user__in=owners).values_list("user_id", flat=True))
        lists = [
            Wishlist(id=demo_id("wishlist", owner.email), user=owner)
            for owner in owners
            if owner.pk not in have
        ]
        Wishlist.objects.bulk_create(lists)
        self.report.wishlists = len(lists)
        wishlist_of = dict(Wishlist.objects.filter(user__in=owners).values_list("user_id", "pk"))
        items = []
        for owner in owners:
            rng = _rng("wishlist", owner.email)
            products = {self._pick(rng) for _ in range(rng.randint(2, 6))}
            for product in sorted(products, key=lambda product: product.slug):
                item = WishlistItem(
                    id=demo_id("wishlist", owner.email, product.pk),
                    wishlist_id=wishlist_of[owner.pk],
                    product=product,
                )
                item.created_at = item.updated_at = self.now - timedelta(
                    days=rng.uniform(0, HISTORY_DAYS)
                )
                items.append(item)
        # Only the new lists are filled: what a user removed from theirs stays removed.
        new_lists = {wishlist.pk for wishlist in lists}
        created = _create_missing(
            WishlistItem,
            [item for item in items if item.wishlist_id in new_lists],
            ignore_conflicts=True,
        )
        self.report.wishlist_items = len(created)

    def write_carts(self) -> None:
        carts, items = [], []
        for number in range(1, self.order_count * CARTS_PER_ORDER + 1):
            rng = _rng("cart", number)
            cart = Cart(id=demo_id("cart", number), token=f"demo{demo_id('token', number).hex}")
            self._fill(cart, rng, items)
            carts.append(cart)
        # Half the shoppers left something in their own cart.
        have = set(Cart.objects.filter(user__in=self.customers).values_list("user_id", flat=True))
        for customer in self.customers[::2]:
            if customer.pk not in have:
                cart = Cart(id=demo_id("cart", customer.email), user=customer)
                self._fill(cart, _rng("cart", customer.email), items)
                carts.append(cart)
        created = _create_missing(Cart, carts)
        self.report.carts = len(created)
        # Only the new carts are filled: what a user took out of their cart stays out.
        _create_missing(CartItem, [item for item in items if item.cart_id in created])

    def _fill(self, cart: Cart, rng: random.Random, items: list[CartItem]) -> None:
        created = self.now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
        cart.created_at = created
        cart.updated_at = min(created + timedelta(minutes=rng.uniform(1, 90)), self.now)
        products = {self._pick(rng) for _ in range(rng.randint(1, 3))}
        for product in sorted(products, key=lambda product: product.slug):
            item = CartItem(
                id=demo_id("cart-item", cart.pk, product.pk),
                cart=cart,
                product=product,
                quantity=rng.choice([1, 1, 1, 2]),
            )
            item.created_at = item.updated_at = cart.created_at
            items.append(item)


def _create_with_timestamps(model, rows: list, *, ignore_conflicts: bool = False) -> None:
    """bulk_create, then put back the created_at/updated_at the rows were given: auto_now
    and auto_now_add overwrite them on insert."""
    if not rows:
        return
    stamps = [(row.created_at, row.updated_at) for row in rows]
    model.objects.bulk_create(rows, ignore_conflicts=ignore_conflicts)
    for row, (created_at, updated_at) in zip(rows, stamps, strict=True):
        row.created_at, row.updated_at = created_at, updated_at
    model.objects.bulk_update(rows, ["created_at", "updated_at"], batch_size=500)


def _create_missing(model, rows: list, *, ignore_conflicts: bool = False) -> set:
    """Create the rows whose (demo) id does not exist yet; returns the ids created."""
    existing = set(
        model.objects.filter(pk__in=[row.pk for row in rows]).values_list("pk", flat=True)
    )
    missing = [row for row in rows if row.pk not in existing]
    _create_with_timestamps(model, missing, ignore_conflicts=ignore_conflicts)
    return set(
        model.objects.filter(pk__in=[row.pk for row in missing]).values_list("pk", flat=True)
    )


def product_ratings_refresh(*, product_ids: list) -> int:
    """Set average_rating and review_count of these products from their approved reviews
    in ONE UPDATE (correlated subqueries), however many products there are; returns how
    many products were updated. The average is rounded half up to two places with integer
    arithmetic, (200 * sum + count) // (2 * count) hundredths, so SQLite and PostgreSQL
    agree with reviews.services.product_rating_refresh to the cent."""
    if not product_ids:
        return 0
    approved = (
        Review.objects.filter(product=OuterRef("pk"), status=ReviewStatus.APPROVED)
        .order_by()
        .values("product")
    )
    count = Subquery(approved.annotate(n=Count("id")).values("n"), output_field=IntegerField())
    total = Subquery(approved.annotate(s=Sum("rating")).values("s"), output_field=IntegerField())
    hundredths = (Value(200) * total + count) / (Value(2) * count)
    rating = DecimalField(max_digits=3, decimal_places=2)
    return Product.objects.filter(pk__in=product_ids).update(
        review_count=Coalesce(count, Value(0)),
        average_rating=Coalesce(
            ExpressionWrapper(hundredths * Value(Decimal("0.01")), output_field=rating),
            Value(Decimal("0.00")),
            output_field=rating,
        ),
    )


class Command(BaseCommand):
    help = (
        "Create demo users, categories, brands and N products, then demo customers with "
        "past orders, payments, coupons, reviews, wishlists and carts (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--products",
            type=int,
            default=DEFAULT_PRODUCTS,
            help=f"Number of demo products wanted in total (default {DEFAULT_PRODUCTS}).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per INSERT (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--orders",
            type=int,
            default=DEFAULT_ORDERS,
            help=f"Number of past demo orders wanted in total (default {DEFAULT_ORDERS}); "
            "bounded work whatever --products is.",
        )

    def handle(self, *args, products: int, batch_size: int, orders: int, verbosity: int, **options):
        if products < 0:
            raise CommandError("--products must be zero or more.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if orders < 0:
            raise CommandError("--orders must be zero or more.")
        self.verbosity = verbosity
        started = time.monotonic()

        users = self._ensure_users()
        leaves = self._ensure_categories()
        brands = self._ensure_brands()
        plan = _ProductPlan(leaves=leaves, brands=brands, seller=users[SELLER_EMAIL])
        created = self._ensure_products(plan, total=products, batch_size=batch_size)
        self._index_for_search(created)
        customers = self._ensure_customers(users)
        report = self._ensure_history(customers=customers, staff=users[STAFF_EMAIL], orders=orders)
        recommendations = self._compute_recommendations()
        # Everything above bypassed the services: no cached catalog answer is current.
        catalog_taxonomy_changed()

        elapsed = time.monotonic() - started
        self._say(
            self.style.SUCCESS(
                f"Demo data ready in {elapsed:.1f}s: {len(leaves)} subcategories, "
                f"{len(brands)} brands, {created} products created "
                f"({products} demo products wanted)."
            )
        )
        self._report(report, recommendations)
        self._say("Demo accounts (local use only):")
        for spec in DEMO_USERS:
            self._say(f"  {spec['role']:<28} {spec['email']:<24} password: {spec['password']}")
        shoppers = f"{SHOPPER_EMAIL.format(1)} .. {SHOPPER_EMAIL.format(DEMO_SHOPPERS)}"
        self._say(f"  {'customers with history':<28} {shoppers}  password: {SHOPPER_PASSWORD}")

    # --- steps ---------------------------------------------------------------------

    @transaction.atomic
    def _ensure_users(self) -> dict[str, User]:
        users = {}
        for spec in DEMO_USERS:
            user = User.objects.filter(email=spec["email"]).first()
            if user is None:
                # create_user also creates the profile.
                user = User.objects.create_user(spec["email"], spec["password"], **spec["fields"])
            users[spec["email"]] = user
        return users

    @transaction.atomic
    def _ensure_customers(self, users: dict[str, User]) -> list[User]:
        """The demo customer and DEMO_SHOPPERS shoppers, with names on their profiles."""
        emails = [SHOPPER_EMAIL.format(number) for number in range(1, DEMO_SHOPPERS + 1)]
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        missing = [email for email in emails if email not in existing]
        if missing:
            # One hash for all of them: hashing is slow on purpose (about 0.3 s each).
            password = make_password(SHOPPER_PASSWORD)
            for email in missing:
                number = int(email[len("shopper") : len("shopper") + 2])
                user = User.objects.create_user(email, None)  # also creates the profile
                Profile.objects.filter(user=user).update(
                    first_name=FIRST_NAMES[number % len(FIRST_NAMES)],
                    last_name=LAST_NAMES[number % len(LAST_NAMES)],
                    visibility=Profile.Visibility.PUBLIC,
                )
            User.objects.filter(email__in=missing).update(password=password)
        self.customers_created = len(missing)
        return list(
            User.objects.filter(email__in=[CUSTOMER_EMAIL, *emails])
            .select_related("profile")
            .order_by("email")
        )

    @transaction.atomic
    def _ensure_coupons(self) -> tuple[dict[str, Coupon], int]:
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
    def _ensure_history(self, *, customers: list[User], staff: User, orders: int):
        history = _History(customers=customers, staff=staff, orders=orders)
        report = history.report
        report.customers = self.customers_created
        coupons, report.coupons = self._ensure_coupons()
        if not history.load_pool():
            report.skipped = "no active products, so no orders, reviews, wishlists or carts"
            return report
        order_ids = history.write_orders(coupons)
        history.write_reviews(order_ids)
        history.write_wishlists()
        history.write_carts()
        # Uses are counted from the redemptions, so the two always agree.
        uses = (
            CouponRedemption.objects.filter(coupon=OuterRef("pk"))
            .order_by()
            .values("coupon")
            .annotate(n=Count("id"))
            .values("n")
        )
        Coupon.objects.filter(pk__in=[coupon.pk for coupon in coupons.values()]).update(
            times_used=Coalesce(Subquery(uses, output_field=IntegerField()), Value(0))
        )
        return report

    def _compute_recommendations(self) -> int:
        # The similar pass grows with the catalog; on a huge one, only for the products in
        # orders and wishlists (the others fall back at request time).
        only_ordered = Product.objects.count() > FULL_RECOMMENDATIONS_LIMIT
        return recommendations_compute(only_ordered=only_ordered)

    @transaction.atomic
    def _ensure_categories(self) -> list[Category]:
        leaves = []
        for top_name, children in CATALOG_TREE.items():
            top, _ = Category.objects.get_or_create(
                slug=slugify(top_name),
                defaults={"name": top_name, "description": CATEGORY_DESCRIPTIONS[top_name]},
            )
            for child_name in children:
                child, _ = Category.objects.get_or_create(
                    slug=slugify(child_name),
                    defaults={
                        "name": child_name,
                        "parent": top,
                        "description": f"{child_name} in {top_name.lower()}.",
                    },
                )
                # The plan looks kinds up by the demo names, whatever the row says now.
                child.name, child.parent = child_name, top
                top.name = top_name
                leaves.append(child)
        return leaves

    @transaction.atomic
    def _ensure_brands(self) -> list[Brand]:
        brands = []
        for name in BRANDS:
            brand, _ = Brand.objects.get_or_create(
                slug=slugify(name),
                defaults={"name": name, "description": f"{name}, a demo brand."},
            )
            brand.name = name
            brands.append(brand)
        return brands

    def _ensure_products(self, plan: _ProductPlan, *, total: int, batch_size: int) -> int:
        if total == 0:
            return 0
        before = Product.objects.count()
        started = time.monotonic()
        for done, batch in self._missing_batches(plan, total=total, batch_size=batch_size):
            if batch:
                # ignore_conflicts: a product someone created by hand with the same name
                # must not stop the seeding; that one demo product is simply skipped.
                Product.objects.bulk_create(batch, batch_size=batch_size, ignore_conflicts=True)
            # With DEBUG on Django keeps every SQL string it ran; an INSERT of 5,000 rows is
            # megabytes long, so forget them to keep memory flat.
            reset_queries()
            self._progress(done, total, started)
        created = Product.objects.count() - before
        if created and connection.vendor == "postgresql":
            # Fresh statistics, so the planner picks the indexes at once.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Product._meta.db_table}")
        return created

    def _index_for_search(self, created: int) -> None:
        # bulk_create bypasses the services: write the new products' search documents and
        # the name words typo correction uses (PostgreSQL; nothing elsewhere).
        if not created:
            return
        started = time.monotonic()
        written = product_search_reindex(only_missing=True)
        search_terms_rebuild()
        if written:
            self._say(f"Search documents: {written:,} in {time.monotonic() - started:.1f}s.")

    def _missing_batches(
        self, plan: _ProductPlan, *, total: int, batch_size: int
    ) -> Iterator[tuple[int, list[Product]]]:
        """Yield (indices handled so far, products to create) one batch at a time, so
        memory stays flat whatever N is."""
        for start in range(1, total + 1, batch_size):
            stop = min(start + batch_size, total + 1)
            named = {}
            for index in range(start, stop):
                name, slug = plan.name_and_slug(index)
                named[slug] = (index, name)
            existing = set(
                Product.objects.filter(slug__in=list(named)).values_list("slug", flat=True)
            )
            batch = [
                plan.build(index, name, slug)
                for slug, (index, name) in named.items()
                if slug not in existing
            ]
            yield stop - 1, batch

    # --- output --------------------------------------------------------------------

    def _report(self, report: HistoryReport, recommendations: int) -> None:
        orders = sum(report.orders.values())
        by_status = ", ".join(
            f"{count} {status}" for status, count in sorted(report.orders.items())
        )
        payments = ", ".join(
            f"{count} {status}" for status, count in sorted(report.payments.items())
        )
        self._say(
            f"History: {report.customers} customers, {report.coupons} coupons, "
            f"{orders} orders created" + (f" ({by_status})" if orders else "") + "."
        )
        if report.skipped:
            self._say(f"  Skipped: {report.skipped}.")
        else:
            self._say(
                f"  {sum(report.payments.values())} payments"
                + (f" ({payments})" if payments else "")
                + f", {report.redemptions} coupon redemptions, {report.reviews} reviews "
                f"({report.rated_products} products rated), {report.wishlists} wishlists "
                f"({report.wishlist_items} items), {report.carts} carts created."
            )
        self._say(f"  Recommendations: {recommendations} rows computed.")

    def _say(self, message: str) -> None:
        if self.verbosity > 0:
            self.stdout.write(message)

    def _progress(self, done: int, total: int, started: float) -> None:
        if self.verbosity == 0:
            return
        width = 30
        filled = width * done // total
        elapsed = time.monotonic() - started
        rate = done / elapsed if elapsed > 0 else 0
        bar = "#" * filled + "-" * (width - filled)
        line = f"\rProducts [{bar}] {done:>{len(str(total))}}/{total} ({rate:,.0f}/s)"
        self.stdout.write(line, ending="\n" if done >= total else "")
        self.stdout.flush()
