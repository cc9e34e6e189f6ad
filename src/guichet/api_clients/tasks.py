"""Periodic jobs of the API clients (the workers import every app's `tasks` module)."""

import datetime

from guichet.background.scheduler import periodic
from guichet.background.tasks import durable_task


@periodic(every=datetime.timedelta(hours=1))
@durable_task
def clean_up_rate_windows():
    """Every hour: the per-minute call counts older than an hour are deleted."""
    from .services import clean_up_rate_windows as clean_up

    return clean_up()
