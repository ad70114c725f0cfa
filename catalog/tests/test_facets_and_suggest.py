"""`products/facets/` and `products/suggest/`."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import facets
from catalog.models import Category
from catalog.tests.factories import BrandFactory, CategoryFactory, ProductFactory
from catalog.tests.helpers import PRODUCTS, assert_validation_error
from stores.models import StoreStatus
from stores.tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

FACETS = f"{PRODUCTS}facets/"
SUGGEST = f"{PRODUCTS}suggest/"


@pytest.fixture
def catalog_data(seller):
    skincare = CategoryFactory(name="Skincare", slug="skincare")
    serums = CategoryFactory(name="Serums", slug="serums", parent=skincare)
    haircare = CategoryFactory(name="Haircare", slug="haircare")
    aurelia, kerasol = (
        BrandFactory(name="Aurelia", slug="aurelia"),
        BrandFactory(name="Kerasol", slug="kerasol"),
    )
    rows = [
        ("Glow Serum", serums, aurelia, "9.99", 3),
        ("Night Serum", serums, kerasol, "24.99", 0),
        ("Day Cream", skincare, aurelia, "25.00", 5),
        ("Rich Cream", skincare, None, "120.00", 2),
        ("Hair Oil", haircare, kerasol, "49.99", 1),
        ("Hair Mask", haircare, kerasol, "250.00", 0),
    ]
    for name, category, brand, price, stock in rows:
        ProductFactory(
            name=name, category=category, brand=brand, price=Decimal(price), stock_quantity=stock
        )
    ProductFactory(name="Hidden Serum", category=serums, brand=aurelia, is_active=False)
    ProductFactory(
        name="Seller Serum", category=serums, brand=aurelia, created_by=seller, is_active=False
    )


def list_count(client, params) -> int:
    body = client.get(PRODUCTS, {**params, "page_size": 100}).json()
    return len(body["results"])


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"category": "skincare"},
        {"brand": "kerasol"},
        {"in_stock": "true"},
        {"min_price": "10", "max_price": "100"},
        {"search": "serum"},
        {"search": "cream", "brand": "aurelia"},
    ],
)
def test_facet_counts_equal_the_lists_counts_for_the_same_filters(api_client, catalog_data, params):
    body = api_client.get(FACETS, params).json()

    assert body["count"] == list_count(api_client, params)
    assert body["counts_are_estimates"] is False
    for category in body["categories"]:
        assert category["count"] == list_count(api_client, {**params, "category": category["slug"]})
    for brand in body["brands"]:
        assert brand["count"] == list_count(api_client, {**params, "brand": brand["slug"]})
    for band in body["price_bands"]:
        if "min_price" in params:
            break  # the list takes one price range; the bands are checked without one
        band_params = {**params, "min_price": band["min_price"]}
        if band["max_price"]:
            band_params["max_price"] = band["max_price"]
        assert band["count"] == list_count(api_client, band_params)
    for stock in body["in_stock"]:
        if "in_stock" in params:
            break  # filtered already: one value holds everything
        in_stock = "true" if stock["value"] else "false"
        assert stock["count"] == list_count(api_client, {**params, "in_stock": in_stock})


def test_a_parent_category_counts_its_subcategories(api_client, catalog_data):
    body = api_client.get(FACETS).json()

    counts = {c["slug"]: c["count"] for c in body["categories"]}
    assert counts == {"skincare": 4, "serums": 2, "haircare": 2}
    assert {b["slug"]: b["count"] for b in body["brands"]} == {"aurelia": 2, "kerasol": 3}
    assert [(b["key"], b["count"]) for b in body["price_bands"]] == [
        ("0-10", 1),
        ("10-25", 1),
        ("25-50", 2),
        ("50-100", 0),
        ("100-200", 1),
        ("200-", 1),
    ]
    assert body["in_stock"] == [{"value": True, "count": 4}, {"value": False, "count": 2}]


def test_facets_show_what_the_caller_may_see(seller_client, catalog_data):
    body = seller_client.get(FACETS).json()

    assert body["count"] == 7
    assert {b["slug"]: b["count"] for b in body["brands"]}["aurelia"] == 3


def test_facets_cost_the_same_queries_whatever_the_number_of_products(api_client):
    category, brand = CategoryFactory(), BrandFactory()
    counts = []
    for total in (3, 30):
        ProductFactory.create_batch(total - len(counts) * 3, category=category, brand=brand)
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(FACETS, {"in_stock": "true"}).json()["count"] == total
        counts.append(len(queries))

    assert counts[0] == counts[1] <= 6


def test_facets_refuse_bad_filters(api_client):
    assert_validation_error(api_client.get(FACETS, {"min_price": "abc"}), "min_price")


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="TABLESAMPLE is PostgreSQL's")
def test_above_the_limit_facets_are_estimated_from_a_sample(
    api_client, catalog_data, settings, monkeypatch
):
    settings.EXACT_COUNT_LIMIT = 2
    monkeypatch.setattr(facets, "FACET_SAMPLE_ROWS", 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")

    body = api_client.get(FACETS).json()

    assert body["count_is_estimate"] is True
    assert body["counts_are_estimates"] is True
    assert {"categories", "brands", "price_bands", "in_stock"} <= set(body)


# --- suggest ----------------------------------------------------------------------------


def test_suggest_completes_categories_brands_and_product_names(api_client, catalog_data):
    BrandFactory(name="Serene Skin", slug="serene-skin")

    results = api_client.get(SUGGEST, {"q": "se"}).json()["results"]

    assert [(r["kind"], r["text"]) for r in results] == [
        ("category", "Serums"),
        ("brand", "Serene Skin"),
    ]
    results = api_client.get(SUGGEST, {"q": "ha"}).json()["results"]
    assert [(r["kind"], r["text"]) for r in results] == [
        ("category", "Haircare"),
        ("product", "Hair Mask"),
        ("product", "Hair Oil"),
    ]


def test_suggest_names_only_visible_products_and_at_most_ten(
    api_client, catalog_data, django_assert_max_num_queries
):
    for number in range(12):
        ProductFactory(name=f"Hidden Gem {number:02}", is_active=number % 2 == 0)

    # One query per source: categories, brands, stores, products.
    with django_assert_max_num_queries(4):
        results = api_client.get(SUGGEST, {"q": "HID"}).json()["results"]

    assert [r["text"] for r in results] == [f"Hidden Gem {n:02}" for n in range(0, 12, 2)]
    for number in range(20):
        ProductFactory(name=f"Plenty {number:02}")
    assert len(api_client.get(SUGGEST, {"q": "plenty"}).json()["results"]) == 10


def test_suggest_treats_wildcards_literally(api_client, catalog_data):
    ProductFactory(name="100% Pure Oil")
    ProductFactory(name="1000 Drops")

    results = api_client.get(SUGGEST, {"q": "100%"}).json()["results"]

    assert [r["text"] for r in results] == ["100% Pure Oil"]
    assert api_client.get(SUGGEST, {"q": "_"}).json()["results"] == []


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 101}, {"q": "a\x00"}])
def test_suggest_needs_a_short_query(api_client, params):
    assert_validation_error(api_client.get(SUGGEST, params), "q")


def test_suggest_completes_open_stores_and_leaves_out_closed_ones(api_client, catalog_data):
    open_store = StoreFactory(status=StoreStatus.APPROVED, name="Glowhaus Skin")
    StoreFactory(status=StoreStatus.SUSPENDED, name="Glowing Hidden")

    results = api_client.get(SUGGEST, {"q": "glow"}).json()["results"]

    stores = [r for r in results if r["kind"] == "store"]
    assert [(r["text"], r["slug"]) for r in stores] == [(open_store.name, open_store.slug)]


def test_suggest_leaves_out_the_products_of_a_suspended_store(api_client, catalog_data):
    closed = StoreFactory(status=StoreStatus.SUSPENDED)
    ProductFactory(name="Zircon Night Cream", store=closed, created_by=closed.owner)

    assert api_client.get(SUGGEST, {"q": "zircon"}).json()["results"] == []


def test_facets_count_products_per_store(api_client, catalog_data):
    serums = Category.objects.get(slug="serums")
    first, second = (StoreFactory(status=StoreStatus.APPROVED) for _ in range(2))
    for store, number in ((first, 2), (second, 1)):
        for _ in range(number):
            ProductFactory(store=store, created_by=store.owner, category=serums)

    body = api_client.get(FACETS, {"category": "serums"}).json()

    counts = {row["slug"]: row["count"] for row in body["stores"]}
    assert counts[first.slug] == 2 and counts[second.slug] == 1
    listed = api_client.get(PRODUCTS, {"category": "serums", "store": first.slug})
    assert listed.json()["count"] == 2


def test_facets_of_a_filter_that_matches_no_row_are_zero_counts(api_client, catalog_data):
    # An unknown category slug becomes an empty IN (): the ORM plans no query for it, on
    # PostgreSQL nor anywhere else.
    response = api_client.get(FACETS, {"category": "no-such-category", "min_price": "0"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 0
    assert body["categories"] == body["brands"] == body["stores"] == []
    assert all(band["count"] == 0 for band in body["price_bands"])
