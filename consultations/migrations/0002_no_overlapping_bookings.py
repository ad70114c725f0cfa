"""On PostgreSQL, no two bookings of a store that take their slot may overlap in time: an
exclusion constraint over (store, [starts_at, ends_at)), with btree_gist for the store's
equality. The table is new and empty, so building it locks nothing of consequence. Other
databases rely on the unique start constraint and the availability row lock."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE consultations_consultation
    ADD CONSTRAINT consult_no_overlapping_bookings
    EXCLUDE USING gist (store_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status <> 'cancelled');
"""
DROP = "ALTER TABLE consultations_consultation DROP CONSTRAINT IF EXISTS consult_no_overlapping_bookings;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("consultations", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
