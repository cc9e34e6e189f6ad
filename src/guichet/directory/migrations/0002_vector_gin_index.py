"""PostgreSQL only: the GIN index the directory's search reads, on (organisation_id, vector), so that one index
scan keeps both the collectivité and the words (btree_gin gives GIN its operator class for the integer column).
SQLite searches the folded texts with LIKE and needs nothing here."""

from django.db import migrations

INDEX = "directory_entry_org_vector_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON directory_directoryentry USING gin (organisation_id, vector)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
