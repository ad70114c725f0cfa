"""Reads of the catalog worth naming. Every view that lists a thing goes through these, so
they all get the same joins, prefetches and annotations (and the same query count)."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, connections
from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import JSONObject, Lower, Now, Round

from catalog.models import Brand, BytewiseLower, Category, Product, ProductImage
from stores.models import Store, StoreStatus

_MONEY = DecimalField(max_digits=12, decimal_places=2)


def json_list_has_q(*, field: str, value: str) -> Q:
    """Rows whose JSON list `field` (Product.skin_types, concerns, ingredients) holds
    `value`. On PostgreSQL a jsonb containment (`@>`), which the GIN indexes serve; other
    databases have no JSON containment, so the JSON text is searched for the quoted value
    (the lists hold plain strings, serialised as JSON, so a quoted value matches one
    element exactly, never a part of one)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [value]})
    return Q(**{f"{field}__icontains": json.dumps(value)})


def json_list_has_any_q(*, field: str, values: Iterable[str]) -> Q:
    """Rows whose JSON list `field` holds at least one of `values` (none when empty)."""
    condition = Q(pk__in=[])
    for value in values:
        condition |= json_list_has_q(field=field, value=value)
    return condition


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


# Primary first, then the seller's order (the model's default ordering, made explicit).
_IMAGE_ORDER = ("-is_primary", "position", "created_at")


def product_images_prefetch() -> Prefetch:
    return Prefetch("images", queryset=ProductImage.objects.order_by(*_IMAGE_ORDER))


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
    children: dict[UUID | None, list[UUID]] = {}
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


# --- search -----------------------------------------------------------------------------

_VOCABULARY_SQL = """
    SELECT w.word,
        EXISTS (
            SELECT 1 FROM catalog_searchterm
            WHERE term = w.word OR (w.prefix AND term LIKE w.pattern)
        ),
        ARRAY(
            SELECT term FROM catalog_searchterm
            WHERE term %% w.word AND term <> w.word
            ORDER BY similarity(term, w.word) DESC, term
            LIMIT %s
        )
    FROM unnest(%s::text[], %s::boolean[], %s::text[]) AS w(word, prefix, pattern)
"""


@dataclass(frozen=True)
class Vocabulary:
    """What the name words (catalog.models.SearchTerm) say about a query's words."""

    # Words some product, brand or category name contains (as a prefix for a word being
    # typed).
    known: frozenset[str]
    # Word -> the name words most similar to it (pg_trgm similarity above
    # pg_trgm.similarity_threshold, 0.3 by default), best first.
    similar: dict[str, tuple[str, ...]]


def search_vocabulary(
    *, words: Iterable[str], prefix_word: str | None, per_word: int
) -> Vocabulary:
    """One query on the small SearchTerm table (its trigram index serves both the prefix
    and the similarity lookups); PostgreSQL only. Numbers and words under three letters
    count as known and get no corrections."""
    candidates = sorted({w for w in words if len(w) >= 3 and not w.isdigit()})
    if not candidates or connection.vendor != "postgresql":
        return Vocabulary(known=frozenset(words), similar={})
    prefixes = [word == prefix_word for word in candidates]
    # Words hold letters and digits only (catalog.search), nothing LIKE would read as a
    # wildcard.
    patterns = [f"{word}%" for word in candidates]
    with connection.cursor() as cursor:
        cursor.execute(_VOCABULARY_SQL, [per_word, candidates, prefixes, patterns])
        rows = cursor.fetchall()
    known = {word for word, exists, _ in rows if exists}
    known |= {w for w in words if w not in candidates}
    return Vocabulary(
        known=frozenset(known), similar={word: tuple(terms) for word, _, terms in rows if terms}
    )


# --- lean product reads -----------------------------------------------------------------

# What a product's public representation needs, read with .values(): no model instances,
# category and brand joined in the same query (catalog.serializers.product_representation).
PRODUCT_ROW_FIELDS = (
    "id",
    "name",
    "slug",
    "description",
    "price",
    "currency",
    "discount_percent",
    "discount_starts_at",
    "discount_ends_at",
    "current_price",
    "category_id",
    "category__name",
    "category__slug",
    "brand_id",
    "brand__name",
    "brand__slug",
    "stock_quantity",
    "is_active",
    "average_rating",
    "review_count",
    "store_id",
    "store__slug",
    "store__name",
    "skin_types",
    "concerns",
    "ingredients",
    "created_by_id",
    "created_at",
    "updated_at",
)
PRODUCT_IMAGE_FIELDS = ("id", "product_id", "image", "alt_text", "is_primary", "position")
_IMAGE_JSON_FIELDS = ("id", "image", "alt_text", "is_primary", "position", "created_at")


