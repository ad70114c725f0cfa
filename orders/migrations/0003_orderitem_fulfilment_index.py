from django.db import migrations, models

from core.db import AddIndexConcurrentlyWhereSupported


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0002_fulfilments"),
    ]

    operations = [
        AddIndexConcurrentlyWhereSupported(
            model_name="orderitem",
            index=models.Index(fields=["fulfilment"], name="orders_item_fulfilment_idx"),
        ),
    ]
