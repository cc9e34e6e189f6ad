"""Background jobs of the outgoing webhooks (the workers import every app's `tasks` module)."""

import datetime

from guichet.background.scheduler import periodic
from guichet.background.tasks import durable_task


@durable_task
def deliver(delivery_id, generation):
    """One try of a webhook delivery; the next try (back-off) is queued by the delivery itself.

    The HTTP failures are recorded, not raised: durable_task's own retries only cover a crash of this code
    (database unavailable, another worker holding the delivery).
    """
    from .services import send

    return send(delivery_id, generation)


@periodic(daily_at=datetime.time(4, 10))
@durable_task
def purge_old_deliveries():
    """Every night: the finished deliveries older than GUICHET_WEBHOOK_KEEP_DAYS days are deleted."""
    from .services import purge_old_deliveries as purge

    return purge()
