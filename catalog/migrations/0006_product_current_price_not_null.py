# Hand-written: products written by the previous release while 0005 ran have no
# current_price yet; fill those (few, one UPDATE) in the same transaction that makes the
# column NOT NULL, then build the indexes the price ordering, the price filters and the
# price refresh read.

from django.db import migrations, models

from catalog.selectors import effective_price_expression


def fill_missing_current_price(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    Product.objects.using(schema_editor.connection.alias).filter(
        current_price__isnull=True
    ).update(current_price=effective_price_expression())


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0005_backfill_product_current_price"),
    ]

    operations = [
        migrations.RunPython(fill_missing_current_price, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="product",
            name="current_price",
            field=models.DecimalField(
                decimal_places=2,
                editable=False,
                help_text=(
                    "The effective price as of the last refresh: exact after every write "
                    "through the services; at a scheduled discount start/end it lags until "
                    "the refresh job runs (every minute)."
                ),
                max_digits=12,
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("is_active", True), ("is_deleted", False)),
                fields=["current_price", "-created_at", "id"],
                name="catalog_prod_price_asc_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("is_active", True), ("is_deleted", False)),
                fields=["-current_price", "-created_at", "id"],
                name="catalog_prod_price_desc_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("discount_starts_at__isnull", False)),
                fields=["discount_starts_at"],
                name="catalog_prod_disc_starts_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("discount_ends_at__isnull", False)),
                fields=["discount_ends_at"],
                name="catalog_prod_disc_ends_idx",
            ),
        ),
    ]
