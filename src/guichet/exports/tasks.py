"""Background jobs of exports: writing an export's file, and the nightly clean-up of old exports."""

import datetime

from guichet.background.scheduler import periodic
from guichet.background.tasks import durable_task

MAX_ATTEMPTS = 3


@durable_task(max_attempts=MAX_ATTEMPTS)
def write_export_job(export_id):
    """Write the file of an export (from scratch: a re-run after a dead worker rewrites it)."""
    from . import services

    try:
        return services.write_export(export_id)
    except Exception as error:
        # The page says the export failed; a later try (back-off) sets it running again.
        services.mark_failed(export_id, error.__class__.__name__)
        raise


@periodic(daily_at=datetime.time(4, 45))
@durable_task
def delete_old_exports():
    """Every night: delete the exports, and their files, older than 7 days."""
    from .services import delete_old_exports as delete

    return delete()
