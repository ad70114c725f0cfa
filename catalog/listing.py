"""The order of a product list: by columns (`?ordering=`, newest first by default), or by
relevance when `?search=` is given without `ordering`.

Relevance on PostgreSQL (catalog.search): products come by tier, the first group of fields
whose words alone match the query (name; name or brand; name, brand or category; any
field; then matches of typo corrections), newest first within a tier. Each tier is one
query in index order, so a word found in 60,000 products costs what a page of the plain
list costs, instead of ranking every match. When the whole result is small
(SEARCH_RANK_LIMIT), products are ordered in one query by tier, then by ts_rank_cd with the
weights (D 0.1, C 0.2, B 0.4, A 1.0: repeated and close-together words count more),
then newest first. Elsewhere (SQLite) products whose name holds every word come first.
"""

from django.contrib.postgres.search import SearchRank
from django.db.models import F, QuerySet

from catalog.cache import PRODUCT_LISTS
from catalog.search import (
    RANK_WEIGHTS,
    ProductSearch,
    full_text_search_available,
    search_tier_conditions,
    search_tier_expression,
    substring_rank_expression,
    tsquery,
)
from catalog.selectors import product_rows
from core.pagination import CountedListing, OrderedListing, SortKey, count_upto

# At most this many matches are ordered by ts_rank_cd (each match's document is read and
# scored); bigger results go by tier and date.
SEARCH_RANK_LIMIT = 1_000

_NEWEST = (SortKey("created_at", True), SortKey("id", True))
# Ties of any other ordering: newest first, then id (what the price indexes end with).
_TIES = (SortKey("created_at", True), SortKey("id", False))
_COLUMNS = {
    "price": "current_price",
    "name": "name",
    "rating": "average_rating",
    "average_rating": "average_rating",
}
# Orderings that an index follows to the end (catalog.models), so a cursor page is an
# index range at any depth.
CURSOR_ORDERINGS = ("-created_at", "created_at", "price", "-price")
# Every write that changes which products a list holds bumps this scope (catalog.cache).
_COUNT_SCOPES = (PRODUCT_LISTS,)


def ordering_sort_keys(ordering: list[str]) -> tuple[SortKey, ...]:
    """The total order of `?ordering=` values (already validated by ProductFilter)."""
    if not ordering or ordering == ["-created_at"]:
        return _NEWEST
    if ordering == ["created_at"]:
        return (SortKey("created_at", False), SortKey("id", False))
    keys = []
    for term in ordering:
        name = term.lstrip("-")
        field = "created_at" if name == "created_at" else _COLUMNS[name]
        keys.append(SortKey(field, term.startswith("-")))
    fields = {key.field for key in keys}
    keys += [tie for tie in _TIES if tie.field not in fields]
    return tuple(keys)


def ordered_listing(*, queryset: QuerySet, ordering: list[str]) -> OrderedListing:
    name = ",".join(ordering) or "-created_at"
    return OrderedListing(
        queryset,
        sort_keys=ordering_sort_keys(ordering),
        ordering_name=name,
        project=product_rows,
        supports_cursor=name in CURSOR_ORDERINGS,
        count_scopes=_COUNT_SCOPES,
    )


class SearchRelevanceListing(CountedListing):
    """Search results best match first (see the module docstring); pages only."""

    supports_cursor = False
    sort_keys = ()
    ordering_name = "relevance"
    count_scopes = _COUNT_SCOPES

    def __init__(self, queryset: QuerySet, search: ProductSearch):
        self.queryset = queryset
        self.search = search

    def rows(self, offset: int, limit: int) -> list[dict]:
        if not full_text_search_available():
            ranked = self.queryset.alias(relevance=substring_rank_expression(self.search))
            return list(
                product_rows(ranked.order_by("relevance", "-created_at", "-id"))[
                    offset : offset + limit
                ]
            )
        count, is_estimate = self.count()
        if not is_estimate and count <= SEARCH_RANK_LIMIT:
            return self._ranked_rows(offset, limit)
        return self._tiered_rows(offset, limit)

    def _ranked_rows(self, offset: int, limit: int) -> list[dict]:
        query = tsquery(self.search)
        if self.search.corrections:
            query |= tsquery(self.search, corrected=True)
        ranked = self.queryset.alias(
            tier=search_tier_expression(self.search),
            rank=SearchRank(F("search_vector"), query, weights=RANK_WEIGHTS, cover_density=True),
        ).order_by("tier", "-rank", "-created_at", "-id")
        return list(product_rows(ranked)[offset : offset + limit])

    def _tiered_rows(self, offset: int, limit: int) -> list[dict]:
        found: list[dict] = []
        skip = offset
        for condition in search_tier_conditions(self.search):
            tier = self.queryset.filter(condition)
            if skip:
                # Pages go at most MAX_PAGE_DEPTH rows deep, so this count is bounded.
                in_tier = count_upto(tier, skip)
                if in_tier < skip:
                    skip -= in_tier
                    continue
            ordered = product_rows(tier.order_by("-created_at", "-id"))
            found += list(ordered[skip : skip + limit - len(found)])
            skip = 0
            if len(found) >= limit:
                break
        return found


def product_listing(*, queryset: QuerySet, ordering: list[str], search: ProductSearch | None):
    """How the filtered products are listed: by relevance for a search without ordering,
    else by the ordering's columns."""
    if search is not None and not ordering:
        return SearchRelevanceListing(queryset, search)
    return ordered_listing(queryset=queryset, ordering=ordering)
