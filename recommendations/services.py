"""Precompute of product recommendations, so requests only read (recommendations.selectors).

Two kinds, each stored as at most `top_n` ProductRecommendation rows per product:

- bought_together: products that share orders (paid, shipped or delivered) with the
  product, counted by ONE aggregate query over an OrderItem self-join; the database also
  cuts the top N per product (a window function), so Python never loops over orders.
- similar: content-based, within the product's category: token Jaccard of name and
  description, a same-brand bonus and the rating. Candidates come from an inverted index
  of tokens built per category bucket, so only pairs sharing a token (or a brand) are
  ever compared, and the work per product is capped.

Each product's list is replaced in one transaction (delete + bulk_create), so a reader
sees the old list or the new one, never half of either.
"""

import bisect
import heapq
import logging
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from uuid import UUID

from django.db import reset_queries, transaction
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from catalog.models import Product
from catalog.selectors import sellable_q
from orders.models import SOLD_STATUSES, OrderItem
from recommendations.models import ProductRecommendation, RecommendationKind
from wishlist.models import WishlistItem

logger = logging.getLogger(__name__)

DEFAULT_TOP_N = 10
# Products whose lists are replaced per transaction, and rows per INSERT statement.
WRITE_CHUNK_PRODUCTS = 500
BULK_BATCH_SIZE = 1000

# Similar: the score is a weighted sum in [0, 1] (text counts most).
WEIGHT_TEXT = 0.6
WEIGHT_BRAND = 0.25
WEIGHT_RATING = 0.15
NAME_SHARE = 0.7  # of the text part; the description gives the rest
SIMILAR_TEXT_THRESHOLD = 0.2  # from here on the reason says "similar name/description"
# Work cap: a product is scored against at most MAX_CANDIDATES others of its category.
# Candidates come from its rarest words first; a word carried by more products than the
# room left (brand, "serum" in Serums) gives the products next to this one in the bucket,
# which is sorted by brand and name, so those neighbours are the likeliest matches.
MAX_CANDIDATES = 200
MAX_DESCRIPTION_CHARS = 2000
MAX_TOKENS = 64