def product_rows(queryset: QuerySet[Product]) -> QuerySet:
    """The queryset's products as dicts of PRODUCT_ROW_FIELDS (its filters and ordering
    kept). On PostgreSQL each row also carries its images ("image_rows", as
    product_images_by_product gives them but with `created_at` as ISO 8601 text), in the
    same query; elsewhere they are a query of their own (product_images_by_product)."""
    rows = queryset.select_related(None).prefetch_related(None)
    if connections[rows.db].vendor != "postgresql":
        return rows.values(*PRODUCT_ROW_FIELDS)
    images = (
        ProductImage.objects.filter(product_id=OuterRef("pk"))
        .order_by(*_IMAGE_ORDER)
        .values(json=JSONObject(**{field: field for field in _IMAGE_JSON_FIELDS}))
    )
    return rows.values(*PRODUCT_ROW_FIELDS, image_rows=ArraySubquery(images))


def product_images_by_product(*, product_ids: list) -> dict:
    """Product id -> its images as dicts, primary first then in the seller's order; one
    query whatever the number of products."""
    images: dict = {}
    if not product_ids:
        return images
    rows = (
        ProductImage.objects.filter(product_id__in=product_ids)
        .order_by("product_id", *_IMAGE_ORDER)
        .values(*PRODUCT_IMAGE_FIELDS, "created_at")
    )
    for row in rows:
        images.setdefault(row["product_id"], []).append(row)
    return images


# --- suggestions ------------------------------------------------------------------------


def _name_prefix_rows(queryset: QuerySet, *, prefix: str, limit: int, fields) -> list[dict]:
    # BytewiseLower: the same expression as catalog_prod_name_prefix_idx, so the prefix is a
    # range of that index and the first `limit` names in its order end the scan.
    return list(
        queryset.alias(name_key=BytewiseLower("name"))
        .filter(name_key__startswith=prefix.lower())
        .order_by("name_key")
        .values(*fields)[:limit]
    )


def _word_prefix_q(prefix: str) -> Q:
    # Any word of the name starts with the prefix (small tables only: no index needed).
    return Q(name__istartswith=prefix) | Q(name__icontains=f" {prefix}")


def suggest_products(*, prefix: str, limit: int) -> list[dict]:
    return [
        {"kind": "product", "text": row["name"], "id": row["id"], "slug": row["slug"]}
        for row in _name_prefix_rows(
            Product.objects.filter(sellable_q()),
            prefix=prefix,
            limit=limit,
            fields=("id", "name", "slug"),
        )
    ]


def suggest_categories(*, prefix: str, limit: int) -> list[dict]:
    rows = Category.objects.filter(_word_prefix_q(prefix)).order_by("name", "id")
    return [
        {"kind": "category", "text": row["name"], "id": row["id"], "slug": row["slug"]}
        for row in rows.values("id", "name", "slug")[:limit]
    ]


def suggest_brands(*, prefix: str, limit: int) -> list[dict]:
    rows = Brand.objects.filter(_word_prefix_q(prefix)).order_by("name", "id")
    return [
        {"kind": "brand", "text": row["name"], "id": row["id"], "slug": row["slug"]}
        for row in rows.values("id", "name", "slug")[:limit]
    ]


def suggest_stores(*, prefix: str, limit: int) -> list[dict]:
    rows = Store.objects.filter(_word_prefix_q(prefix), status=StoreStatus.APPROVED)
    return [
        {"kind": "store", "text": row["name"], "id": row["id"], "slug": row["slug"]}
        for row in rows.order_by("name", "id").values("id", "name", "slug")[:limit]
    ]


# Where completions come from, in the order they are listed; each source answers with one
# indexed query.
SUGGEST_SOURCES = (suggest_categories, suggest_brands, suggest_stores, suggest_products)


def product_suggestions(*, prefix: str, limit: int = 10) -> list[dict]:
    """Up to `limit` completions of `prefix`: categories, brands and open stores whose name
    has a word starting with it, then products on sale whose name starts with it."""
    found: list[dict] = []
    for source in SUGGEST_SOURCES:
        if len(found) >= limit:
            break
        found += source(prefix=prefix, limit=limit - len(found))
    return found
