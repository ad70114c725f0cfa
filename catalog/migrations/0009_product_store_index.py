from django.db import migrations, models

from core.db import AddIndexConcurrentlyWhereSupported


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalog", "0008_product_store"),
    ]

    operations = [
        AddIndexConcurrentlyWhereSupported(
            model_name="product",
            index=models.Index(fields=["store", "-created_at"], name="catalog_prod_store_new_idx"),
        ),
    ]
