import uuid

import pytest

from catalog.models import Product
from catalog.tests.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
)
from orders.models import OrderStatus
from recommendations.models import RecommendationKind
from recommendations.services import recommendations_compute
from recommendations.tests.factories import (
    ProductRecommendationFactory,
    order_with,
    save_to_wishlist,
)

pytestmark = pytest.mark.django_db

BOUGHT = RecommendationKind.BOUGHT_TOGETHER
SIMILAR = RecommendationKind.SIMILAR
ME = "/api/v1/users/me/recommendations/"


def url(product) -> str:
    return f"/api/v1/products/{product.pk}/recommendations/"


def ids(items) -> list[str]:
    return [item["product"]["id"] for item in items]


# --- products/{id}/recommendations/ -----------------------------------------------------


def test_out_of_stock_products_are_not_recommended(api_client):
    serums = CategoryFactory(name="Serums")
    brand = BrandFactory(name="Solenne")
    rose = ProductFactory(name="Rose Serum", category=serums, brand=brand)
    sold_out = ProductFactory(name="Rose Serum Two", category=serums, brand=brand)
    order_with(rose, sold_out)
    recommendations_compute()
    Product.objects.filter(pk=sold_out.pk).update(stock_quantity=0)

    body = api_client.get(url(rose)).json()

    recommended = [item["product"]["id"] for item in body["bought_together"] + body["similar"]]
    assert str(sold_out.pk) not in recommended


def test_product_recommendations_list_both_kinds_with_summaries(api_client):
    serums = CategoryFactory(name="Serums")
    brand = BrandFactory(name="Solenne")
    rose = ProductFactory(name="Rose Serum", category=serums, brand=brand)
    twin = ProductFactory(name="Rose Serum Two", category=serums, brand=brand)
    cream = ProductFactory(name="Night Cream")
    ProductImageFactory(product=cream, is_primary=True)
    for _ in range(2):
        order_with(rose, cream)
    recommendations_compute()

    response = api_client.get(url(rose))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["product"] == str(rose.pk)
    [bought] = body["bought_together"]
    assert bought["score"] == 2.0
    assert bought["reason"] == "Bought together in 2 orders"
    summary = bought["product"]
    assert summary["id"] == str(cream.pk)
    assert summary["name"] == "Night Cream"
    assert summary["slug"] == cream.slug
    assert summary["effective_price"] == "19.99"
    assert summary["currency"] == cream.currency
    assert summary["in_stock"] is True
    assert summary["image"].startswith("http://testserver/")
    [similar] = body["similar"]
    assert similar["product"]["id"] == str(twin.pk)
    assert similar["product"]["in_stock"] is True
    assert similar["product"]["image"] is None
    # The factory gives both the same description.
    assert similar["reason"] == (
        "Same category (Serums) and brand (Solenne); similar name and description"
    )


def test_product_recommendations_are_ordered_by_score_and_cut_by_limit(api_client):
    product = ProductFactory()
    scored = [
        ProductRecommendationFactory(product=product, kind=SIMILAR, score=s) for s in (1, 3, 2)
    ]

    body = api_client.get(url(product), {"limit": 2}).json()

    assert ids(body["similar"]) == [str(scored[1].recommended_id), str(scored[2].recommended_id)]


def test_products_made_invisible_after_the_compute_are_not_recommended(api_client):
    product = ProductFactory()
    hidden = ProductRecommendationFactory(product=product, kind=BOUGHT, score=3)
    deleted = ProductRecommendationFactory(product=product, kind=BOUGHT, score=2)
    shown = ProductRecommendationFactory(product=product, kind=BOUGHT, score=1)
    hidden.recommended.is_active = False
    hidden.recommended.save()
    deleted.recommended.is_deleted = True
    deleted.recommended.save()

    body = api_client.get(url(product), {"limit": 2}).json()

    # The limit counts visible products only.
    assert ids(body["bought_together"]) == [str(shown.recommended_id)]


@pytest.mark.parametrize("change", [{"is_active": False}, {"is_deleted": True}])
def test_recommendations_of_an_invisible_product_are_404(api_client, change):
    product = ProductFactory(**change)
    ProductRecommendationFactory(product=product)

    response = api_client.get(url(product))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_recommendations_of_an_unknown_product_are_404(api_client):
    response = api_client.get(f"/api/v1/products/{uuid.uuid4()}/recommendations/")

    assert response.status_code == 404


