"""Periodic jobs of the contact centre (the workers import every app's `tasks` module)."""

import datetime

from guichet.background.scheduler import periodic
from guichet.background.tasks import durable_task


@periodic(every=datetime.timedelta(minutes=5))
@durable_task
def mark_missed_calls():
    """Every five minutes: the calls that rang without being taken are marked missed."""
    from .services import mark_missed

    return mark_missed()
