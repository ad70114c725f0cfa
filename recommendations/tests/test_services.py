import pytest
from django.core.management import call_command
from django.db.models import Count

from catalog.tests.factories import BrandFactory, CategoryFactory, ProductFactory
from orders.models import OrderStatus
from recommendations.models import ProductRecommendation, RecommendationKind
from recommendations.services import (
    bought_together_pairs,
    jaccard,
    recommendations_compute,
    tokens_of,
)
from recommendations.tasks import compute_recommendations
from recommendations.tests.factories import (
    ProductRecommendationFactory,
    order_with,
    save_to_wishlist,
)

pytestmark = pytest.mark.django_db

BOUGHT = RecommendationKind.BOUGHT_TOGETHER
SIMILAR = RecommendationKind.SIMILAR


def rows_of(product, kind):
    """{recommended: (score, reason)} of a product's stored list."""
    return {
        r.recommended: (r.score, r.reason)
        for r in ProductRecommendation.objects.filter(product=product, kind=kind).select_related(
            "recommended"
        )
    }


# --- text -------------------------------------------------------------------------------


def test_tokens_drop_stop_words_numbers_and_case():
    assert tokens_of("The Rose Serum 30ml, for DRY skin & 2 glows!") == {
        "rose",
        "serum",
        "ml",
        "dry",
        "skin",
        "glow",
    }


def test_jaccard_of_token_sets():
    assert jaccard(frozenset({"a", "b"}), frozenset({"b", "c"})) == pytest.approx(1 / 3)
    assert jaccard(frozenset(), frozenset({"b"})) == 0.0


# --- bought together --------------------------------------------------------------------


def test_bought_together_counts_only_paid_shipped_and_delivered_orders():
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    for status in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        order_with(a, b, status=status)
    order_with(a, b, status=OrderStatus.PENDING)
    order_with(a, b, c, status=OrderStatus.CANCELLED)
    order_with(a, c, status=OrderStatus.DELIVERED)

    recommendations_compute(top_n=5)

    assert rows_of(a, BOUGHT) == {
        b: (3.0, "Bought together in 3 orders"),
        c: (1.0, "Bought together in 1 order"),
    }
    assert rows_of(b, BOUGHT) == {a: (3.0, "Bought together in 3 orders")}
    assert rows_of(c, BOUGHT) == {a: (1.0, "Bought together in 1 order")}


def test_bought_together_counts_an_order_once_even_with_repeated_lines():
    a, b = ProductFactory(), ProductFactory()
    order_with(a, b, b)

    recommendations_compute()

    assert rows_of(a, BOUGHT) == {b: (1.0, "Bought together in 1 order")}


def test_bought_together_keeps_the_top_n_most_shared_per_product():
    a, b, c, d = ProductFactory(), ProductFactory(), ProductFactory(), ProductFactory()
    for _ in range(3):
        order_with(a, b)
    for _ in range(2):
        order_with(a, c)
    order_with(a, d)

    recommendations_compute(top_n=2)

    assert set(rows_of(a, BOUGHT)) == {b, c}


def test_bought_together_pairs_is_one_query(django_assert_num_queries):
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    for _ in range(5):
        order_with(a, b, c)

    with django_assert_num_queries(1):
        pairs = list(bought_together_pairs(top_n=10))

    assert len(pairs) == 6
    assert {shared for _, _, shared in pairs} == {5}


def test_bought_together_never_recommends_inactive_or_deleted_products():
    a = ProductFactory()
    hidden = ProductFactory(is_active=False)
    deleted = ProductFactory(is_deleted=True)
    visible = ProductFactory()
    order_with(a, hidden, deleted, visible)

    recommendations_compute()

    assert set(rows_of(a, BOUGHT)) == {visible}


def test_recompute_drops_bought_together_rows_of_cancelled_orders():
    a, b = ProductFactory(), ProductFactory()
    order = order_with(a, b)
    recommendations_compute()
    assert rows_of(a, BOUGHT)

    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status"])
    recommendations_compute()

    assert rows_of(a, BOUGHT) == {}
    assert rows_of(b, BOUGHT) == {}


# --- similar ----------------------------------------------------------------------------


