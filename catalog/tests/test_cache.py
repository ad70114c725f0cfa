"""Cached anonymous catalog reads: ETags, 304s, who is served from the cache, and the
writes that invalidate it. A test's transaction never commits, so each write runs its
commit callbacks by hand (django_capture_on_commit_callbacks), as a real commit would."""

import socket
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from catalog.models import Product, ProductImage
from catalog.selectors import product_rows
from catalog.serializers import ProductRepresenter, ProductSerializer
from catalog.services import product_prices_refresh
from catalog.tests.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
    make_image_file,
)
from catalog.tests.helpers import BRANDS, CATEGORIES, PRODUCTS, images_url, product_url
from checkout.services import order_cancel, order_expire_unpaid, order_place
from orders.tests.factories import ADDRESS, fill_cart
from reviews.services import review_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_on(settings):
    settings.CATALOG_CACHE_SECONDS = 300
    settings.CATALOG_CACHE_MAX_AGE = 30
    cache.clear()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what a write does after its commit (cache invalidation among it)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def detail(client, product):
    response = client.get(product_url(product))
    assert response.status_code == 200, response.content
    return response.json()


# --- served from the cache ---------------------------------------------------------------


@pytest.mark.parametrize("url", [PRODUCTS, f"{PRODUCTS}facets/", CATEGORIES, BRANDS])
def test_a_repeated_anonymous_read_comes_from_the_cache_without_a_query(
    api_client, cache_on, django_assert_num_queries, url
):
    ProductFactory.create_batch(3)
    first = api_client.get(url, {"page_size": 2})

    with django_assert_num_queries(0):
        again = api_client.get(url, {"page_size": 2})

    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"] == "public, max-age=30"
    assert again["Vary"] == first["Vary"]
    assert "Authorization" in again["Vary"]


def test_a_product_detail_and_suggestions_come_from_the_cache(
    api_client, cache_on, django_assert_num_queries
):
    product = ProductFactory(name="Glow Serum")
    detail(api_client, product)
    api_client.get(f"{PRODUCTS}suggest/", {"q": "gl"})

    with django_assert_num_queries(0):
        assert detail(api_client, product)["name"] == "Glow Serum"
        api_client.get(f"{PRODUCTS}suggest/", {"q": "gl"})


