# Hand-written, in three migrations like current_price (0004-0006), so no transaction holds
# a lock on the products for long: 0008 adds the column (nullable: instant) and the table of
# name words, 0009 fills them in batches, each in its own short transaction, and 0010
# builds the indexes concurrently.

import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0009_product_store_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.CreateModel(
            name="SearchTerm",
            fields=[
                ("term", models.CharField(max_length=100, primary_key=True, serialize=False)),
            ],
        ),
    ]
