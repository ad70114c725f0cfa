"""Migration operations for tables that must stay usable while they migrate, and the
planner's statistics of tables that are written in bulk.

`CREATE INDEX` locks a table against writes for as long as the build takes (minutes on a
million rows); PostgreSQL's `CREATE INDEX CONCURRENTLY` does not, but it cannot run in a
transaction and exists nowhere else. These operations build concurrently on PostgreSQL and
fall back to a plain index (or to nothing, for an index type only PostgreSQL has) on the
other databases, so SQLite still migrates. Use them in a migration with `atomic = False`.
"""

from django.contrib.postgres.indexes import PostgresIndex
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.migrations.operations import AddIndex, RemoveIndex
from django.db.migrations.operations.base import Operation


def _postgres_only(index) -> bool:
    # GIN indexes and operator classes (text_pattern_ops, gin_trgm_ops) mean nothing to
    # SQLite; the state still records them so makemigrations stays clean everywhere.
    return isinstance(index, PostgresIndex) or any(
        type(expression).__name__ == "OpClass" for expression in index.expressions
    )


class AddIndexConcurrentlyWhereSupported(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL; a plain CREATE INDEX elsewhere, skipped for
    PostgreSQL-only index types."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        if _postgres_only(self.index):
            return None
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        if _postgres_only(self.index):
            return None
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrentlyWhereSupported(RemoveIndexConcurrently):
    """DROP INDEX CONCURRENTLY on PostgreSQL; a plain DROP INDEX elsewhere (nothing for a
    PostgreSQL-only index type, which was never built there)."""

    def _built_elsewhere(self, app_label, state) -> bool:
        index = state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        return not _postgres_only(index)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        if not self._built_elsewhere(app_label, from_state):
            return None
        return RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        if not self._built_elsewhere(app_label, to_state):
            return None
        return RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


# --- the planner's statistics ------------------------------------------------------------


def tables_analyze(*tables: type[models.Model], using: str = DEFAULT_DB_ALIAS) -> None:
    """ANALYZE the tables of these models on PostgreSQL (nothing elsewhere): the step after
    a bulk write. The planner's row estimates come from these statistics, and with them
    the plans and the lists' estimated counts; a table that has none is guessed at."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not tables:
        return
    with connection.cursor() as cursor:
        cursor.execute(_analyze_sql(connection, tables))


def _analyze_sql(connection, tables) -> str:
    names = (connection.ops.quote_name(model._meta.db_table) for model in tables)
    return "ANALYZE " + ", ".join(names)


class AnalyzeAfterFewChanges(Operation):
    """PostgreSQL only: autovacuum analyzes the model's table once `threshold` +
    `scale_factor` x its rows have changed (per-table storage parameters), and the table is
    analyzed once now; backwards the parameters are RESET to the server's. Nothing on other
    databases, and nothing in the model state.

    The server's defaults (50 rows + 10 %) suit big tables; a lookup table of a few dozen
    rows that rarely changes never reaches them, so it is never analyzed and the planner
    guesses, badly, how many products its rows match."""

    reversible = True

    def __init__(self, model_name: str, *, threshold: int, scale_factor: float):
        self.model_name = model_name
        self.threshold = int(threshold)
        self.scale_factor = float(scale_factor)

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(
            f"ALTER TABLE {table} SET (autovacuum_analyze_threshold = {self.threshold}, "
            f"autovacuum_analyze_scale_factor = {self.scale_factor!r})"
        )
        # Through the schema editor, so that sqlmigrate prints it rather than runs it.
        schema_editor.execute(_analyze_sql(schema_editor.connection, [model]))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        schema_editor.execute(
            f"ALTER TABLE {schema_editor.quote_name(model._meta.db_table)} RESET "
            "(autovacuum_analyze_threshold, autovacuum_analyze_scale_factor)"
        )

    def describe(self):
        return (
            f"Analyze {self.model_name} after {self.threshold} + {self.scale_factor:g} x rows "
            "changes (PostgreSQL)"
        )

    @property
    def migration_name_fragment(self):
        return f"{self.model_name.lower()}_analyze_often"
