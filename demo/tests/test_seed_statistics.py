"""seed_demo ends with the step after any bulk load: ANALYZE, so that the planner's row
estimates, and the product list's estimated count with them, hold from the first request."""

import pytest
from django.db import connection

from catalog.tests.helpers import PRODUCTS
from catalog.tests.test_table_statistics import LOOKUP_TABLES, analyzed
from demo.tests.seeding import seed

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE is PostgreSQL's"),
    pytest.mark.django_db,
]


def test_seeding_analyzes_the_tables_it_loaded():
    seed(40, orders=0, verbosity=0)

    for table in (
        "catalog_product",
        "stores_store",
        "catalog_category",
        "catalog_brand",
        "catalog_searchterm",
        "accounts_user",
    ):
        assert analyzed(table), table


def test_the_estimated_count_of_a_seeded_catalog_is_close_to_the_real_one(api_client, settings):
    # Tables never analyzed, as on the databases that were measured (TRUNCATE leaves a
    # table so; these are empty here, and the test's transaction is rolled back).
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(LOOKUP_TABLES)} CASCADE")
    seed(600, orders=0, verbosity=0)
    exact = api_client.get(PRODUCTS, {"page_size": 1}).json()
    assert exact["count_is_estimate"] is False
    settings.EXACT_COUNT_LIMIT = 50

    body = api_client.get(PRODUCTS, {"page_size": 1}).json()

    # Without statistics of the stores the planner takes `status = 'approved'` to match a
    # single store and expects a few dozen of the hundreds of products (the count is then
    # the limit + 1).
    assert body["count_is_estimate"] is True
    assert exact["count"] / 2 <= body["count"] <= exact["count"] * 2, (body["count"], exact)