_WORD_RE = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_STOP_WORDS_TEXT = """
a an and are as at be but by for from has have in into is it its of on or our so that
the their this to was were will with your you we all any can more most new not only
other out over per than then these they very also each made make makes just no
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def tokens_of(text: str, *, limit: int | None = None) -> frozenset[str]:
    """Normalised words of a text: lower-cased letters only (numbers and punctuation
    dropped), at least two letters, stop words removed, crude plural folding; with
    `limit`, the first `limit` distinct words of the text."""
    words: dict[str, None] = {}
    for word in _WORD_RE.findall(text.lower()):
        if word in STOP_WORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        # Interned: a category's products share most words; one string each saves memory.
        words[sys.intern(word)] = None
        if limit is not None and len(words) >= limit:
            break
    return frozenset(words)


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared) if shared else 0.0


@dataclass
class ComputeResult:
    bought_together: int = 0
    similar: int = 0
    products: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.bought_together + self.similar


# --- writing ----------------------------------------------------------------------------


def _replace_lists(
    *, kind: str, product_ids: Iterable[UUID], rows: list[ProductRecommendation]
) -> int:
    """Replace the `kind` lists of these products by `rows`, in one transaction."""
    with transaction.atomic():
        ProductRecommendation.objects.filter(kind=kind, product_id__in=list(product_ids)).delete()
        ProductRecommendation.objects.bulk_create(rows, batch_size=BULK_BATCH_SIZE)
    # With DEBUG on Django keeps every SQL string it ran, and a 1,000-row INSERT is long:
    # forget them so memory stays flat over a big catalog.
    reset_queries()
    return len(rows)


# --- bought together --------------------------------------------------------------------


def bought_together_pairs(*, top_n: int, product_ids: Iterable[UUID] | None = None):
    """(product_id, other_id, shared_orders) rows, at most `top_n` per product, most shared
    first, ordered by product. One query: OrderItem joined to the other items of its order,
    grouped by the pair, counted by distinct order, ranked per product by a window."""
    items = OrderItem.objects.filter(
        order__status__in=SOLD_STATUSES,
        product__isnull=False,
        product__is_deleted=False,
    )
    if product_ids is not None:
        items = items.filter(product_id__in=product_ids)
    # One filter() call for the whole reverse join, so `other` and its conditions use the
    # same OrderItem alias (separate filter() calls on a multi-valued relation would join
    # it again).
    pairs = (
        items.filter(
            order__items__product__is_active=True,
            order__items__product__is_deleted=False,
        )
        .annotate(other_id=F("order__items__product_id"))
        # On the annotation (the joined alias): an exclude() through the relation would
        # become a NOT EXISTS over all of the order's items.
        .exclude(other_id=F("product_id"))
        .values("product_id", "other_id")
        .annotate(shared=Count("order_id", distinct=True))
    )
    return (
        pairs.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("product_id")],
                order_by=[F("shared").desc(), F("other_id").asc()],
            )
        )
        .filter(rank__lte=top_n)
        .order_by("product_id", "rank")
        .values_list("product_id", "other_id", "shared")
    )


def _bought_together_reason(shared: int) -> str:
    return f"Bought together in {shared} order{'s' if shared != 1 else ''}"


def bought_together_compute(*, top_n: int = DEFAULT_TOP_N) -> int:
    """Recompute every product's bought-together list; returns rows written. Streams the
    ranked pairs and writes them a few hundred products at a time; lists of products that
    no longer share any order are removed at the end."""
    started = timezone.now()
    written = 0
    batch_ids: list[UUID] = []
    batch_rows: list[ProductRecommendation] = []
    for product_id, other_id, shared in bought_together_pairs(top_n=top_n).iterator(
        chunk_size=2000
    ):
        if not batch_ids or batch_ids[-1] != product_id:
            if len(batch_ids) >= WRITE_CHUNK_PRODUCTS:
                written += _replace_lists(
                    kind=RecommendationKind.BOUGHT_TOGETHER, product_ids=batch_ids, rows=batch_rows
                )
                batch_ids, batch_rows = [], []
            batch_ids.append(product_id)
        batch_rows.append(
            ProductRecommendation(
                product_id=product_id,
                recommended_id=other_id,
                kind=RecommendationKind.BOUGHT_TOGETHER,
                score=float(shared),
                reason=_bought_together_reason(shared),
            )
        )
    if batch_ids:
        written += _replace_lists(
            kind=RecommendationKind.BOUGHT_TOGETHER, product_ids=batch_ids, rows=batch_rows
        )
    # Every product with a list got a fresh one above; older rows belong to products that
    # have no co-purchases any more (orders cancelled, partners hidden or deleted).
    ProductRecommendation.objects.filter(
        kind=RecommendationKind.BOUGHT_TOGETHER, created_at__lt=started
    ).delete()
    return written


# --- similar ----------------------------------------------------------------------------


@dataclass
class _Doc:
    id: UUID
    brand: int | None  # a small per-bucket number: compared millions of times, unlike UUIDs
    brand_name: str
    rating: float
    name_tokens: frozenset
    desc_tokens: frozenset
    tokens: frozenset = field(default=frozenset())


def _category_docs(category_id: UUID) -> list[_Doc]:
    """The visible products of one category, reduced to what scoring needs (tokens, not
    text), streamed so a big category is never held as model instances."""
    docs = []
    brand_numbers: dict[UUID, int] = {}
    rows = (
        Product.objects.filter(sellable_q(), category_id=category_id)
        # Sorted so that neighbours share brand and leading words: a window of a long
        # posting list around a product is then a good sample of it (sorted neighbourhood).
        .order_by("brand__name", "name", "id")
        .values_list("id", "brand_id", "brand__name", "average_rating", "name", "description")
    )
    for pk, brand_id, brand_name, rating, name, description in rows.iterator(chunk_size=2000):
        name_tokens = tokens_of(name)
        desc_tokens = tokens_of(description[:MAX_DESCRIPTION_CHARS], limit=MAX_TOKENS)
        docs.append(
            _Doc(
                id=pk,
                brand=None
                if brand_id is None
                else brand_numbers.setdefault(brand_id, len(brand_numbers)),
                brand_name=brand_name or "",
                rating=float(rating or 0),
                name_tokens=name_tokens,
                desc_tokens=desc_tokens,
                tokens=name_tokens | desc_tokens,
            )
        )
    return docs


def _similar_reason(category_name: str, doc: _Doc, same_brand: bool, name_j, desc_j) -> str:
    reason = f"Same category ({category_name})"
    if same_brand:
        reason += f" and brand ({doc.brand_name})"
    alike = []
    if name_j >= SIMILAR_TEXT_THRESHOLD:
        alike.append("name")
    if desc_j >= SIMILAR_TEXT_THRESHOLD:
        alike.append("description")
    if alike:
        reason += f"; similar {' and '.join(alike)}"
    return reason[:255]


def _window(posting: list[int], index: int, size: int) -> list[int]:
    """At most `size` entries of a sorted posting list, centred on `index`'s place."""
    if len(posting) <= size:
        return posting
    middle = bisect.bisect_left(posting, index)
    start = max(0, min(middle - size // 2, len(posting) - size))
    return posting[start : start + size]


def _similar_for_bucket(
    *, docs: list[_Doc], sources: list[int], category_name: str, top_n: int
) -> Iterator[tuple[UUID, list[ProductRecommendation]]]:
    """For each source doc (index into docs): its top_n similar docs of the same bucket."""
    postings: dict[str, list[int]] = defaultdict(list)
    by_brand: dict[int, list[int]] = defaultdict(list)
    for index, doc in enumerate(docs):
        for token in doc.tokens:
            postings[token].append(index)
        if doc.brand is not None:
            by_brand[doc.brand].append(index)
    rating_part = [WEIGHT_RATING * min(doc.rating, 5.0) / 5.0 for doc in docs]
    name_weight, desc_weight = WEIGHT_TEXT * NAME_SHARE, WEIGHT_TEXT * (1 - NAME_SHARE)

    for index in sources:
        doc = docs[index]
        candidates: set[int] = set()
        lists = sorted((postings[t] for t in doc.tokens), key=len)
        if doc.brand is not None:
            lists.append(by_brand[doc.brand])
        for posting in lists:
            room = MAX_CANDIDATES + 1 - len(candidates)  # +1: the product itself
            if room <= 0:
                break
            candidates.update(_window(posting, index, room))
        candidates.discard(index)

        # The hot loop (up to MAX_CANDIDATES per product): plain floats and indices only;
        # the reason is worked out for the few kept.
        name_tokens, desc_tokens, brand = doc.name_tokens, doc.desc_tokens, doc.brand
        scored = []
        for other_index in candidates:
            other = docs[other_index]
            score = (
                name_weight * jaccard(name_tokens, other.name_tokens)
                + desc_weight * jaccard(desc_tokens, other.desc_tokens)
                + rating_part[other_index]
            )
            if brand is not None and brand == other.brand:
                score += WEIGHT_BRAND
            # Ties go to the neighbour first in brand and name order (deterministic).
            scored.append((score, -other_index))

        rows = []
        for score, negative_index in heapq.nlargest(top_n, scored):
            other = docs[-negative_index]
            same_brand = brand is not None and brand == other.brand
            name_j = jaccard(name_tokens, other.name_tokens)
            desc_j = jaccard(desc_tokens, other.desc_tokens)
            rows.append(
                ProductRecommendation(
                    product_id=doc.id,
                    recommended_id=other.id,
                    kind=RecommendationKind.SIMILAR,
                    score=round(score, 6),
                    reason=_similar_reason(category_name, other, same_brand, name_j, desc_j),
                )
            )
        yield doc.id, rows


def ordered_or_wished_product_ids():
    """Products that appear in any order or wishlist (a subquery, never loaded)."""
    return Product.objects.filter(
        Q(pk__in=OrderItem.objects.filter(product__isnull=False).values("product_id"))
        | Q(pk__in=WishlistItem.objects.values("product_id"))
    ).values("pk")


def similar_compute(
    *,
    top_n: int = DEFAULT_TOP_N,
    only_ordered: bool = False,
    product_ids: Iterable[UUID] | None = None,
) -> tuple[int, int]:
    """Recompute similar lists, one category bucket at a time; returns (rows, products).
    Sources are every visible product, or with `only_ordered` those in orders or
    wishlists, or the given `product_ids`; candidates are always the whole category."""
    started = timezone.now()
    sources_qs = Product.objects.filter(sellable_q())
    if product_ids is not None:
        sources_qs = sources_qs.filter(pk__in=list(product_ids))
    elif only_ordered:
        sources_qs = sources_qs.filter(pk__in=ordered_or_wished_product_ids())
    categories = (
        sources_qs.order_by()
        .values_list("category_id", "category__name")
        .distinct()
        .order_by("category__name", "category_id")
    )

    written = products = 0
    for category_id, category_name in list(categories):
        docs = _category_docs(category_id)
        if product_ids is None and not only_ordered:
            sources = list(range(len(docs)))
        else:
            wanted = set(sources_qs.filter(category_id=category_id).values_list("pk", flat=True))
            sources = [i for i, doc in enumerate(docs) if doc.id in wanted]
        batch_ids: list[UUID] = []
        batch_rows: list[ProductRecommendation] = []
        for product_id, rows in _similar_for_bucket(
            docs=docs, sources=sources, category_name=category_name, top_n=top_n
        ):
            batch_ids.append(product_id)
            batch_rows.extend(rows)
            if len(batch_ids) >= WRITE_CHUNK_PRODUCTS:
                written += _replace_lists(
                    kind=RecommendationKind.SIMILAR, product_ids=batch_ids, rows=batch_rows
                )
                products += len(batch_ids)
                batch_ids, batch_rows = [], []
        if batch_ids:
            written += _replace_lists(
                kind=RecommendationKind.SIMILAR, product_ids=batch_ids, rows=batch_rows
            )
            products += len(batch_ids)

    # Lists of products that are no longer visible are not served; drop them. On a full
    # run every visible product got a fresh list, so anything older is such a leftover.
    stale = ProductRecommendation.objects.filter(kind=RecommendationKind.SIMILAR)
    if product_ids is None and not only_ordered:
        stale.filter(created_at__lt=started).delete()
    else:
        stale.exclude(sellable_q("product__")).delete()
    return written, products


def recommendations_compute(
    *,
    top_n: int = DEFAULT_TOP_N,
    only_ordered: bool = False,
    product_ids: Iterable[UUID] | None = None,
) -> int:
    """Recompute bought-together and similar recommendations; returns rows written.
    `product_ids` limits the similar lists recomputed (bought-together is always whole:
    it is one query)."""
    return recommendations_compute_detailed(
        top_n=top_n, only_ordered=only_ordered, product_ids=product_ids
    ).rows


def recommendations_compute_detailed(
    *,
    top_n: int = DEFAULT_TOP_N,
    only_ordered: bool = False,
    product_ids: Iterable[UUID] | None = None,
) -> ComputeResult:
    """recommendations_compute with counts per kind and the time taken (for the command)."""
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    clock = time.monotonic()
    result = ComputeResult()
    result.bought_together = bought_together_compute(top_n=top_n)
    result.similar, result.products = similar_compute(
        top_n=top_n, only_ordered=only_ordered, product_ids=product_ids
    )
    result.seconds = time.monotonic() - clock
    logger.info(
        "Recommendations computed: %s bought-together and %s similar rows for %s products in %.1fs",
        result.bought_together,
        result.similar,
        result.products,
        result.seconds,
    )
    return result
