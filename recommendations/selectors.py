"""Request-time reads of recommendations: cheap by design. Precomputed rows are read with a
constant number of queries; a product without rows gets a bounded, cached fallback."""

from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    F,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import RowNumber

from catalog.models import Product
from catalog.selectors import json_list_has_any_q, product_images_prefetch, sellable_q
from orders.models import SOLD_STATUSES, OrderItem, OrderStatus
from recommendations.models import ProductRecommendation, RecommendationKind
from recommendations.services import WEIGHT_BRAND, WEIGHT_RATING
from skin.selectors import matching_products, skin_profile_of
from wishlist.models import WishlistItem

DEFAULT_LIMIT = 6
MAX_LIMIT = 20
# How many of the user's most recent purchases and saved items seed their recommendations.
USER_MAX_SOURCES = 50
# A product that meets a concern of the user's skin profile scores like a strong
# "similar" match; several concerns met add a little each.
WEIGHT_SKIN = 0.5
WEIGHT_SKIN_EXTRA_CONCERN = 0.1

# Only what a customer can buy right now is worth recommending: on sale and in stock.
_VISIBLE = sellable_q() & Q(stock_quantity__gt=0)
_RECOMMENDED_VISIBLE = sellable_q("recommended__") & Q(recommended__stock_quantity__gt=0)


@dataclass(frozen=True)
class Recommendation:
    product: Product
    score: float
    reason: str


@dataclass(frozen=True)
class ProductRecommendations:
    product: UUID
    bought_together: list[Recommendation]
    similar: list[Recommendation]


def _summary_products(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """What a recommendation's product summary needs: the row and its images (primary
    first), nothing else."""
    return queryset.prefetch_related(product_images_prefetch())


# --- products/{id}/recommendations/ -----------------------------------------------------


def _precomputed(*, product: Product, limit: int) -> dict[str, list[Recommendation]]:
    """The stored lists of both kinds, trimmed to `limit` visible products each: one query
    (a window ranks within each kind after invisible products are filtered out) plus one
    for the images."""
    rows = (
        ProductRecommendation.objects.filter(_RECOMMENDED_VISIBLE, product=product)
        .select_related("recommended")
        .prefetch_related(
            Prefetch("recommended__images", queryset=product_images_prefetch().queryset)
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("kind")],
                order_by=[F("score").desc(), F("recommended_id").asc()],
            )
        )
        .filter(rank__lte=limit)
        .order_by("kind", "rank")
    )
    lists: dict[str, list[Recommendation]] = defaultdict(list)
    for row in rows:
        lists[row.kind].append(Recommendation(row.recommended, row.score, row.reason))
    return lists


def _cached(key: str, compute):
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, settings.RECOMMENDATIONS_CACHE_SECONDS)
    return value


def _fallback_similar(*, product: Product, limit: int) -> list[tuple[str, float, str]]:
    """(id, score, reason) of the best-rated, newest visible products of the same category,
    same brand first. Bounded by LIMIT; the caller caches it."""
    same_brand = (
        Case(When(brand_id=product.brand_id, then=Value(1)), default=Value(0))
        if product.brand_id
        else Value(0)
    )
    candidates = (
        Product.objects.filter(_VISIBLE, category_id=product.category_id)
        .exclude(pk=product.pk)
        .annotate(same_brand=same_brand)
        .order_by("-same_brand", "-average_rating", "-created_at", "id")
        .values_list("id", "same_brand", "average_rating")[:limit]
    )
    category = product.category.name
    brand = product.brand.name if product.brand is not None else ""
    result = []
    for pk, is_same_brand, rating in candidates:
        reason = f"Same category ({category})"
        if is_same_brand:
            reason += f" and brand ({brand})"
        score = (WEIGHT_BRAND if is_same_brand else 0.0) + WEIGHT_RATING * float(rating) / 5
        result.append((str(pk), round(score, 6), reason))
    return result


