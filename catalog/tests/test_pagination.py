"""Counts, capped page numbers and cursor pages of the product list."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Product
from catalog.tests.factories import BrandFactory, CategoryFactory, ProductFactory
from catalog.tests.helpers import PRODUCTS, assert_validation_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def make():
    category, brand = CategoryFactory(), BrandFactory()

    def make(count, **fields):
        return [ProductFactory(category=category, brand=brand, **fields) for _ in range(count)]

    return make


def walk(client, params, *, limit=50):
    """Follow `next` from the first cursor page; return (names per page, bodies)."""
    pages, bodies = [], []
    response = client.get(PRODUCTS, {**params, "cursor": ""})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        bodies.append(body)
        pages.append([item["name"] for item in body["results"]])
        if not body["next"] or len(pages) >= limit:
            return pages, bodies
        response = client.get(body["next"])


# --- counts -----------------------------------------------------------------------------


def test_the_count_is_exact_below_the_limit(api_client, make, settings):
    settings.EXACT_COUNT_LIMIT = 10
    make(7)

    body = api_client.get(PRODUCTS, {"page_size": 2}).json()

    assert (body["count"], body["count_is_estimate"]) == (7, False)


def test_the_last_page_gives_the_exact_count_whatever_the_limit(api_client, make, settings):
    settings.EXACT_COUNT_LIMIT = 1
    make(5)

    body = api_client.get(PRODUCTS, {"page_size": 2, "page": 3}).json()

    assert (body["count"], body["count_is_estimate"]) == (5, False)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate")
def test_above_the_limit_the_count_is_the_planners_estimate(api_client, make, settings):
    settings.EXACT_COUNT_LIMIT = 3
    make(8)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")

    body = api_client.get(PRODUCTS, {"page_size": 2}).json()

    assert body["count_is_estimate"] is True
    # At least what is known to exist: this page, and the row after it.
    assert body["count"] >= 3
    assert len(body["results"]) == 2


# --- page numbers -----------------------------------------------------------------------


def test_pages_deeper_than_the_cap_are_refused_with_a_pointer_to_cursors(
    api_client, make, settings
):
    settings.MAX_PAGE_DEPTH = 4
    make(9)

    assert api_client.get(PRODUCTS, {"page_size": 2, "page": 2}).status_code == 200
    body = assert_validation_error(api_client.get(PRODUCTS, {"page_size": 2, "page": 3}), "page")
    assert "cursor" in body["errors"]["page"][0]


def test_page_links_keep_the_other_parameters(api_client, make):
    make(5)

    body = api_client.get(PRODUCTS, {"page_size": 2, "page": 2, "in_stock": "true"}).json()

    assert "page=3" in body["next"] and "in_stock=true" in body["next"]
    assert "page=" not in body["previous"] and "in_stock=true" in body["previous"]


# --- cursors ----------------------------------------------------------------------------


def test_an_empty_cursor_is_the_first_page_and_next_carries_a_cursor(api_client, make):
    products = make(5)

    body = api_client.get(PRODUCTS, {"cursor": "", "page_size": 2}).json()

    assert [item["name"] for item in body["results"]] == [p.name for p in products[::-1][:2]]
    assert "cursor=" in body["next"] and "page=" not in body["next"]
    assert body["previous"] is None
    assert body["count"] == 5


@pytest.mark.parametrize("ordering", ["-created_at", "created_at", "price", "-price"])
def test_cursor_pages_cover_every_product_once_in_order(api_client, make, ordering):
    products = make(3, price=Decimal("10.00")) + make(4, price=Decimal("20.00"))
    products += make(3, price=Decimal("15.00"))
    # Equal prices and equal instants: the tie-breakers decide.
    Product.objects.filter(pk__in=[p.pk for p in products[:4]]).update(created_at=timezone.now())
    expected = [
        item["name"]
        for item in api_client.get(PRODUCTS, {"ordering": ordering, "page_size": 100}).json()[
            "results"
        ]
    ]

    pages, _ = walk(api_client, {"ordering": ordering, "page_size": 3})

    assert [name for page in pages for name in page] == expected
    assert len(expected) == 10


def test_cursor_pages_have_no_duplicates_or_gaps_while_products_are_inserted(api_client, make):
    make(6)
    seen = []
    response = api_client.get(PRODUCTS, {"cursor": "", "page_size": 2})
    while True:
        body = response.json()
        seen += [item["name"] for item in body["results"]]
        # A new product (newest first: it belongs before everything already read) and
        # one older than everything lands between two page reads.
        ProductFactory(name=f"New {len(seen)}")
        old = ProductFactory(name=f"Old {len(seen)}")
        Product.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=9))
        if not body["next"]:
            break
        response = api_client.get(body["next"])

    originals = [name for name in seen if name.startswith("Product")]
    assert len(originals) == len(set(originals)) == 6
    # Nothing inserted before the position is shown; what is inserted after it is.
    assert not any(name.startswith("New") for name in seen)
    assert all(name.startswith("Old") for name in seen[6:])


def test_price_cursor_pages_stay_stable_while_cheaper_products_are_inserted(api_client, make):
    make(3, price=Decimal("10.00"))
    make(3, price=Decimal("20.00"))
    first = api_client.get(PRODUCTS, {"cursor": "", "page_size": 3, "ordering": "price"}).json()
    ProductFactory(name="Cheap newcomer", price=Decimal("1.00"))

    second = api_client.get(first["next"]).json()

    assert {item["price"] for item in first["results"]} == {"10.00"}
    assert {item["price"] for item in second["results"]} == {"20.00"}
    assert second["next"] is None


def test_previous_walks_back_to_the_first_page(api_client, make):
    make(7)
    pages, bodies = walk(api_client, {"page_size": 3})

    back = api_client.get(bodies[-1]["previous"]).json()
    first = api_client.get(back["previous"]).json()

    assert [item["name"] for item in back["results"]] == pages[-2]
    assert [item["name"] for item in first["results"]] == pages[0]
    assert first["previous"] is None
    assert first["next"]


def test_a_tampered_cursor_is_a_400(api_client, make):
    make(3)
    body = api_client.get(PRODUCTS, {"cursor": "", "page_size": 1}).json()
    token = body["next"].split("cursor=")[1]

    for bad in (token[:-2] + "xx", "garbage", "a:b:c", "%00"):
        assert_validation_error(api_client.get(PRODUCTS, {"cursor": bad}), "cursor")


def test_a_cursor_of_another_ordering_is_a_400(api_client, make):
    make(3)
    body = api_client.get(PRODUCTS, {"cursor": "", "page_size": 1, "ordering": "price"}).json()
    token = body["next"].split("cursor=")[1]

    response = api_client.get(PRODUCTS, {"cursor": token, "ordering": "-price"})

    assert_validation_error(response, "cursor")


@pytest.mark.parametrize("params", [{"ordering": "name"}, {"ordering": "-rating"}, {"page": "1"}])
def test_cursors_are_refused_where_no_index_serves_them_or_with_a_page(api_client, make, params):
    make(2)

    assert_validation_error(api_client.get(PRODUCTS, {**params, "cursor": ""}), "cursor")


def test_a_deep_cursor_page_costs_as_many_queries_as_the_first(api_client, make):
    make(12)
    _, bodies = walk(api_client, {"page_size": 2})
    deep = bodies[-2]["next"]
    counts = []

    for url in (f"{PRODUCTS}?cursor=&page_size=2", deep):
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(url).status_code == 200
        counts.append(len(queries))

    # The page (at most two index ranges from a position), images, the count.
    assert counts[1] <= counts[0] + 1
