# Hand-written: the skin attributes of a product and their indexes, without holding a lock
# on the products for long. Adding a column with a constant default is a catalog-only change
# on PostgreSQL 11+ (no table rewrite); the GIN indexes are then built with CREATE INDEX
# CONCURRENTLY (nothing on SQLite, which has no GIN), so this migration is not atomic.
#
# On SQLite, adding (and removing) a column with a default rebuilds the table, and the
# rebuild creates every index of the model state, the PostgreSQL-only GIN ones too, as
# plain indexes; the search one would then stop 0010 from being unapplied. They are dropped
# after the rebuild, both ways.

import django.contrib.postgres.indexes
from django.db import migrations, models

from core.db import AddIndexConcurrentlyWhereSupported

POSTGRES_ONLY_INDEXES = (
    "catalog_product_search_gin",
    "catalog_prod_skin_gin",
    "catalog_prod_concern_gin",
)


def drop_postgres_only_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in POSTGRES_ONLY_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalog", "0012_product_search_indexes"),
    ]

    operations = [
        # Unapplied last: after the columns' removal rebuilt the table.
        migrations.RunPython(migrations.RunPython.noop, drop_postgres_only_indexes),
        migrations.AddField(
            model_name="product",
            name="skin_types",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="product",
            name="concerns",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="product",
            name="ingredients",
            field=models.JSONField(blank=True, default=list),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["skin_types"], name="catalog_prod_skin_gin", opclasses=["jsonb_path_ops"]
            ),
        ),
        AddIndexConcurrentlyWhereSupported(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["concerns"], name="catalog_prod_concern_gin", opclasses=["jsonb_path_ops"]
            ),
        ),
        migrations.RunPython(drop_postgres_only_indexes, migrations.RunPython.noop),
    ]