def _fallback_popular(*, product: Product, limit: int) -> list[tuple[str, float, str]]:
    """(id, score, reason) of the most ordered visible products of the same category
    (distinct paid/shipped/delivered orders). One aggregate query; the caller caches it."""
    popular = (
        OrderItem.objects.filter(
            order__status__in=SOLD_STATUSES,
            product__category_id=product.category_id,
            product__is_active=True,
            product__is_deleted=False,
            product__stock_quantity__gt=0,
        )
        .exclude(product_id=product.pk)
        .values("product_id")
        .annotate(orders=Count("order_id", distinct=True))
        .order_by("-orders", "product_id")
        .values_list("product_id", "orders")[:limit]
    )
    reason = f"Popular in {product.category.name}"
    return [(str(pk), float(orders), reason) for pk, orders in popular]


def _fallbacks(*, product: Product, kinds: list[str], limit: int) -> dict[str, list]:
    """Fallback lists for the kinds that have no stored rows, cached per product and
    limit, then resolved to visible products with one query (+ images)."""
    compute = {
        RecommendationKind.SIMILAR: _fallback_similar,
        RecommendationKind.BOUGHT_TOGETHER: _fallback_popular,
    }
    entries = {
        kind: _cached(
            f"recommendations:fallback:{kind}:{product.pk}:{limit}",
            lambda kind=kind: compute[kind](product=product, limit=limit),
        )
        for kind in kinds
    }
    ids = {pk for entry in entries.values() for pk, _, _ in entry}
    if not ids:
        return {kind: [] for kind in kinds}
    # Visibility is checked now, not when the entry was cached.
    products = {
        str(p.pk): p for p in _summary_products(Product.objects.filter(_VISIBLE, pk__in=ids))
    }
    return {
        kind: [
            Recommendation(products[pk], score, reason)
            for pk, score, reason in entry
            if pk in products
        ]
        for kind, entry in entries.items()
    }


def product_recommendations(*, product: Product, limit: int = DEFAULT_LIMIT):
    """Bought-together and similar products for `product` (which the caller has checked is
    visible): the precomputed lists, or per kind a fallback when there are none (similar:
    same category and brand by rating and recency; bought together: popular in the
    category). At most 2 queries, 4 when a fallback is needed (fewer when cached)."""
    lists = _precomputed(product=product, limit=limit)
    missing = [kind for kind in RecommendationKind.values if not lists.get(kind)]
    if missing:
        lists.update(_fallbacks(product=product, kinds=missing, limit=limit))
    return ProductRecommendations(
        product=product.pk,
        bought_together=lists.get(RecommendationKind.BOUGHT_TOGETHER, []),
        similar=lists.get(RecommendationKind.SIMILAR, []),
    )


# --- users/me/recommendations/ ----------------------------------------------------------


def _bought_ids(user):
    """Products of the user's orders that were not cancelled (pending ones included: the
    user has them already, or soon)."""
    return (
        OrderItem.objects.filter(order__user=user, product__isnull=False)
        .exclude(order__status=OrderStatus.CANCELLED)
        .values("product_id")
    )


def _wished_ids(user):
    return WishlistItem.objects.filter(wishlist__user=user).values("product_id")


