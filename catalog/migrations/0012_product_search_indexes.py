# Hand-written: fill the few documents (and name words) the previous release's writes left
# out while 0009 ran, refresh the planner's statistics (its row estimates of a search are the
# list's count above EXACT_COUNT_LIMIT), then build the search, suggest and listing indexes
# with CREATE INDEX CONCURRENTLY (on PostgreSQL; plain indexes elsewhere, none for the
# PostgreSQL-only ones), so reads and writes of the products go on while they build. The
# new listing index (newest first, then id) replaces the one on created_at alone.

import importlib

import django.contrib.postgres.indexes
from django.db import migrations, models

import catalog.models

from core.db import AddIndexConcurrentlyWhereSupported, RemoveIndexConcurrentlyWhereSupported

_backfill = importlib.import_module("catalog.migrations.0011_backfill_product_search_vector")

VISIBLE = models.Q(("is_active", True), ("is_deleted", False))


def fill_missing(apps, schema_editor):
    _backfill.fill_search_vectors(apps, schema_editor, only_missing=True)
    _backfill.fill_search_terms(apps, schema_editor)
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("ANALYZE catalog_product")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalog", "0011_backfill_product_search_vector"),
    ]

    operations = [
        migrations.RunPython(fill_missing, migrations.RunPython.noop, elidable=True),
        AddIndexConcurrentlyWhereSupported(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="catalog_product_search_gin"
            ),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name="product",
            index=models.Index(
                catalog.models.BytewiseLower("name"),
                condition=VISIBLE,
                name="catalog_prod_name_prefix_idx",
            ),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name="product",
            index=models.Index(
                condition=VISIBLE,
                fields=["-created_at", "-id"],
                name="catalog_prod_visible_key_idx",
            ),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name="searchterm",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["term"], name="catalog_term_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        RemoveIndexConcurrentlyWhereSupported(
            model_name="product",
            name="catalog_prod_visible_new_idx",
        ),
    ]
