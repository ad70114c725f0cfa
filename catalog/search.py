"""Product search: what `?search=` means, on PostgreSQL and elsewhere.

PostgreSQL keeps a search document per product (Product.search_vector): the name with
weight A, the brand and the store names B, the category name C, the description and the
skin attributes (skin types, concerns, ingredients) D (SEARCH_DOCUMENT_SOURCES). Names are
indexed twice, with the `simple` configuration (every word as written, lower-cased: brand
names such as Dermaveil or Kerasol are found as typed, and a prefix of any word matches)
and with `english` (stems: "serums" finds "Serum", "hydrating" and "hydration" meet at
"hydrat"); descriptions and skin attributes only with `english`, which drops stop words and
keeps the document small. Every word of a query is looked up both ways.

A query is built from the user's words, never parsed as tsquery syntax: every word must
match (AND), `-word` excludes, and the last word matches as a prefix while it is still
being typed (no space or punctuation after it).

Typos: the words of every product, brand, store and category name are kept in a small table
(catalog.models.SearchTerm, with a trigram index). A query word that no name contains, or
every word when fewer than TYPO_MIN_MATCHES products match, is also looked for as the name
words most similar to it (pg_trgm similarity); those matches rank after the exact ones.
Matching misspellings against a few thousand words, rather than trigram-matching a million
product names, is what keeps a misspelt common word as fast as a correct one.

Other databases (SQLite) keep a simpler, correct fallback: every word is a case-insensitive
substring of the name, the category name or the brand name; products whose name holds every
word come first.
"""

import re
from dataclasses import dataclass, field
from functools import reduce
from operator import and_, or_

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection, transaction
from django.db.models import (
    Case,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from catalog.models import Brand, Category
from core.pagination import count_upto, planner_estimate
from stores.models import Store

MAX_SEARCH_WORDS = 8
# Fewer full-text matches than this and the query's words are also corrected for typos.
TYPO_MIN_MATCHES = 5
# Corrections tried per misspelt word (the most similar words first).
TYPO_ALTERNATIVES = 3
# Each query word is looked up with both configurations (see the module docstring).
SEARCH_CONFIGS = ("simple", "english")
# ts_rank_cd's weights for D, C, B and A.
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]
# The relevance tiers: a product is in the first tier whose weights alone match the query
# (the name; then name or brand; then name, brand or category; then anything), newest first
# within a tier. A tier is one index-ordered query, which is what keeps a common word fast
# at a million products; small result sets are refined by ts_rank_cd (see
# catalog.listing).
WEIGHT_TIERS = ("A", "AB", "ABC", "")

_WORD = re.compile(r"[^\W_]+")


def _brand_name():
    return Subquery(Brand.objects.filter(pk=OuterRef("brand_id")).values("name")[:1])


def _category_name():
    return Subquery(Category.objects.filter(pk=OuterRef("category_id")).values("name")[:1])


def _store_name():
    return Subquery(Store.objects.filter(pk=OuterRef("store_id")).values("name")[:1])


# (source expression, weight, configurations).
SEARCH_DOCUMENT_SOURCES = (
    (lambda: "name", "A", SEARCH_CONFIGS),
    (_brand_name, "B", SEARCH_CONFIGS),
    (_store_name, "B", SEARCH_CONFIGS),
    (_category_name, "C", SEARCH_CONFIGS),
    (lambda: "description", "D", ("english",)),
    # The skin attributes' words (their JSON text: the brackets and quotes are no words),
    # as much as the description: "acne" or "niacinamide" finds what is tagged with it.
    (lambda: Cast("skin_types", TextField()), "D", ("english",)),
    (lambda: Cast("concerns", TextField()), "D", ("english",)),
    (lambda: Cast("ingredients", TextField()), "D", ("english",)),
)


def search_document():
    """The expression that computes a product's search document in an UPDATE of its row."""
    parts = [
        SearchVector(
            Coalesce(source(), Value(""), output_field=TextField()), config=config, weight=weight
        )
        for source, weight, configs in SEARCH_DOCUMENT_SOURCES
        for config in configs
    ]
    return reduce(lambda left, right: left + right, parts)


def full_text_search_available() -> bool:
    return connection.vendor == "postgresql"


# --- the user's query --------------------------------------------------------------------


@dataclass(frozen=True)
class ProductSearch:
    """A parsed `?search=` value."""

    text: str
    # Whitespace-separated tokens that must match / must not (after their `-`).
    tokens: tuple[str, ...]
    excluded_tokens: tuple[str, ...]
    # The letters-and-digits words of those tokens, lower-cased.
    words: tuple[str, ...]
    excluded_words: tuple[tuple[str, ...], ...]
    # The last word is still being typed: it matches as a prefix.
    prefix: bool
    # Misspelt word -> the words it may have meant (PostgreSQL, filled when results are thin).
    corrections: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    @property
    def is_empty(self) -> bool:
        return not self.tokens and not self.excluded_tokens


def parse_search(text: str) -> ProductSearch:
    tokens, excluded = [], []
    for token in text.split()[:MAX_SEARCH_WORDS]:
        if token.startswith("-") and len(token) > 1:
            excluded.append(token[1:])
        else:
            tokens.append(token)
    words = tuple(word.lower() for token in tokens for word in _WORD.findall(token))
    last_is_typed = bool(tokens) and text == text.rstrip() and bool(_WORD.search(text[-1:]))
    return ProductSearch(
        text=text,
        tokens=tuple(tokens),
        excluded_tokens=tuple(excluded),
        words=words,
        excluded_words=tuple(
            tuple(w.lower() for w in _WORD.findall(token))
            for token in excluded
            if _WORD.search(token)
        ),
        prefix=last_is_typed and text.split()[-1] == tokens[-1],
    )


