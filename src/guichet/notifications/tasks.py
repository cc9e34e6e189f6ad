"""Periodic jobs of the notifications (the workers import every app's `tasks` module)."""

import datetime

from guichet.background.scheduler import periodic
from guichet.background.tasks import durable_task


@periodic(every=datetime.timedelta(minutes=5))
@durable_task
def requeue_stuck_deliveries():
    """Every five minutes: queue again the deliveries a dead worker left SENDING (or whose retry job was lost)."""
    from .services import requeue_stuck_deliveries as requeue

    return requeue()
