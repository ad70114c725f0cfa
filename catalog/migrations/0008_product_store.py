# Adds the product's store. The column is nullable (no table rewrite); its index is built
# concurrently on PostgreSQL by the next migration, so a live catalog keeps taking writes.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0007_product_low_stock_index_partial"),
        ("stores", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="store",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="products",
                to="stores.store",
            ),
        ),
    ]