def user_recommendations(*, user, limit: int = DEFAULT_LIMIT) -> list[Recommendation]:
    """Products for `user`: bought together with what they bought, similar to what they
    saved; never something they bought or saved. A product reached from several sources
    sums their scores (bought-together scores are scaled to [0, 1] per source first);
    the reason names the strongest source. The skin profile adds the products that meet
    its concerns and suit its skin type ("For your acne (skin profile)"), and its
    allergies leave out every product containing one of them, whatever the source. Users
    without history, or too little of it, get top-rated products. Four queries (user,
    profile, rows, images), one more with skin concerns, one more with the fallback."""
    profile = skin_profile_of(user=user)
    allergies = list(profile.allergies) if profile else []
    allergen_q = json_list_has_any_q(field="ingredients", values=allergies)
    recent_bought = (
        OrderItem.objects.filter(
            order__user=user, order__status__in=SOLD_STATUSES, product__isnull=False
        )
        .order_by("-order__created_at")
        .values("product_id")[:USER_MAX_SOURCES]
    )
    recent_wished = _wished_ids(user).order_by("-created_at")[:USER_MAX_SOURCES]
    recommended = (
        ProductRecommendation.objects.filter(
            Q(kind=RecommendationKind.BOUGHT_TOGETHER, product_id__in=recent_bought)
            | Q(kind=RecommendationKind.SIMILAR, product_id__in=recent_wished),
            _RECOMMENDED_VISIBLE,
        )
        .exclude(recommended_id__in=_bought_ids(user))
        .exclude(recommended_id__in=_wished_ids(user))
        .exclude(json_list_has_any_q(field="recommended__ingredients", values=allergies))
        .select_related("recommended")
        .annotate(source_name=F("product__name"))
        .order_by("-score", "id")
    )

    rows = list(recommended)
    top_by_source: dict[tuple[UUID, str], float] = {}
    for row in rows:
        key = (row.product_id, row.kind)
        top_by_source[key] = max(top_by_source.get(key, 0.0), row.score)

    totals: dict[UUID, float] = defaultdict(float)
    best: dict[UUID, tuple[float, str]] = {}
    products: dict[UUID, Product] = {}
    for row in rows:
        if row.kind == RecommendationKind.BOUGHT_TOGETHER:
            weight = row.score / (top_by_source[(row.product_id, row.kind)] or 1.0)
            reason = f"Because you bought {row.source_name}"
        else:
            weight = row.score
            reason = f"Because you saved {row.source_name}"
        totals[row.recommended_id] += weight
        products[row.recommended_id] = row.recommended
        if row.recommended_id not in best or weight > best[row.recommended_id][0]:
            best[row.recommended_id] = (weight, reason)

    if profile is not None and profile.concerns:
        for product in matching_products(
            concerns=list(profile.concerns),
            skin_type=profile.skin_type,
            allergies=allergies,
            limit=limit,
            exclude_ids=[_bought_ids(user), _wished_ids(user)],
        ):
            met = product.matched_concerns  # type: ignore[attr-defined]
            weight = WEIGHT_SKIN + WEIGHT_SKIN_EXTRA_CONCERN * (len(met) - 1)
            reason = f"For your {' and '.join(met)} (skin profile)"
            totals[product.pk] += weight
            products.setdefault(product.pk, product)
            if product.pk not in best or weight > best[product.pk][0]:
                best[product.pk] = (weight, reason)

    ranked = sorted(totals, key=lambda pk: (-totals[pk], str(pk)))[:limit]
    result = [Recommendation(products[pk], round(totals[pk], 6), best[pk][1]) for pk in ranked]

    if len(result) < limit:
        result += _top_rated_for(
            user=user, exclude=[r.product.pk for r in result], limit=limit, allergen_q=allergen_q
        )
    prefetch_related_objects([r.product for r in result], product_images_prefetch())
    return result[:limit]


def _top_rated_for(
    *, user, exclude: list[UUID], limit: int, allergen_q: Q | None = None
) -> list[Recommendation]:
    """Best-rated visible products (most reviewed, then newest, break ties) that the user
    neither bought nor saved: for users with no (or too little) history."""
    products = (
        Product.objects.filter(_VISIBLE)
        .exclude(pk__in=exclude)
        .exclude(pk__in=_bought_ids(user))
        .exclude(pk__in=_wished_ids(user))
        .exclude(allergen_q if allergen_q is not None else Q(pk__in=[]))
        .annotate(reviewed=Case(When(review_count__gt=0, then=Value(1)), default=Value(0)))
        .order_by("-reviewed", "-average_rating", "-review_count", "-created_at", "id")[
            : limit - len(exclude)
        ]
    )
    return [
        Recommendation(
            p,
            round(WEIGHT_RATING * float(p.average_rating) / 5, 6),
            f"Top rated ({p.average_rating:.1f} from {p.review_count} reviews)"
            if p.review_count
            else "New in the store",
        )
        for p in products
    ]
