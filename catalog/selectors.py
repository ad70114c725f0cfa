"""Reads of the catalog worth naming. Every view that lists a thing goes through these, so
they all get the same joins, prefetches and annotations (and the same query count)."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Lower, Now, Round

from catalog.models import Brand, Category, Product, ProductImage
from stores.models import StoreStatus

_MONEY = DecimalField(max_digits=12, decimal_places=2)


def discount_active_q(*, at: datetime | None = None) -> Q:
    """The SQL twin of Product.discount_active(): a percent is set and `at` (the database's
    now when None) is inside the optional [starts_at, ends_at) window."""
    now = Now() if at is None else Value(at)
    return (
        Q(discount_percent__isnull=False, discount_percent__gt=0)
        & (Q(discount_starts_at__isnull=True) | Q(discount_starts_at__lte=now))
        & (Q(discount_ends_at__isnull=True) | Q(discount_ends_at__gt=now))
    )


def effective_price_expression(*, at: datetime | None = None):
    """The SQL twin of Product.effective_price at `at` (now when None): price less an
    active discount, rounded to cents (PostgreSQL's numeric ROUND is half away from zero,
    i.e. half up for prices). It fills and refreshes the stored Product.current_price."""
    discounted = ExpressionWrapper(
        F("price") * (Value(Decimal(100)) - F("discount_percent")) / Value(Decimal(100)),
        output_field=_MONEY,
    )
    return Case(
        When(discount_active_q(at=at), then=Round(discounted, precision=2, output_field=_MONEY)),
        default=F("price"),
        output_field=_MONEY,
    )


def product_images_prefetch() -> Prefetch:
    # Primary first, then the seller's order (the model's default ordering, made explicit).
    return Prefetch(
        "images", queryset=ProductImage.objects.order_by("-is_primary", "position", "created_at")
    )


def sellable_q(prefix: str = "") -> Q:
    """Products on sale: active, not deleted, of an approved store (a suspended store's
    products leave the catalog, carts and checkout). `prefix` reaches them through a
    relation, e.g. `product__`. The SQL twin of Product.is_sellable."""
    return Q(
        **{
            f"{prefix}is_active": True,
            f"{prefix}is_deleted": False,
            f"{prefix}store__status": StoreStatus.APPROVED,
        }
    )


def product_list_for(*, user) -> QuerySet[Product]:
    """The products `user` may see: soft-deleted ones never; inactive ones and those of a
    store that is not approved only by staff and by the store's owner."""
    queryset = Product.objects.filter(is_deleted=False)
    if not (user and user.is_authenticated and user.is_staff):
        visible = sellable_q()
        if user and user.is_authenticated:
            visible |= Q(store__owner=user)
        queryset = queryset.filter(visible)
    return (
        queryset.select_related("category", "brand", "store")
        .prefetch_related(product_images_prefetch())
        # The id breaks ties between products created in the same instant, so pages
        # never overlap.
        .order_by("-created_at", "-id")
    )


def product_name_taken(*, name: str, exclude_id: UUID | None = None) -> bool:
    """Whether a non-deleted product already uses `name`, compared like the
    catalog_product_name_ci_unique constraint (LOWER(name)), so its index answers it."""
    queryset = Product.objects.alias(lower_name=Lower("name")).filter(
        lower_name=Lower(Value(name)), is_deleted=False
    )
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.exists()


def category_list() -> QuerySet[Category]:
    return Category.objects.prefetch_related(
        Prefetch("children", queryset=Category.objects.only("id", "name", "slug", "parent_id"))
    )


def brand_list() -> QuerySet[Brand]:
    return Brand.objects.all()


def _category_parent_map() -> dict[UUID, UUID | None]:
    # The category table is small (hundreds of rows): one query for the whole tree beats
    # one query per level.
    return dict(Category.objects.values_list("id", "parent_id"))


def category_descendant_ids(*, category_ids: Iterable[UUID]) -> set[UUID]:
    """The given categories and all their subcategories at any depth."""
    children: dict[UUID, list[UUID]] = {}
    for category_id, parent_id in _category_parent_map().items():
        children.setdefault(parent_id, []).append(category_id)
    found: set[UUID] = set()
    pending = list(category_ids)
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found.add(current)
        pending.extend(children.get(current, ()))
    return found


def category_ancestor_ids(*, category_id: UUID) -> list[UUID]:
    """The chain of parents of a category, nearest first (stops on a cycle)."""
    parents = _category_parent_map()
    chain: list[UUID] = []
    current = parents.get(category_id)
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def category_ids_matching(*, term: str) -> list[UUID]:
    return list(Category.objects.filter(name__icontains=term).values_list("id", flat=True))


def brand_ids_matching(*, term: str) -> list[UUID]:
    return list(Brand.objects.filter(name__icontains=term).values_list("id", flat=True))


def store_product_count(*, store_id) -> int:
    """How many of the store's products are on sale (its storefront figure)."""
    return Product.objects.filter(store_id=store_id, is_active=True, is_deleted=False).count()
