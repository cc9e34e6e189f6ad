"""Periodic jobs of the queues (the workers import every app's `tasks` module)."""

import datetime

from guichet.background.scheduler import periodic
from guichet.background.tasks import durable_task


@periodic(daily_at=datetime.time(7, 0))
@durable_task
def send_overdue_digests():
    """Every morning at 7: tell each service manager how many of the service's open requests are overdue."""
    from .services import send_overdue_digests as send

    return send()
