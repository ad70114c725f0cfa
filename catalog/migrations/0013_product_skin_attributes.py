# Hand-written: the skin attributes of a product and their indexes, without holding a lock
# on the products for long. Adding a column with a constant default is a catalog-only change
# on PostgreSQL 11+ (no table rewrite); the GIN indexes are then built with CREATE INDEX
# CONCURRENTLY (nothing on SQLite, which has no GIN), so this migration is not atomic.

import django.contrib.postgres.indexes
from django.db import migrations, models

from core.db import AddIndexConcurrentlyWhereSupported


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalog", "0012_product_search_indexes"),
    ]

    operations = [
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
    ]
