"""Kept counts (CATALOG_COUNT_CACHE_SECONDS): a product list's count is computed once per
filter set and kept under the product lists' version, for every caller, signed in or not;
every write that changes which products a list holds makes it be counted again. A test's
transaction never commits, so each write runs its commit callbacks by hand."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.tests.factories import ProductFactory
from catalog.tests.helpers import PRODUCTS, product_url
from checkout.services import order_place
from orders.tests.factories import ADDRESS, fill_cart
from stores.models import StoreStatus
from stores.services import store_suspend
from stores.tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

FACETS = f"{PRODUCTS}facets/"


@pytest.fixture
def counts_kept(settings):
    # Answers are not cached (CATALOG_CACHE_SECONDS stays 0): only counts are kept.
    settings.CATALOG_COUNT_CACHE_SECONDS = 300
    cache.clear()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def counted(client, url=PRODUCTS, params=None) -> tuple[int, list[str]]:
    """The answer's count and the SQL of the request that made it. Pages of one product,
    so that a list is counted (a last page knows its count from its own rows)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 1, **(params or {})})
    assert response.status_code == 200, response.content
    return response.json()["count"], [query["sql"] for query in queries.captured_queries]


def counting(sql: list[str]) -> list[str]:
    return [query for query in sql if "COUNT(" in query or query.startswith("EXPLAIN")]


def test_a_repeated_list_is_counted_once_for_a_signed_in_caller_too(user_client, counts_kept):
    ProductFactory.create_batch(3)

    first, first_sql = counted(user_client)
    again, again_sql = counted(user_client)

    assert first == again == 3
    assert counting(first_sql)
    assert counting(again_sql) == []
    assert len(again_sql) == len(first_sql) - len(counting(first_sql))


def test_with_the_setting_at_zero_every_request_counts(api_client, settings):
    settings.CATALOG_COUNT_CACHE_SECONDS = 0
    ProductFactory.create_batch(2)

    counted(api_client)
    _, again_sql = counted(api_client)

    assert counting(again_sql)


def test_a_new_product_is_counted_at_once(api_client, seller_client, counts_kept, commit):
    category = ProductFactory.create_batch(2)[0].category
    assert counted(api_client)[0] == 2

    with commit():
        response = seller_client.post(
            PRODUCTS,
            {
                "name": "Fresh Serum",
                "description": "New.",
                "price": "12.00",
                "stock_quantity": 4,
                "category": str(category.id),
            },
        )
    assert response.status_code == 201, response.content

    assert counted(api_client)[0] == 3


def test_a_deleted_product_leaves_the_count_at_once(
    api_client, seller, seller_client, counts_kept, commit
):
    products = ProductFactory.create_batch(3, created_by=seller)
    assert counted(api_client)[0] == 3

    with commit():
        seller_client.delete(product_url(products[0]))

    assert counted(api_client)[0] == 2


def test_the_last_unit_sold_at_checkout_leaves_the_in_stock_count(
    api_client, user, counts_kept, commit
):
    last = ProductFactory(stock_quantity=1)
    ProductFactory.create_batch(2, stock_quantity=5)
    assert counted(api_client, params={"in_stock": "true"})[0] == 3
    assert counted(api_client, FACETS, {"in_stock": "true"})[0] == 3
    fill_cart(user, {last: 1})

    with commit():
        order_place(user=user, shipping_address=ADDRESS)

    assert counted(api_client, params={"in_stock": "true"})[0] == 2
    assert counted(api_client, FACETS, {"in_stock": "true"})[0] == 2


def test_a_suspended_store_leaves_the_count_at_once(api_client, counts_kept, commit):
    store = StoreFactory(status=StoreStatus.APPROVED)
    ProductFactory.create_batch(2, store=store)
    ProductFactory.create_batch(2)
    assert counted(api_client)[0] == 4

    with commit():
        store_suspend(store=store, reason="Audit")

    assert counted(api_client)[0] == 2


def test_callers_who_see_different_products_never_share_a_count(
    api_client, seller, seller_client, counts_kept
):
    ProductFactory.create_batch(2, created_by=seller)
    ProductFactory(created_by=seller, is_active=False)

    # The seller also sees its own inactive product; the same URL, two counts.
    assert counted(seller_client)[0] == 3
    assert counted(api_client)[0] == 2
    assert counted(seller_client)[0] == 3


def test_each_filter_set_has_its_own_count(api_client, counts_kept):
    ProductFactory.create_batch(2, stock_quantity=0)
    ProductFactory.create_batch(3)

    assert counted(api_client, params={"in_stock": "false"})[0] == 2
    assert counted(api_client, params={"in_stock": "true"})[0] == 3
    assert counted(api_client)[0] == 5


def test_lists_are_counted_when_the_cache_fails(api_client, counts_kept, monkeypatch):
    ProductFactory.create_batch(2)

    # What the kept counts alone call breaks (the throttles share the cache and go on).
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", broken)
    monkeypatch.setattr(cache, "set_many", broken)

    assert counted(api_client)[0] == 2
