"""Hand-written: let autovacuum keep the planner's statistics of the small catalog tables
current (categories, brands, and the name words typo correction uses).

The product lists join the categories and brands, filter by them and count by them
(facets); typo correction looks words up in the search terms. Tables of a few dozen or a
few hundred rows that rarely change never reach the server's autovacuum threshold (50
changed rows + 10 %), so they were never analyzed and the planner guessed their row counts
and selectivities: at a million products the brand, typo and facet queries took about ten
times as long (see README, "PostgreSQL and Redis"). Each table is analyzed once here too,
so a deployed database has statistics at once.

On PostgreSQL `ALTER TABLE ... SET (...)` of storage parameters and `ANALYZE` take a SHARE
UPDATE EXCLUSIVE lock, only briefly (a catalog update; a sample of a small table): reads
and writes go on, and they wait only for a VACUUM, ANALYZE or schema change of the same
table. Not atomic, so each lock is released as soon as its statement is done. Nothing
happens on other databases; backwards, the parameters are RESET.
"""

from django.db import migrations

from core.db import AnalyzeAfterFewChanges

# After 5 changed rows plus 2 % of the table, rather than 50 plus 10 %: on a table of a
# few dozen rows, a handful of new categories or brands already changes what the planner
# should expect of a filter or a join on them. ANALYZE of a small table reads a page or
# two and autovacuum runs it at most once a naptime, so analyzing often costs nothing;
# the 2 % keeps a big table (a catalog's search terms can grow to tens of thousands of
# words, rebuilt wholesale by reindex_products) from being analyzed on every few writes.
THRESHOLD = 5
SCALE_FACTOR = 0.02


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalog", "0013_product_skin_attributes"),
    ]

    operations = [
        AnalyzeAfterFewChanges(model, threshold=THRESHOLD, scale_factor=SCALE_FACTOR)
        for model in ("category", "brand", "searchterm")
    ]
