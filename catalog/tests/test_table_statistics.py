"""The planner's statistics of the small tables every product list joins: autovacuum
analyzes them after a few changes (stores 0003, catalog 0014), and the commands that
rewrite the catalog in bulk analyze what they wrote."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from catalog.tests.factories import BrandFactory, CategoryFactory, ProductFactory
from core.tests.migrations import migrate_to

LOOKUP_TABLES = ("stores_store", "catalog_category", "catalog_brand", "catalog_searchterm")
EXPECTED_OPTIONS = {"autovacuum_analyze_threshold=5", "autovacuum_analyze_scale_factor=0.02"}
BEFORE = [
    ("stores", "0002_stores_for_existing_sellers"),
    ("catalog", "0013_product_skin_attributes"),
]
AFTER = [("stores", "0003_store_analyze_often"), ("catalog", "0014_lookup_tables_analyze_often")]

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="autovacuum and ANALYZE are PostgreSQL's"
)


def reloptions() -> dict[str, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)",
            [list(LOOKUP_TABLES)],
        )
        return {name: set(options or ()) for name, options in cursor.fetchall()}


def analyzed(table: str) -> bool:
    """Whether the planner has column statistics of `table`: ANALYZE writes them only for a
    table with rows, and they are transactional, so a test sees only its own."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = %s", [table])
        return cursor.fetchone()[0] > 0


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db
def test_the_lookup_tables_are_analyzed_after_a_few_changes():
    assert reloptions() == dict.fromkeys(LOOKUP_TABLES, EXPECTED_OPTIONS)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_the_migrations_unapply_and_apply_again():
    migrate_to(BEFORE)
    if connection.vendor == "postgresql":
        assert reloptions() == {table: set() for table in LOOKUP_TABLES}

    migrate_to(AFTER)

    if connection.vendor == "postgresql":
        assert reloptions() == dict.fromkeys(LOOKUP_TABLES, EXPECTED_OPTIONS)


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db
def test_reindex_products_analyzes_the_products_and_their_words():
    category, brand = CategoryFactory(), BrandFactory()
    for _ in range(5):
        ProductFactory(category=category, brand=brand)
    assert not analyzed("catalog_product")
    assert not analyzed("catalog_searchterm")

    call_command("reindex_products", stdout=StringIO())

    assert analyzed("catalog_product")
    assert analyzed("catalog_searchterm")
