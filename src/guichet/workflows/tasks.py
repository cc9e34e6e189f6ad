"""Periodic jobs of the workflows (the workers import every app's `tasks` module)."""

import datetime

from guichet.background.scheduler import periodic
from guichet.background.tasks import durable_task


@periodic(every=datetime.timedelta(minutes=15))
@durable_task
def run_workflow_timers():
    """Every quarter of an hour: move the requests whose timer is due (delay elapsed, deadline passed)."""
    from .engine import run_timers

    return run_timers()


@periodic(daily_at=datetime.time(2, 30))
@durable_task
def anonymise_expired_requests():
    """Every night: erase the personal data of closed requests whose retention period is over."""
    from .services import anonymise_due

    return anonymise_due()