def test_similar_ranks_same_brand_and_alike_names_first():
    serums = CategoryFactory(name="Serums")
    solenne, other_brand = BrandFactory(name="Solenne"), BrandFactory()
    rose = ProductFactory(
        name="Rose Hydrating Serum", category=serums, brand=solenne, description="Rose oil."
    )
    same_brand_alike = ProductFactory(
        name="Rose Hydrating Serum Intense", category=serums, brand=solenne, description="x"
    )
    other_brand_alike = ProductFactory(
        name="Rose Hydrating Serum Light", category=serums, brand=other_brand, description="x"
    )
    same_brand_unlike = ProductFactory(
        name="Vitamin Booster", category=serums, brand=solenne, description="Citrus."
    )
    other_brand_unlike = ProductFactory(
        name="Vitamin Booster Plus", category=serums, brand=other_brand, description="Citrus."
    )

    recommendations_compute()

    rows = rows_of(rose, SIMILAR)
    ranked = sorted(rows, key=lambda p: -rows[p][0])
    # A near-identical name outweighs the brand alone; both together win.
    assert ranked == [same_brand_alike, other_brand_alike, same_brand_unlike]
    # Shares neither a word nor the brand: never compared.
    assert other_brand_unlike not in rows
    assert rows[same_brand_alike][1] == "Same category (Serums) and brand (Solenne); similar name"
    assert rows[same_brand_unlike][1] == "Same category (Serums) and brand (Solenne)"
    assert rows[other_brand_alike][1] == "Same category (Serums); similar name"


def test_similar_uses_the_description_too():
    category = CategoryFactory()
    a = ProductFactory(name="Alpha", category=category, description="Lavender calming balm")
    b = ProductFactory(name="Beta", category=category, description="Calming lavender balm")
    c = ProductFactory(name="Gamma", category=category, description="Lavender")

    recommendations_compute()

    rows = rows_of(a, SIMILAR)
    assert rows[b][0] > rows[c][0]
    assert rows[b][1].endswith("similar description")


def test_similar_never_crosses_categories():
    serums, creams = CategoryFactory(), CategoryFactory()
    brand = BrandFactory()
    a = ProductFactory(name="Rose Serum", category=serums, brand=brand)
    twin_elsewhere = ProductFactory(name="Rose Serum Cream", category=creams, brand=brand)

    recommendations_compute()

    assert twin_elsewhere not in rows_of(a, SIMILAR)
    assert rows_of(a, SIMILAR) == {}


def test_similar_keeps_top_n_and_rating_breaks_ties():
    category, brand = CategoryFactory(), BrandFactory()
    a = ProductFactory(name="Rose Serum", category=category, brand=brand)
    others = [
        ProductFactory(name=f"Rose Serum {w}", category=category, brand=brand, average_rating=r)
        for w, r in (("Day", 1), ("Dew", 5), ("Dusk", 3))
    ]

    recommendations_compute(top_n=2)

    assert set(rows_of(a, SIMILAR)) == {others[1], others[2]}


def test_similar_never_involves_invisible_products():
    category, brand = CategoryFactory(), BrandFactory()
    a = ProductFactory(name="Rose Serum", category=category, brand=brand)
    hidden = ProductFactory(name="Rose Serum Two", category=category, brand=brand, is_active=False)
    deleted = ProductFactory(name="Rose Serum Old", category=category, brand=brand, is_deleted=True)

    recommendations_compute()

    assert rows_of(a, SIMILAR) == {}
    assert rows_of(hidden, SIMILAR) == {}
    assert rows_of(deleted, SIMILAR) == {}


def test_recompute_replaces_old_rows():
    category, brand = CategoryFactory(), BrandFactory()
    a = ProductFactory(name="Rose Serum", category=category, brand=brand)
    b = ProductFactory(name="Rose Serum Two", category=category, brand=brand)
    unrelated = ProductFactory()
    ProductRecommendationFactory(product=a, recommended=unrelated, kind=SIMILAR, score=99)
    ProductRecommendationFactory(product=a, recommended=unrelated, kind=BOUGHT, score=99)
    ProductRecommendationFactory(product=b, recommended=a, kind=SIMILAR, score=99)

    written = recommendations_compute()

    assert set(rows_of(a, SIMILAR)) == {b}
    assert rows_of(a, BOUGHT) == {}
    assert rows_of(b, SIMILAR)[a][0] < 99
    assert written == ProductRecommendation.objects.count() == 2


