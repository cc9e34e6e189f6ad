"""Indexes of the requests API's lists (keyset pagination on (date, id) of a collectivité's submitted requests).

They are on the requests' table (service_requests) but only the API reads in these orders, hence here, as SQL
that SQLite and PostgreSQL both understand (partial indexes on submitted requests)."""

from django.db import migrations

TABLE = "service_requests_servicerequest"
INDEXES = {
    # GET /requests (every service): newest submitted first.
    "api_request_org_submitted": "(organisation_id, submitted_at, id)",
    # GET /requests?order=updated_at&updated_since=…: synchronisation.
    "api_request_org_updated": "(organisation_id, updated_at, id)",
    # A client limited to some services, in the synchronisation order.
    "api_request_service_updated": "(organisation_id, service_id, updated_at, id)",
}


class Migration(migrations.Migration):
    dependencies = [("service_requests", "0004_alter_requestevent_kind")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} {columns} WHERE state = 'submitted'",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, columns in INDEXES.items()
    ]
