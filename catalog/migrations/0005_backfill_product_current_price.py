# Hand-written: fill Product.current_price with the SQL expression the listing used to
# compute per request. Not atomic: each batch of BATCH_SIZE products (by primary key) is one
# UPDATE in its own transaction, so a checkout waits for at most one batch's row locks, not
# for the whole table, and a rerun after an interruption simply recomputes (idempotent).

from django.db import migrations, transaction

from catalog.selectors import effective_price_expression

BATCH_SIZE = 20_000


def backfill_current_price(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    alias = schema_editor.connection.alias
    products = Product.objects.using(alias).order_by("pk")
    last = None
    while True:
        rest = products if last is None else products.filter(pk__gt=last)
        # The primary key closing this batch (none when fewer than BATCH_SIZE are left).
        bound = rest.values_list("pk", flat=True)[BATCH_SIZE - 1 : BATCH_SIZE].first()
        batch = rest if bound is None else rest.filter(pk__lte=bound)
        with transaction.atomic(using=alias):
            batch.update(current_price=effective_price_expression())
        if bound is None:
            return
        last = bound


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalog", "0004_product_current_price"),
    ]

    operations = [
        migrations.RunPython(backfill_current_price, migrations.RunPython.noop, elidable=True),
    ]