def test_a_product_without_rows_falls_back_to_its_category(api_client):
    category, brand = CategoryFactory(name="Serums"), BrandFactory(name="Solenne")
    new = ProductFactory(category=category, brand=brand)
    same_brand = ProductFactory(category=category, brand=brand, average_rating=1)
    best_rated = ProductFactory(category=category, average_rating=5)
    popular = ProductFactory(category=category, average_rating=2)
    ProductFactory(average_rating=5)  # another category
    ProductFactory(category=category, is_active=False, average_rating=5)
    for _ in range(2):
        order_with(popular, status=OrderStatus.DELIVERED)
    order_with(best_rated, status=OrderStatus.PAID)
    order_with(same_brand, status=OrderStatus.CANCELLED)

    body = api_client.get(url(new)).json()

    assert ids(body["similar"]) == [str(same_brand.pk), str(best_rated.pk), str(popular.pk)]
    assert body["similar"][0]["reason"] == "Same category (Serums) and brand (Solenne)"
    assert body["similar"][1]["reason"] == "Same category (Serums)"
    assert ids(body["bought_together"]) == [str(popular.pk), str(best_rated.pk)]
    assert {item["reason"] for item in body["bought_together"]} == {"Popular in Serums"}
    assert body["bought_together"][0]["score"] == 2.0


def test_the_fallback_is_cached_but_visibility_is_checked_on_every_request(
    api_client, django_assert_num_queries
):
    category = CategoryFactory()
    new = ProductFactory(category=category)
    other = ProductFactory(category=category)
    api_client.get(url(new))
    late = ProductFactory(category=category, average_rating=5)

    # product, stored rows, the products of the cached lists and their images
    with django_assert_num_queries(4):
        body = api_client.get(url(new)).json()
    assert ids(body["similar"]) == [str(other.pk)]  # cached: `late` is not there yet

    other.is_active = False
    other.save()
    assert api_client.get(url(new)).json()["similar"] == []
    assert str(late.pk) not in ids(api_client.get(url(new)).json()["similar"])


def test_limit_defaults_to_six_and_is_capped_at_twenty(api_client):
    product = ProductFactory()
    for score in range(25):
        ProductRecommendationFactory(product=product, kind=SIMILAR, score=score)

    assert len(api_client.get(url(product)).json()["similar"]) == 6
    assert len(api_client.get(url(product), {"limit": 100}).json()["similar"]) == 20


@pytest.mark.parametrize("limit", ["0", "-1", "many"])
def test_a_bad_limit_is_a_400(api_client, limit):
    response = api_client.get(url(ProductFactory()), {"limit": limit})

    assert response.status_code == 400
    assert "limit" in response.json()["errors"]


def _stored_lists(product, size):
    for score in range(size):
        rec = ProductRecommendationFactory(product=product, kind=SIMILAR, score=score)
        ProductImageFactory(product=rec.recommended, is_primary=True)
        ProductRecommendationFactory(product=product, kind=BOUGHT, score=score)


@pytest.mark.parametrize("size", [1, 15])
def test_product_recommendations_take_three_queries_whatever_the_size(
    api_client, django_assert_num_queries, size
):
    product = ProductFactory()
    _stored_lists(product, size)

    with django_assert_num_queries(3):  # product, rows of both kinds, their images
        response = api_client.get(url(product), {"limit": 20})

    assert len(response.json()["similar"]) == size


@pytest.mark.parametrize("size", [1, 15])
def test_the_fallback_takes_a_bounded_number_of_queries(
    api_client, django_assert_max_num_queries, size
):
    category = CategoryFactory()
    product = ProductFactory(category=category)
    for _ in range(size):
        other = ProductFactory(category=category)
        ProductImageFactory(product=other, is_primary=True)
        order_with(other)

    # product, rows, the two fallback queries, their products, images
    with django_assert_max_num_queries(6):
        response = api_client.get(url(product), {"limit": 20})

    assert len(response.json()["similar"]) == size


def test_a_seller_sees_recommendations_of_their_own_inactive_product(seller, client_for):
    product = ProductFactory(created_by=seller, is_active=False)

    assert client_for(seller).get(url(product)).status_code == 200


# --- users/me/recommendations/ ----------------------------------------------------------


