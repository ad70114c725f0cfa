"""Hand-written: let autovacuum keep the planner's statistics of the stores current.

Every public product list joins the stores and keeps those whose status is approved.
A table of a few dozen stores never reaches the server's autovacuum threshold (50 changed
rows + 10 %), so it was never analyzed, and the planner took `status = 'approved'` to match
one store: at a million products it chose nested loops over the products' store index and
the brand, search and facet lists took about ten times as long (see README, "PostgreSQL
and Redis"). The table is analyzed once here too, so a deployed database has statistics
at once.

On PostgreSQL `ALTER TABLE ... SET (...)` of storage parameters and `ANALYZE` take a SHARE
UPDATE EXCLUSIVE lock, only briefly (a catalog update; a sample of a small table): reads
and writes of the stores go on, and they wait only for a VACUUM, ANALYZE or schema change
of the same table. Not atomic, so the lock is released as soon as each statement is done.
Nothing happens on other databases; backwards, the parameters are RESET.
"""

from django.db import migrations

from core.db import AnalyzeAfterFewChanges

# After 5 changed rows plus 2 % of the table, rather than 50 plus 10 %: a single approval
# or suspension moves the fraction of approved stores by several points when there are a
# few dozen, and that fraction is the planner's estimate for every product list. An ANALYZE
# of such a table reads a page or two, and autovacuum runs it at most once a naptime, so
# analyzing often costs nothing; the 2 % keeps a marketplace with thousands of stores from
# analyzing on every naptime while its product counters change.
THRESHOLD = 5
SCALE_FACTOR = 0.02


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("stores", "0002_stores_for_existing_sellers"),
    ]

    operations = [
        AnalyzeAfterFewChanges("store", threshold=THRESHOLD, scale_factor=SCALE_FACTOR),
    ]
