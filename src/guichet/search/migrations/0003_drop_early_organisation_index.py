"""Databases migrated with the first version of 0001 (before its organisation column lost its own B-tree index,
which the GIN index makes useless and which tempts the planner into reading a whole collectivité) drop it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("search", "0002_postgresql_gin_index")]

    operations = [
        migrations.RunSQL("DROP INDEX IF EXISTS search_requestsearch_organisation_id_a763ae0d", migrations.RunSQL.noop),
    ]