def test_if_none_match_answers_304_from_the_cache_without_rendering(
    api_client, cache_on, django_assert_num_queries
):
    product = ProductFactory()
    etag = api_client.get(product_url(product))["ETag"]

    with django_assert_num_queries(0):
        response = api_client.get(product_url(product), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_with_the_cache_off_answers_still_carry_an_etag_and_answer_304(api_client, settings):
    settings.CATALOG_CACHE_SECONDS = 0
    ProductFactory()
    etag = api_client.get(PRODUCTS)["ETag"]

    response = api_client.get(PRODUCTS, HTTP_IF_NONE_MATCH=f'"other", {etag}')

    assert response.status_code == 304
    assert api_client.get(PRODUCTS, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_another_query_string_is_another_answer(api_client, cache_on):
    ProductFactory(name="A", stock_quantity=0)
    ProductFactory(name="B")

    assert [
        p["name"] for p in api_client.get(PRODUCTS, {"in_stock": "true"}).json()["results"]
    ] == ["B"]
    assert [
        p["name"] for p in api_client.get(PRODUCTS, {"in_stock": "false"}).json()["results"]
    ] == ["A"]


def test_callers_with_credentials_or_a_cart_token_never_get_the_shared_answer(
    api_client, staff_client, cache_on, django_assert_max_num_queries
):
    ProductFactory(name="Public")
    ProductFactory(name="Inactive", is_active=False)
    assert [p["name"] for p in api_client.get(PRODUCTS).json()["results"]] == ["Public"]

    staff = staff_client.get(PRODUCTS)
    with_cart_token = api_client.get(PRODUCTS, HTTP_X_CART_TOKEN="some-cart")

    assert [p["name"] for p in staff.json()["results"]] == ["Inactive", "Public"]
    assert "private" in staff["Cache-Control"] and "no-store" in staff["Cache-Control"]
    assert "public" not in staff["Cache-Control"]
    assert "no-store" in with_cart_token["Cache-Control"]
    assert with_cart_token["ETag"]


# --- invalidated by writes ----------------------------------------------------------------


def test_a_product_write_shows_in_its_detail_and_in_the_lists(
    api_client, seller, seller_client, cache_on, commit
):
    product = ProductFactory(name="Before", created_by=seller)
    detail(api_client, product)
    api_client.get(PRODUCTS)
    other = ProductFactory(name="Untouched")
    other_etag = api_client.get(product_url(other))["ETag"]

    with commit():
        seller_client.patch(product_url(product), {"name": "After"})

    assert detail(api_client, product)["name"] == "After"
    assert "After" in [p["name"] for p in api_client.get(PRODUCTS).json()["results"]]
    # Other products' details stay cached.
    assert api_client.get(product_url(other), HTTP_IF_NONE_MATCH=other_etag).status_code == 304


def test_images_discounts_and_deletion_invalidate(
    api_client, seller, seller_client, cache_on, commit
):
    product = ProductFactory(created_by=seller)
    assert detail(api_client, product)["images"] == []

    with commit():
        seller_client.post(images_url(product), {"image": make_image_file()}, format="multipart")
    assert len(detail(api_client, product)["images"]) == 1

    with commit():
        seller_client.put(f"{product_url(product)}discount/", {"discount_percent": "10"})
    assert detail(api_client, product)["discount_percent"] == "10.00"

    with commit():
        seller_client.delete(product_url(product))

    assert api_client.get(product_url(product)).status_code == 404
    assert api_client.get(PRODUCTS).json()["results"] == []


def test_a_checkout_and_a_cancel_show_in_the_stock(api_client, user, cache_on, commit):
    product = ProductFactory(stock_quantity=5)
    assert detail(api_client, product)["stock_quantity"] == 5
    fill_cart(user, {product: 2})

    with commit():
        order = order_place(user=user, shipping_address=ADDRESS)
    assert detail(api_client, product)["stock_quantity"] == 3

    with commit():
        order_cancel(order=order, by=user)
    assert detail(api_client, product)["stock_quantity"] == 5


def test_an_expired_order_gives_its_stock_back_to_the_cached_reads(
    api_client, user, cache_on, commit
):
    product = ProductFactory(stock_quantity=1)
    fill_cart(user, {product: 1})
    with commit():
        order = order_place(user=user, shipping_address=ADDRESS)
    in_stock = api_client.get(PRODUCTS, {"in_stock": "true"}).json()["results"]
    assert in_stock == []
    type(order).objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=1))

    with commit():
        assert order_expire_unpaid(older_than=timedelta(hours=1)) == 1

    assert [p["id"] for p in api_client.get(PRODUCTS, {"in_stock": "true"}).json()["results"]] == [
        str(product.pk)
    ]


def test_a_discount_window_opening_shows_after_the_refresh_job(api_client, cache_on, commit):
    product = ProductFactory(
        price=Decimal("20.00"),
        discount_percent=Decimal("50"),
        discount_starts_at=timezone.now() + timedelta(hours=1),
    )
    assert detail(api_client, product)["effective_price"] == "20.00"
    # The start passes (in the database only, as time would).
    Product.objects.filter(pk=product.pk).update(
        discount_starts_at=timezone.now() - timedelta(minutes=1)
    )
    assert detail(api_client, product)["effective_price"] == "20.00"  # still the cached one

    with commit():
        assert product_prices_refresh() == 1

    assert detail(api_client, product)["effective_price"] == "10.00"
    assert api_client.get(PRODUCTS, {"max_price": "10"}).json()["count"] == 1


def test_a_discount_window_closing_shows_after_the_refresh_job(
    api_client, cache_on, settings, commit
):
    settings.CATALOG_COUNT_CACHE_SECONDS = 300
    ending = ProductFactory(
        price=Decimal("20.00"),
        discount_percent=Decimal("50"),
        discount_ends_at=timezone.now() + timedelta(hours=1),
    )
    ProductFactory.create_batch(2, price=Decimal("8.00"))
    assert detail(api_client, ending)["effective_price"] == "10.00"
    cheap = {"max_price": "10", "page_size": 1}
    assert api_client.get(PRODUCTS, cheap).json()["count"] == 3
    # The end passes (in the database only, as time would).
    Product.objects.filter(pk=ending.pk).update(
        discount_ends_at=timezone.now() - timedelta(minutes=1)
    )

    with commit():
        assert product_prices_refresh() == 1

    assert detail(api_client, ending)["effective_price"] == "20.00"
    # Both the cached page and the kept count follow.
    assert api_client.get(PRODUCTS, cheap).json()["count"] == 2


