# Hand-written, in three migrations so that no transaction holds a lock for long on a big
# table: 0004 adds the column (nullable: instant), 0005 fills it in batches, each in its
# own short transaction, and 0006 makes it NOT NULL and builds the indexes. Together in one
# transaction, ADD COLUMN's ACCESS EXCLUSIVE lock would block every read of the products
# until the backfill committed (128 s on 1,000,000 rows, see bench/README.md).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0003_product_low_stock_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="current_price",
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=12, null=True),
        ),
    ]
