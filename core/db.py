"""Migration operations for big tables that must stay usable while they migrate.

`CREATE INDEX` locks a table against writes for as long as the build takes (minutes on a
million rows); PostgreSQL's `CREATE INDEX CONCURRENTLY` does not, but it cannot run in a
transaction and exists nowhere else. These operations build concurrently on PostgreSQL and
fall back to a plain index (or to nothing, for an index type only PostgreSQL has) on the
other databases, so SQLite still migrates. Use them in a migration with `atomic = False`.
"""

from django.contrib.postgres.indexes import PostgresIndex
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex, RemoveIndex


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
