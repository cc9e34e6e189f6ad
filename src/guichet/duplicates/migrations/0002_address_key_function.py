"""The SQL function `guichet_address_key` on PostgreSQL (SQLite registers it on each connection)."""

from django.db import migrations

from guichet.duplicates.addresses import FUNCTION_NAME, postgresql_function_sql


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(postgresql_function_sql())


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION_NAME}(text)")


class Migration(migrations.Migration):
    dependencies = [("duplicates", "0001_initial")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