def test_a_review_shows_in_the_rating(api_client, user, cache_on, commit):
    product = ProductFactory()
    assert detail(api_client, product)["review_count"] == 0

    with commit():
        review_create(user=user, product_id=product.pk, rating=4)

    body = detail(api_client, product)
    assert (body["review_count"], body["average_rating"]) == (1, "4.00")


def test_a_category_or_brand_rename_shows_everywhere(api_client, staff_client, cache_on, commit):
    category, brand = CategoryFactory(name="Old Cat"), BrandFactory(name="Old Brand")
    product = ProductFactory(category=category, brand=brand)
    detail(api_client, product)
    api_client.get(CATEGORIES)
    api_client.get(BRANDS)

    with commit():
        staff_client.patch(f"{CATEGORIES}{category.pk}/", {"name": "New Cat"})
        staff_client.patch(f"{BRANDS}{brand.pk}/", {"name": "New Brand"})

    body = detail(api_client, product)
    assert (body["category"]["name"], body["brand"]["name"]) == ("New Cat", "New Brand")
    assert [c["name"] for c in api_client.get(CATEGORIES).json()["results"]] == ["New Cat"]
    assert [b["name"] for b in api_client.get(BRANDS).json()["results"]] == ["New Brand"]


def test_an_evicted_version_never_brings_back_an_old_answer(api_client, cache_on, commit):
    product = ProductFactory(name="Before")
    detail(api_client, product)
    Product.objects.filter(pk=product.pk).update(name="After")
    # The cache lost every version key (eviction, a restart) but kept the answers.
    # (Local-memory keys are "<prefix>:<version>:<key>".)
    cache.delete_many([key.split(":", 2)[2] for key in list(cache._cache) if ":scope:" in key])

    assert detail(api_client, product)["name"] == "After"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_reads_work_when_redis_is_down(api_client, settings):
    settings.CATALOG_CACHE_SECONDS = 300
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_free_port()}/0",  # nothing listens there
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True},
        }
    }
    product = ProductFactory(name="Still Served")

    assert [p["name"] for p in api_client.get(PRODUCTS).json()["results"]] == ["Still Served"]
    assert detail(api_client, product)["name"] == "Still Served"


def test_reads_work_when_the_cache_raises(api_client, cache_on, monkeypatch):
    # A backend that raises instead of ignoring errors (the throttles share the cache and
    # are left working here: only what the catalog cache alone calls breaks).
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", broken)
    monkeypatch.setattr(cache, "set_many", broken)
    ProductFactory(name="Still Served")

    assert [p["name"] for p in api_client.get(PRODUCTS).json()["results"]] == ["Still Served"]


# --- the lean representation ------------------------------------------------------------------


def test_the_lean_representation_is_the_serializers_answer(rf):
    product = ProductFactory(
        price=Decimal("40.00"),
        discount_percent=Decimal("12.50"),
        discount_starts_at=timezone.now() - timedelta(days=1),
        discount_ends_at=timezone.now() + timedelta(days=1),
        average_rating=Decimal("4.25"),
        review_count=3,
    )
    ProductImageFactory(product=product, is_primary=True, alt_text="front")
    ProductImageFactory(product=product, position=2)
    # Dates whose text could differ: no fraction of a second, a fraction with trailing zeros.
    for position, created_at in (
        (3, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (4, datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)),
    ):
        image = ProductImageFactory(product=product, position=position)
        ProductImage.objects.filter(pk=image.pk).update(created_at=created_at)
    without_brand = ProductFactory(brand=None, created_by=None, stock_quantity=0)
    request = rf.get(PRODUCTS)

    lean = {}
    for item in (product, without_brand):
        instance = Product.objects.prefetch_related("images").get(pk=item.pk)
        expected = ProductSerializer(instance, context={"request": request}).data
        rows = list(product_rows(Product.objects.filter(pk=item.pk)))
        lean[item.pk] = ProductRepresenter(request=request).products(rows)[0]
        assert lean[item.pk] == expected
    assert [image["created_at"] for image in lean[product.pk]["images"]][2:] == [
        "2026-01-02T03:04:05Z",
        "2026-01-02T03:04:05.120000Z",
    ]
