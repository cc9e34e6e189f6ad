"""Durable background jobs: Django's Tasks API (django-tasks) on the database queue (django-tasks-db).

`task.enqueue(...)` inserts the job's row with the caller's database connection, so it belongs to the
caller's transaction: a rolled-back change enqueues nothing, a committed one always has its job. A job that
raises is tried again later (back-off); after its last try its row stays FAILED and can be retried from the
operators' admin.
"""

import datetime
from functools import wraps

from django.conf import settings
from django.utils import timezone
from django_tasks import DEFAULT_TASK_QUEUE_NAME, task

from guichet.background.scheduler import periodic


class RetryScheduled(Exception):
    """This try failed and another one is scheduled: the row of this try is FAILED, the job is not."""


def backoff_delay(attempt):
    """Wait before try `attempt + 1`: the settings' list, the last value repeated."""
    delays = settings.GUICHET_TASK_BACKOFF_SECONDS
    return datetime.timedelta(seconds=delays[min(attempt, len(delays)) - 1])


def _limit(max_attempts, args, kwargs):
    """The number of tries of a job: `max_attempts`, or its value for the job's arguments when it is a function
    (e.g. a connector's own number), else the platform's default. A function that fails or answers something
    that is not a positive number gives the default: it must never hide the job's own error."""
    value = max_attempts
    if callable(max_attempts):
        try:
            value = max_attempts(*args, **kwargs)
        except Exception:  # noqa: BLE001
            value = None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return settings.GUICHET_TASK_MAX_ATTEMPTS
    return value


def durable_task(function=None, *, max_attempts=None, queue_name=DEFAULT_TASK_QUEUE_NAME, priority=0):
    """Declare a background job that is retried with back-off when it raises.

    Jobs must be idempotent: a worker killed in the middle of one has it run again. `max_attempts`: a number,
    or a function of the job's arguments returning one (None: the platform's default).
    """

    def decorator(func):
        @wraps(func)
        def run(*args, _attempt=1, **kwargs):
            try:
                return func(*args, **kwargs)
            except Exception as error:
                limit = _limit(max_attempts, args, kwargs)
                if _attempt >= limit:
                    raise
                job.using(run_after=timezone.now() + backoff_delay(_attempt)).enqueue(
                    *args, _attempt=_attempt + 1, **kwargs
                )
                raise RetryScheduled(f"essai {_attempt}/{limit} échoué : {error!r}") from error

        job = task(priority=priority, queue_name=queue_name)(run)
        return job

    return decorator(function) if function is not None else decorator


# The platform's own periodic job (the workers import every app's `tasks` module).
@periodic(daily_at=datetime.time(3, 30))
@durable_task
def clean_up_background_rows():
    """Every night: delete old successful jobs, old periodic slots and dead workers' heartbeats."""
    from guichet.background.services import clean_up

    return clean_up()
