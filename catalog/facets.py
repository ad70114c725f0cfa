"""`GET products/facets/`: how many of the products a list would show fall in each
category, brand, store, price band and stock state.

One grouping query over the filtered products answers every facet (GROUPING SETS on
PostgreSQL, one scan; a plain GROUP BY elsewhere, summed here), plus the small category and
brand tables for names. A facet is a FacetSource in FACET_SOURCES: the column it groups by
and how its counts are shown.

Counts are exact while the filtered set is small enough for its count to be exact
(EXACT_COUNT_LIMIT, as for the list's `count`). Above it, on PostgreSQL, they are estimated
from a fixed-size random sample of the table's pages (TABLESAMPLE SYSTEM, FACET_SAMPLE_ROWS
rows, repeatable so the same data gives the same figures) scaled up, and marked
`counts_are_estimates`: an exact GROUP BY over hundreds of thousands of rows takes
hundreds of milliseconds, the sample a few.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from catalog.models import Brand, Category, Product, SkinConcern, SkinType
from catalog.selectors import json_list_has_q
from stores.models import Store

# Rows of the table a facet estimate reads (about 1 % of a million products).
FACET_SAMPLE_ROWS = 10_000
CENT = Decimal("0.01")

# Price bands on the effective price (Product.current_price, what min_price/max_price
# filter): [low, high), the last one open. A band's min_price/max_price pair, given to the
# list, selects exactly the products it counts.
PRICE_BANDS = (
    (Decimal("0"), Decimal("10")),
    (Decimal("10"), Decimal("25")),
    (Decimal("25"), Decimal("50")),
    (Decimal("50"), Decimal("100")),
    (Decimal("100"), Decimal("200")),
    (Decimal("200"), None),
)


def _price_band_expression():
    whens = [
        When(current_price__lt=high, then=Value(index))
        for index, (_, high) in enumerate(PRICE_BANDS)
        if high is not None
    ]
    return Case(*whens, default=Value(len(PRICE_BANDS) - 1), output_field=IntegerField())


def _in_stock_expression():
    return Case(
        When(stock_quantity__gt=0, then=Value(1)), default=Value(0), output_field=IntegerField()
    )


@dataclass(frozen=True)
class FacetSource:
    """One facet: `key` names it in the answer, `expression()` is what the products are
    grouped by, `present(counts)` turns {value: count} into the answer's list; `convert`
    turns a raw database value into a Python one (ids come back as text on SQLite)."""

    key: str
    expression: Callable[[], object]
    present: Callable[[dict], list]
    convert: Callable[[object], object] = lambda value: value


def _uuid(value):
    return None if value is None else uuid.UUID(str(value))


def _present_categories(counts: dict) -> list[dict]:
    categories = list(Category.objects.values("id", "name", "slug", "parent_id"))
    parents = {c["id"]: c["parent_id"] for c in categories}
    rolled = defaultdict(int)
    for category_id, number in counts.items():
        # A parent counts its own products and those of every subcategory: add each
        # category's count to it and to all its ancestors (stopping on a cycle).
        seen = set()
        while category_id is not None and category_id not in seen:
            seen.add(category_id)
            rolled[category_id] += number
            category_id = parents.get(category_id)
    return [
        {
            "id": c["id"],
            "name": c["name"],
            "slug": c["slug"],
            "parent": c["parent_id"],
            "count": rolled[c["id"]],
        }
        for c in sorted(categories, key=lambda c: (c["name"], str(c["id"])))
        if rolled[c["id"]]
    ]


def _present_brands(counts: dict) -> list[dict]:
    ids = [brand_id for brand_id in counts if brand_id is not None]
    brands = Brand.objects.filter(pk__in=ids).order_by("name", "id").values("id", "name", "slug")
    return [{**brand, "count": counts[brand["id"]]} for brand in brands if counts[brand["id"]]]


def _present_stores(counts: dict) -> list[dict]:
    ids = [store_id for store_id in counts if store_id is not None]
    stores = Store.objects.filter(pk__in=ids).order_by("name", "id").values("id", "name", "slug")
    return [{**store, "count": counts[store["id"]]} for store in stores if counts[store["id"]]]


def _present_price_bands(counts: dict) -> list[dict]:
    bands = []
    for index, (low, high) in enumerate(PRICE_BANDS):
        bands.append(
            {
                "key": f"{low}-{high}" if high is not None else f"{low}-",
                "min_price": f"{low:.2f}",
                # max_price is inclusive: the last cent below the next band.
                "max_price": f"{high - CENT:.2f}" if high is not None else None,
                "count": counts.get(index, 0),
            }
        )
    return bands


def _present_in_stock(counts: dict) -> list[dict]:
    return [
        {"value": True, "count": counts.get(1, 0)},
        {"value": False, "count": counts.get(0, 0)},
    ]


def _has_value_expression(field: str, value: str):
    def expression():
        return Case(
            When(json_list_has_q(field=field, value=value), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )

    return expression


def _count_of_flag(counts: dict) -> int:
    return counts.get(1, 0)


# Skin types and concerns: a product holds several, so each value of the vocabulary is a
# 0/1 column of its own (one more grouping set each on PostgreSQL), gathered afterwards
# into the answer's `skin_types` and `concerns` lists.
LIST_FACETS = (
    ("skin_types", "skin_types", SkinType.values),
    ("concerns", "concerns", SkinConcern.values),
)
_LIST_SOURCES = tuple(
    FacetSource(f"{key}_{value}", _has_value_expression(field, value), _count_of_flag)
    for key, field, values in LIST_FACETS
    for value in values
)

# The facets, in the order of the answer.
FACET_SOURCES = (
    FacetSource("categories", lambda: F("category_id"), _present_categories, _uuid),
    FacetSource("brands", lambda: F("brand_id"), _present_brands, _uuid),
    FacetSource("stores", lambda: F("store_id"), _present_stores, _uuid),
    FacetSource("price_bands", _price_band_expression, _present_price_bands),
    FacetSource("in_stock", _in_stock_expression, _present_in_stock),
    *_LIST_SOURCES,
)


def _gather_list_facets(answer: dict) -> dict:
    for key, _, values in LIST_FACETS:
        counts = [(value, answer.pop(f"{key}_{value}")) for value in values]
        answer[key] = [{"value": value, "count": count} for value, count in counts if count]
    return answer


def _columns() -> dict[str, object]:
    return {f"facet_{source.key}": source.expression() for source in FACET_SOURCES}


def _grouped_counts_sql(queryset: QuerySet, *, sample_percent: float | None):
    columns = _columns()
    inner = queryset.order_by().annotate(**columns).values(*columns)
    sql, params = inner.query.sql_with_params()
    if sample_percent is not None:
        # Only the products table is sampled (the ORM names it once, in FROM); REPEATABLE
        # makes the same data give the same estimate, and the same ETag, every time.
        table = f'FROM "{Product._meta.db_table}"'
        sample = f"{table} TABLESAMPLE SYSTEM ({sample_percent:.6f}) REPEATABLE (0)"
        sql = sql.replace(table, sample, 1)
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        sets = ", ".join(f"({name})" for name in columns)
        # Only column names of FACET_SOURCES and the ORM's own SQL are interpolated; every
        # value stays a parameter.
        return (
            f"SELECT {names}, GROUPING({names}), COUNT(*) FROM ({sql}) AS facet_rows "  # noqa: S608
            f"GROUP BY GROUPING SETS ({sets})",
            params,
            True,
        )
    grouped = f"SELECT {names}, COUNT(*) FROM ({sql}) AS facet_rows GROUP BY {names}"  # noqa: S608
    return grouped, params, False


def _sample_percent() -> float | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Product._meta.db_table]
        )
        row = cursor.fetchone()
    rows = row[0] if row else 0
    if rows <= FACET_SAMPLE_ROWS:
        return None
    return 100.0 * FACET_SAMPLE_ROWS / rows


def product_facets(*, queryset: QuerySet, estimate: bool) -> dict:
    """Counts of `queryset`'s products per facet value; `estimate` (a set too big to count
    exactly) samples the table on PostgreSQL. A fixed number of queries: the grouping, the
    categories, the brands, the stores (and the table size when estimating)."""
    sample_percent = None
    if estimate and connection.vendor == "postgresql":
        sample_percent = _sample_percent()
    try:
        sql, params, grouping_sets = _grouped_counts_sql(queryset, sample_percent=sample_percent)
    except EmptyResultSet:
        # A filter the ORM knows matches nothing (a slug of no category): no query to run.
        sql, grouping_sets = None, False
    rows = []
    if sql is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()

    scale = 100.0 / sample_percent if sample_percent else 1.0
    counts: dict[str, dict] = {source.key: defaultdict(int) for source in FACET_SOURCES}
    width = len(FACET_SOURCES)
    for row in rows:
        values, number = row[:width], row[-1]
        for position, source in enumerate(FACET_SOURCES):
            # GROUPING() sets bit (width - 1 - position) for the columns *not* grouped.
            if grouping_sets and row[width] & (1 << (width - 1 - position)):
                continue
            counts[source.key][source.convert(values[position])] += number
    if scale != 1.0:
        for per_value in counts.values():
            for value, number in per_value.items():
                per_value[value] = round(number * scale)
    return _gather_list_facets(
        {
            "counts_are_estimates": sample_percent is not None,
            **{source.key: source.present(dict(counts[source.key])) for source in FACET_SOURCES},
        }
    )
