"""The unaccent extension, for accent-insensitive full-text search on PostgreSQL.

Nothing on SQLite: its search fallback folds accents itself.
"""

from django.db import migrations


class UnaccentOnPostgres(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("debates", "0008_hide_reason_unpublished")]

    operations = [
        UnaccentOnPostgres(
            "CREATE EXTENSION IF NOT EXISTS unaccent", "DROP EXTENSION IF EXISTS unaccent"
        )
    ]