def test_recompute_drops_lists_of_products_made_invisible():
    category, brand = CategoryFactory(), BrandFactory()
    a = ProductFactory(name="Rose Serum", category=category, brand=brand)
    ProductFactory(name="Rose Serum Two", category=category, brand=brand)
    recommendations_compute()
    assert rows_of(a, SIMILAR)

    a.is_active = False
    a.save(update_fields=["is_active"])
    recommendations_compute()

    assert rows_of(a, SIMILAR) == {}
    assert not ProductRecommendation.objects.filter(recommended=a).exists()


def test_only_ordered_recomputes_similar_lists_of_ordered_and_wished_products_only(user):
    category, brand = CategoryFactory(), BrandFactory()
    ordered = ProductFactory(name="Rose Serum", category=category, brand=brand)
    wished = ProductFactory(name="Rose Serum Two", category=category, brand=brand)
    neither = ProductFactory(name="Rose Serum Three", category=category, brand=brand)
    order_with(ordered, status=OrderStatus.DELIVERED)
    save_to_wishlist(user, wished)

    recommendations_compute(only_ordered=True)

    assert set(rows_of(ordered, SIMILAR)) == {wished, neither}
    assert set(rows_of(wished, SIMILAR)) == {ordered, neither}
    assert rows_of(neither, SIMILAR) == {}


def test_recompute_for_some_products_leaves_the_others_alone():
    category, brand = CategoryFactory(), BrandFactory()
    a = ProductFactory(name="Rose Serum", category=category, brand=brand)
    b = ProductFactory(name="Rose Serum Two", category=category, brand=brand)
    kept = ProductRecommendationFactory(product=b, recommended=a, kind=SIMILAR, score=99)

    recommendations_compute(product_ids=[a.pk])

    assert set(rows_of(a, SIMILAR)) == {b}
    assert ProductRecommendation.objects.filter(pk=kept.pk).exists()


def test_top_n_must_be_positive():
    with pytest.raises(ValueError):
        recommendations_compute(top_n=0)


# --- command and task -------------------------------------------------------------------


def test_command_prints_what_it_wrote(capsys):
    category = CategoryFactory()
    a = ProductFactory(name="Rose Serum", category=category)
    b = ProductFactory(name="Rose Serum Two", category=category)
    order_with(a, b)

    call_command("compute_recommendations", "--top-n", "3")

    out = capsys.readouterr().out
    assert "Wrote 2 bought-together and 2 similar recommendation(s) (4 in all)" in out
    assert "for 2 product(s)" in out


def test_command_refuses_a_top_n_below_one():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("compute_recommendations", "--top-n", "0")


def test_task_computes_and_returns_rows_written():
    category = CategoryFactory()
    ProductFactory(name="Rose Serum", category=category)
    ProductFactory(name="Rose Serum Two", category=category)

    assert compute_recommendations.delay(top_n=5).get() == 2
    assert ProductRecommendation.objects.count() == 2


def test_similar_work_per_product_is_capped_and_rarest_words_are_tried_first(monkeypatch):
    monkeypatch.setattr("recommendations.services.MAX_CANDIDATES", 1)
    category = CategoryFactory()
    target = ProductFactory(name="Lavender Balm", category=category, brand=None, description="")
    rare_match = ProductFactory(
        name="Lavender Balm Two", category=category, brand=None, description=""
    )
    for word in ("Alpha", "Beta", "Gamma", "Delta"):
        ProductFactory(name=f"Balm {word}", category=category, brand=None, description="")

    recommendations_compute(top_n=10)

    assert set(rows_of(target, SIMILAR)) == {rare_match}
    assert (
        max(
            ProductRecommendation.objects.filter(kind=SIMILAR)
            .values("product")
            .annotate(n=Count("id"))
            .values_list("n", flat=True)
        )
        == 1
    )