# --- PostgreSQL full text ----------------------------------------------------------------


def _lexeme_query(term: str, *, label: str) -> SearchQuery:
    # `term` holds letters and digits only (_WORD), so quoting it cannot inject tsquery
    # syntax; each configuration normalises it its own way (a stop word in `english`
    # becomes an empty query, which && and || ignore).
    raw = f"'{term}'{label}"
    return reduce(or_, [SearchQuery(raw, config=c, search_type="raw") for c in SEARCH_CONFIGS])


def tsquery(search: ProductSearch, *, weights: str = "", corrected: bool = False) -> SearchQuery:
    """Every word (or, with `corrected`, one of the words it may have meant), in any field
    of `weights` ("" = any). Excluded words are search_match_q's business."""
    parts = []
    for index, word in enumerate(search.words):
        prefix = search.prefix and index == len(search.words) - 1
        label = (":*" if prefix else "") + weights
        if label and not label.startswith(":"):
            label = ":" + label
        if corrected and word in search.corrections:
            alternatives = [
                _lexeme_query(term, label=f":{weights}" if weights else "")
                for term in search.corrections[word]
            ]
            parts.append(reduce(or_, [_lexeme_query(word, label=label), *alternatives]))
        else:
            parts.append(_lexeme_query(word, label=label))
    return reduce(and_, parts)


def search_match_q(search: ProductSearch) -> Q:
    """The products the search finds: exact matches, and corrected ones when there are
    corrections; none that has every word of an excluded token."""
    matches = Q(search_vector=tsquery(search))
    if search.corrections:
        matches |= Q(search_vector=tsquery(search, corrected=True))
    return matches & search_exclusion_q(search)


def search_exclusion_q(search: ProductSearch) -> Q:
    """None of the excluded tokens (all of a token's words together) in any field."""
    kept = Q()
    for words in search.excluded_words:
        excluded = reduce(and_, [_lexeme_query(word, label="") for word in words])
        kept &= ~Q(search_vector=excluded)
    return kept


def search_tier_conditions(search: ProductSearch) -> list[Q]:
    """Disjoint conditions, best first, that together select exactly search_match_q: one
    per weight tier of the exact words, then the corrected-only matches."""
    cumulative = [Q(search_vector=tsquery(search, weights=weights)) for weights in WEIGHT_TIERS]
    if search.corrections:
        cumulative.append(search_match_q(search))
    tiers = []
    for index, condition in enumerate(cumulative):
        tiers.append(condition & ~cumulative[index - 1] if index else condition)
    return tiers


def search_tier_expression(search: ProductSearch) -> Case:
    """The tier number of each row (0 = best), for ordering small result sets in SQL."""
    conditions = [Q(search_vector=tsquery(search, weights=w)) for w in WEIGHT_TIERS]
    return Case(
        *[When(condition, then=Value(i)) for i, condition in enumerate(conditions)],
        default=Value(len(conditions)),
        output_field=IntegerField(),
    )


# Above this planner estimate a query is taken to have plenty of matches (the estimate of a
# frequent word comes from the column's statistics and is good); below it, they are counted.
FEW_MATCHES_MAX_ESTIMATE = 10_000


def few_matches(matches: QuerySet, *, fewer_than: int) -> bool:
    """Whether fewer than `fewer_than` products match, at a bounded cost. For a word rare
    enough to be missing from the statistics PostgreSQL assumes thousands of matches and
    would look for the first few by reading the whole table; counting from the search
    index (a bitmap scan, proportional to the real matches) is what stays cheap."""
    estimate = planner_estimate(matches)
    if estimate is not None and estimate >= FEW_MATCHES_MAX_ESTIMATE:
        return False
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        try:
            return count_upto(matches, fewer_than) < fewer_than
        finally:
            cursor.execute("SET LOCAL enable_seqscan = on")
            cursor.execute("SET LOCAL enable_indexscan = on")


# --- the fallback ------------------------------------------------------------------------


def substring_match_q(token: str, *, category_ids, brand_ids) -> Q:
    matches = Q(name__icontains=token)
    if category_ids:
        matches |= Q(category_id__in=category_ids)
    if brand_ids:
        matches |= Q(brand_id__in=brand_ids)
    return matches


def substring_rank_expression(search: ProductSearch) -> Case:
    """0 when the name holds every word, else 1: name matches first."""
    in_name = reduce(and_, [Q(name__icontains=token) for token in search.tokens])
    return Case(When(in_name, then=Value(0)), default=Value(1), output_field=IntegerField())


def apply_substring_search(queryset: QuerySet, search: ProductSearch, resolve) -> QuerySet:
    """Filter by the fallback rules; `resolve(token)` gives the (category ids, brand ids)
    whose names contain the token (small tables, resolved first so the product query stays
    on its own indexes)."""
    for token in search.tokens:
        category_ids, brand_ids = resolve(token)
        queryset = queryset.filter(
            substring_match_q(token, category_ids=category_ids, brand_ids=brand_ids)
        )
    for token in search.excluded_tokens:
        category_ids, brand_ids = resolve(token)
        queryset = queryset.exclude(
            substring_match_q(token, category_ids=category_ids, brand_ids=brand_ids)
        )
    return queryset