def test_user_recommendations_need_authentication(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_user_recommendations_come_from_purchases_and_wishlist_with_reasons(user, user_client):
    category = CategoryFactory()
    bought = ProductFactory(name="Rose Serum")
    wished = ProductFactory(name="Lavender Balm", category=category)
    bought_with_it = ProductFactory()
    like_wished = ProductFactory(name="Lavender Balm Two", category=category)
    order_with(bought, status=OrderStatus.DELIVERED, user=user)
    order_with(bought, bought_with_it)  # someone else's order
    save_to_wishlist(user, wished)
    recommendations_compute()

    results = user_client.get(ME).json()["results"]

    from_history = [(item["product"]["id"], item["reason"]) for item in results[:2]]
    assert from_history == [
        (str(bought_with_it.pk), "Because you bought Rose Serum"),
        (str(like_wished.pk), "Because you saved Lavender Balm"),
    ]
    # The rest of the list is filled with top-rated products, never the user's own.
    assert all(not item["reason"].startswith("Because") for item in results[2:])
    assert not {str(bought.pk), str(wished.pk)} & set(ids(results))


def test_user_recommendations_exclude_what_the_user_bought_or_saved(user, user_client):
    bought, wished, fresh = ProductFactory(), ProductFactory(), ProductFactory()
    order_with(bought, status=OrderStatus.PAID, user=user)
    save_to_wishlist(user, wished)
    # bought together with what they bought: the saved item, the other purchase, a new one
    ProductRecommendationFactory(product=bought, recommended=wished, kind=BOUGHT, score=9)
    ProductRecommendationFactory(product=bought, recommended=fresh, kind=BOUGHT, score=1)
    ProductRecommendationFactory(product=wished, recommended=bought, kind=SIMILAR, score=0.9)

    results = user_client.get(ME, {"limit": 20}).json()["results"]

    assert str(bought.pk) not in ids(results)
    assert str(wished.pk) not in ids(results)
    assert ids(results)[0] == str(fresh.pk)


def test_user_recommendations_sum_scores_of_a_product_reached_twice(user, user_client):
    first, second, wished = ProductFactory(), ProductFactory(), ProductFactory(name="Balm")
    twice, once = ProductFactory(), ProductFactory()
    order_with(first, second, status=OrderStatus.DELIVERED, user=user)
    save_to_wishlist(user, wished)
    ProductRecommendationFactory(product=first, recommended=once, kind=BOUGHT, score=5)
    ProductRecommendationFactory(product=first, recommended=twice, kind=BOUGHT, score=4)
    ProductRecommendationFactory(product=wished, recommended=twice, kind=SIMILAR, score=0.5)

    results = user_client.get(ME).json()["results"]

    assert ids(results)[:2] == [str(twice.pk), str(once.pk)]
    assert ids(results).count(str(twice.pk)) == 1
    assert results[0]["score"] == pytest.approx(0.8 + 0.5)
    assert results[0]["reason"] == f"Because you bought {first.name}"


def test_cancelled_purchases_do_not_seed_user_recommendations(user, user_client):
    bought, partner = ProductFactory(), ProductFactory(average_rating=0)
    order_with(bought, status=OrderStatus.CANCELLED, user=user)
    ProductRecommendationFactory(product=bought, recommended=partner, kind=BOUGHT, score=5)

    results = user_client.get(ME).json()["results"]

    assert not any(item["reason"].startswith("Because") for item in results)


def test_a_user_without_history_gets_top_rated_products(user_client):
    ProductFactory(average_rating=3, review_count=2)
    best = ProductFactory(average_rating="4.50", review_count=8)
    ProductFactory(is_active=False, average_rating=5, review_count=9)
    newest_unreviewed = ProductFactory()

    results = user_client.get(ME, {"limit": 3}).json()["results"]

    assert ids(results)[0] == str(best.pk)
    assert results[0]["reason"] == "Top rated (4.5 from 8 reviews)"
    assert results[2]["product"]["id"] == str(newest_unreviewed.pk)
    assert results[2]["reason"] == "New in the store"


@pytest.mark.parametrize("size", [1, 12])
def test_user_recommendations_take_a_constant_number_of_queries(
    user, user_client, django_assert_num_queries, size
):
    sources = [ProductFactory() for _ in range(size)]
    order_with(*sources, status=OrderStatus.DELIVERED, user=user)
    save_to_wishlist(user, *sources)
    for source in sources:
        rec = ProductRecommendationFactory(product=source, kind=BOUGHT, score=2)
        ProductImageFactory(product=rec.recommended, is_primary=True)
        ProductRecommendationFactory(product=source, kind=SIMILAR, score=0.4)

    # user, skin profile (none: no skin query), rows, images (the history fills the list:
    # no fallback query)
    with django_assert_num_queries(4):
        response = user_client.get(ME, {"limit": 2})

    assert len(response.json()["results"]) == 2
