from django.db import migrations, models

from core.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0002_fulfilments"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="orderitem",
            index=models.Index(fields=["fulfilment"], name="orders_item_fulfilment_idx"),
        ),
    ]
