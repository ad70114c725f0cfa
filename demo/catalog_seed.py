"""The demo catalog: a category tree, brands and N products.

Built for N = 1,000,000 on PostgreSQL: products are generated lazily in batches and
written with `bulk_create`, slugs are computed in Python (no per-row queries), and only
one existence query is made per batch. Running it again creates nothing twice: product
number i always gets the same name and slug, and a batch's indices whose slug already
exists are skipped, so `--products 1000` after `--products 200` adds exactly 800.
"""

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import reset_queries, transaction
from django.utils import timezone
from django.utils.text import slugify

from catalog.models import Brand, Category, Product
from catalog.services import store_product_count_refresh
from core.db import tables_analyze
from stores.models import Store, StoreStatus

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

BATCH_SIZE = 5_000

# Called after each batch with (indices handled so far, indices wanted, seconds elapsed).
Progress = Callable[[int, int, float], None]


# Skin attributes of the demo products, stored canonical (sorted, unique) as the services
# would; chosen per product by _mix so every run gives each product the same ones.
SKIN_TYPE_SETS = (
    ["dry", "normal"],
    ["combination", "oily"],
    ["sensitive"],
    ["combination", "normal"],
    ["dry", "sensitive"],
    [],
)
CONCERN_SETS = (
    ["acne", "pores"],
    ["redness", "sensitivity"],
    ["aging"],
    ["dryness"],
    ["dullness", "pigmentation"],
    ["redness"],
    ["acne"],
    ["aging", "pigmentation"],
)
INGREDIENT_POOL = (
    "ceramides",
    "centella asiatica",
    "glycerin",
    "hyaluronic acid",
    "niacinamide",
    "panthenol",
    "retinol",
    "salicylic acid",
    "squalane",
    "vitamin c",
    "zinc oxide",
)


def _skin_attributes(index: int) -> dict:
    ingredients = {"aqua", "glycerin"}
    for salt in (11, 12):
        ingredients.add(INGREDIENT_POOL[_mix(index, salt) % len(INGREDIENT_POOL)])
    return {
        "skin_types": SKIN_TYPE_SETS[_mix(index, 13) % len(SKIN_TYPE_SETS)],
        "concerns": CONCERN_SETS[_mix(index, 14) % len(CONCERN_SETS)],
        "ingredients": sorted(ingredients),
    }


def _mix(index: int, salt: int) -> int:
    """A cheap deterministic hash of (index, salt): the same product always gets the same
    attributes, without a random generator per row."""
    value = (index * 2_654_435_761 + salt * 40_503) & 0xFFFFFFFF
    value ^= value >> 15
    value = (value * 2_246_822_519) & 0xFFFFFFFF
    return value ^ (value >> 13)


class ProductPlan:
    """Everything needed to build product number i, computed once per run."""

    def __init__(self, *, leaves: list[Category], brands: list[Brand], stores: list[Store]):
        # (category, product type, slugged product type) for every leaf's product types.
        self.kinds = [
            (category, kind, slugify(kind))
            for category in leaves
            for kind in CATALOG_TREE[category.parent.name][category.name]
        ]
        self.brands = [(brand, slugify(brand.name)) for brand in brands]
        self.adjectives = [(adjective, slugify(adjective)) for adjective in ADJECTIVES]
        self.prices = [Decimal(p) for p in PRICE_STEPS]
        # Most products belong to the approved stores; a few to a suspended one, whose
        # products the public catalog hides. A pending store has nothing to sell yet.
        self.stores = stores
        self.selling = [store for store in stores if store.status == StoreStatus.APPROVED]
        self.suspended = [store for store in stores if store.status == StoreStatus.SUSPENDED]
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
        store_roll = _mix(index, 9)
        if self.suspended and store_roll % 100 < 3:
            store = self.suspended[store_roll % len(self.suspended)]
        else:
            store = self.selling[store_roll % len(self.selling)]
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
            store=store,
            created_by_id=store.owner_id,
            **_skin_attributes(index),
        )
        # bulk_create bypasses the services, so the stored effective price is set here.
        product.set_current_price()
        return product


@transaction.atomic
def categories_ensure() -> list[Category]:
    """The CATALOG_TREE's categories, created when missing; returns the subcategories."""
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
def brands_ensure() -> list[Brand]:
    """The demo BRANDS, created when missing."""
    brands = []
    for name in BRANDS:
        brand, _ = Brand.objects.get_or_create(
            slug=slugify(name),
            defaults={"name": name, "description": f"{name}, a demo brand."},
        )
        brand.name = name
        brands.append(brand)
    return brands


def products_ensure(
    plan: ProductPlan, *, total: int, batch_size: int = BATCH_SIZE, progress: Progress | None = None
) -> int:
    """Demo products 1 to `total`, the missing ones created a batch at a time; returns how
    many were created."""
    if total == 0:
        return 0
    before = Product.objects.count()
    started = time.monotonic()
    for done, batch in _missing_batches(plan, total=total, batch_size=batch_size):
        if batch:
            # ignore_conflicts: a product someone created by hand with the same name
            # must not stop the seeding; that one demo product is simply skipped.
            Product.objects.bulk_create(batch, batch_size=batch_size, ignore_conflicts=True)
        # With DEBUG on Django keeps every SQL string it ran; an INSERT of 5,000 rows is
        # megabytes long, so forget them to keep memory flat.
        reset_queries()
        if progress is not None:
            progress(done, total, time.monotonic() - started)
    created = Product.objects.count() - before
    if created:
        store_product_count_refresh(store_ids=[store.pk for store in plan.stores])
    if created:
        # Fresh statistics, so the planner picks the indexes at once.
        tables_analyze(Product)
    return created


def _missing_batches(
    plan: ProductPlan, *, total: int, batch_size: int
) -> Iterator[tuple[int, list[Product]]]:
    """Yield (indices handled so far, products to create) one batch at a time, so memory
    stays flat whatever N is."""
    for start in range(1, total + 1, batch_size):
        stop = min(start + batch_size, total + 1)
        named = {}
        for index in range(start, stop):
            name, slug = plan.name_and_slug(index)
            named[slug] = (index, name)
        existing = set(Product.objects.filter(slug__in=list(named)).values_list("slug", flat=True))
        batch = [
            plan.build(index, name, slug)
            for slug, (index, name) in named.items()
            if slug not in existing
        ]
        yield stop - 1, batch
