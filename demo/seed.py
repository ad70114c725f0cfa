"""Every step of the demo data, in order: the accounts, the catalog, then a bounded history
(customers, past orders split into the stores' parts with payments, commissions, the
stores' ledgers and payouts, coupons, reviews, wishlists and carts) and the
recommendations computed from it, so that metrics and recommendations show real figures.
Each step is idempotent; `manage.py seed_demo` runs them and prints what they did."""

from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.db.models import Model

from accounts.models import User
from catalog.cache import catalog_taxonomy_changed
from catalog.models import Product
from catalog.services import product_search_reindex, search_terms_rebuild
from core.db import tables_analyze
from demo.accounts_seed import STAFF_EMAIL, customers_ensure, users_ensure
from demo.activity import carts_write, reviews_write, wishlists_write
from demo.catalog_seed import (
    BATCH_SIZE,
    ProductPlan,
    Progress,
    brands_ensure,
    categories_ensure,
    products_ensure,
)
from demo.consultations_seed import consultations_ensure
from demo.conversations_seed import conversations_ensure
from demo.history import History, HistoryReport, coupon_uses_recount, coupons_ensure
from demo.marketplace_seed import payouts_ensure
from demo.skin_seed import skin_demo_ensure
from demo.stores_seed import stores_ensure
from recommendations.services import recommendations_compute

# Above this many products, recommendations are recomputed for the ordered and wished
# products only (the similar pass costs about a millisecond per product).
FULL_RECOMMENDATIONS_LIMIT = 20_000


@dataclass
class SeedReport:
    conversations: int
    consultations: int
    skin_analyses: int
    stores: int
    subcategories: int
    brands: int
    products_created: int
    history: HistoryReport
    recommendations: int


def demo_seed(
    *, products: int, orders: int, batch_size: int = BATCH_SIZE, progress: Progress | None = None
) -> SeedReport:
    """Make sure the demo data exists with `products` products and `orders` past orders;
    creates only what is missing. `progress` hears about each product batch. Not one
    transaction: a million products are committed batch by batch."""
    users = users_ensure()
    leaves = categories_ensure()
    brands = brands_ensure()
    stores = stores_ensure()
    plan = ProductPlan(leaves=leaves, brands=brands, stores=stores)
    created = products_ensure(plan, total=products, batch_size=batch_size, progress=progress)
    if created:
        # bulk_create bypasses the services: write the new products' search documents and
        # the name words typo correction uses (PostgreSQL; nothing elsewhere).
        product_search_reindex(only_missing=True)
        search_terms_rebuild()
    customers, customers_created = customers_ensure()
    history = _history_ensure(customers=customers, staff=users[STAFF_EMAIL], orders=orders)
    history.customers = customers_created  # the shoppers created by this run
    conversations = conversations_ensure()
    consultations = consultations_ensure()
    skin_analyses = skin_demo_ensure()
    recommendations = _recommendations_compute()
    # Everything above bypassed the services: no cached catalog answer is current.
    catalog_taxonomy_changed()
    # The step after a bulk load. Autovacuum would analyze the big tables within a minute
    # or so, but a table of six stores or ten brands perhaps never; without statistics the
    # planner misjudges every join on them, and the lists' estimated counts with it.
    tables_analyze(*_seeded_models())
    return SeedReport(
        conversations=conversations,
        consultations=consultations,
        skin_analyses=skin_analyses,
        stores=len(stores),
        subcategories=len(leaves),
        brands=len(brands),
        products_created=created,
        history=history,
        recommendations=recommendations,
    )


@transaction.atomic
def _history_ensure(*, customers: list[User], staff: User, orders: int) -> HistoryReport:
    history = History(customers=customers, staff=staff, orders=orders)
    report = history.report
    coupons, report.coupons = coupons_ensure()
    if not history.load_pool():
        report.skipped = "no active products, so no orders, reviews, wishlists or carts"
        return report
    order_ids = history.write_orders(coupons)
    reviews_write(history, order_ids=order_ids)
    wishlists_write(history)
    carts_write(history)
    coupon_uses_recount(coupons=list(coupons.values()))
    report.payouts = payouts_ensure()
    return report


def _seeded_models() -> list[type[Model]]:
    # Every table: the steps write most of the apps' tables, and analyzing one they left
    # alone costs a page read.
    return [model for model in apps.get_models() if model._meta.managed and not model._meta.proxy]


def _recommendations_compute() -> int:
    # The similar pass grows with the catalog; on a huge one, only for the products in
    # orders and wishlists (the others fall back at request time).
    only_ordered = Product.objects.count() > FULL_RECOMMENDATIONS_LIMIT
    return recommendations_compute(only_ordered=only_ordered)
