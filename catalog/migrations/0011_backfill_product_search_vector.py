# Hand-written: fill Product.search_vector and the SearchTerm words on PostgreSQL (other
# databases search without them). Not atomic: each batch of BATCH_SIZE products (by primary key) is one UPDATE in its
# own transaction, so a checkout waits for at most one batch's row locks, and a rerun after
# an interruption simply recomputes (idempotent).
#
# The document is spelled out here in SQL rather than imported from catalog.search: that
# definition may grow, and this migration must keep running on a new database before the
# tables such a definition reads exist. catalog.tests checks that both
# give the same document today; `manage.py reindex_products` rewrites every document with
# the current definition whenever it changes.

from django.db import migrations, transaction

BATCH_SIZE = 10_000

DOCUMENT_SQL = """
    setweight(to_tsvector('simple', p.name) || to_tsvector('english', p.name), 'A')
    || setweight(
        to_tsvector('simple', COALESCE(b.name, '')) || to_tsvector('english', COALESCE(b.name, '')),
        'B')
    || setweight(
        to_tsvector('simple', COALESCE(s.name, '')) || to_tsvector('english', COALESCE(s.name, '')),
        'B')
    || setweight(
        to_tsvector('simple', COALESCE(c.name, '')) || to_tsvector('english', COALESCE(c.name, '')),
        'C')
    || setweight(to_tsvector('english', p.description), 'D')
"""

UPDATE_SQL = f"""
    UPDATE catalog_product AS p SET search_vector = {DOCUMENT_SQL}
    FROM catalog_product AS q
    LEFT JOIN catalog_brand AS b ON b.id = q.brand_id
    LEFT JOIN stores_store AS s ON s.id = q.store_id
    LEFT JOIN catalog_category AS c ON c.id = q.category_id
    WHERE q.id = p.id AND p.id > %s AND p.id <= %s
"""


def fill_search_vectors(apps, schema_editor, *, only_missing: bool = False) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    Product = apps.get_model("catalog", "Product")
    products = Product.objects.using(connection.alias).order_by("pk")
    if only_missing:
        products = products.filter(search_vector__isnull=True)
    missing_clause = " AND p.search_vector IS NULL" if only_missing else ""
    last = None
    while True:
        rest = products if last is None else products.filter(pk__gt=last)
        bound = rest.values_list("pk", flat=True)[BATCH_SIZE - 1 : BATCH_SIZE].first()
        if bound is None:
            bound = rest.values_list("pk", flat=True).order_by("-pk").first()
            if bound is None:
                return
        low = last or "00000000-0000-0000-0000-000000000000"
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(UPDATE_SQL + missing_clause, [low, bound])
        last = bound


# The words of every product, brand, category and store name; numbers ("No. 123") and words
# shorter than three letters are no use for typo correction.
TERMS_SQL = """
    INSERT INTO catalog_searchterm (term)
    SELECT DISTINCT word FROM (
        SELECT unnest(tsvector_to_array(to_tsvector('simple', name))) AS word
        FROM (
            SELECT name FROM catalog_product
            UNION ALL SELECT name FROM catalog_brand
            UNION ALL SELECT name FROM catalog_category
            UNION ALL SELECT name FROM stores_store
        ) AS names
    ) AS words
    WHERE length(word) BETWEEN 3 AND 100 AND word !~ '^[0-9]+$'
    ON CONFLICT DO NOTHING
"""


def fill_search_terms(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(TERMS_SQL)


def backfill(apps, schema_editor):
    fill_search_vectors(apps, schema_editor)
    fill_search_terms(apps, schema_editor)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalog", "0010_product_search_vector"),
        ("stores", "0002_stores_for_existing_sellers"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
