"""Periodic jobs, scheduled by the platform itself.

    @periodic(daily_at=datetime.time(3, 30))      # every day at 03:30, Paris time
    @durable_task
    def clean_up(): ...

    @periodic(every=datetime.timedelta(minutes=15))
    @durable_task
    def check_deadlines(): ...

Put periodic jobs in a `tasks.py` module of an installed app: the workers import those modules. A periodic job
takes no arguments. Each worker's scheduler thread calls `enqueue_due_jobs()` every few seconds; every due slot
is claimed once across all workers by a unique `ScheduledRun(name, slot)` row created in the same transaction
as the job, so a slot runs once however many workers there are. Only the latest due slot is enqueued: a
platform stopped for three days runs a daily job once when it comes back, not three times; and a slot waits
while the job's previous run is still queued or running (no pile-up behind a backlog, never two at once).
"""

import dataclasses
import datetime
import logging
from zoneinfo import ZoneInfo

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks.base import Task
from django_tasks_db.utils import is_locked_database_exception

logger = logging.getLogger("guichet.background")

PARIS = ZoneInfo("Europe/Paris")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclasses.dataclass(frozen=True)
class PeriodicJob:
    task: Task
    every: datetime.timedelta | None = None
    daily_at: datetime.time | None = None

    @property
    def name(self):
        return self.task.module_path

    def slot(self, now):
        """The latest slot due at `now` (an aware datetime, returned in UTC)."""
        if self.every is not None:
            return EPOCH + ((now - EPOCH) // self.every) * self.every
        today = now.astimezone(PARIS).date()
        slot = datetime.datetime.combine(today, self.daily_at, tzinfo=PARIS)
        if slot > now:
            slot = datetime.datetime.combine(today - datetime.timedelta(days=1), self.daily_at, tzinfo=PARIS)
        return slot.astimezone(datetime.UTC)

    def __str__(self):
        if self.every is not None:
            return f"{self.name} (toutes les {self.every})"
        return f"{self.name} (chaque jour à {self.daily_at:%H:%M}, heure de Paris)"


class PeriodicRegistry:
    def __init__(self):
        self.jobs = {}

    def periodic(self, *, every=None, daily_at=None):
        """Decorator: run this task on a schedule (`every=timedelta` or `daily_at=time`, Paris local time)."""
        if (every is None) == (daily_at is None):
            raise TypeError("periodic() prend every=timedelta(...) ou daily_at=time(...), l'un des deux.")
        if every is not None and every < datetime.timedelta(seconds=1):
            raise ValueError("periodic(every=...) doit valoir au moins une seconde.")
        if daily_at is not None and daily_at.tzinfo is not None:
            raise ValueError("periodic(daily_at=...) est une heure locale de Paris, sans fuseau.")

        def decorator(task):
            if not isinstance(task, Task):
                raise TypeError("@periodic décore un travail : placez-le au-dessus de @durable_task.")
            self.jobs[task.module_path] = PeriodicJob(task, every=every, daily_at=daily_at)
            return task

        return decorator

    def claim(self, job, slot, worker_id=""):
        """Enqueue `job` for `slot` unless a worker already did; returns the task result, or None."""
        from .models import ScheduledRun

        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(name=job.name, slot=slot, worker_id=worker_id)
                result = job.task.enqueue()
                run.result_id = result.id
                run.save(update_fields=["result_id"])
        except IntegrityError:
            return None  # another worker claimed this slot first
        except OperationalError as error:
            if not is_locked_database_exception(error):
                raise
            logger.info("Base occupée : %s sera mis en file au prochain passage.", job.name)
            return None
        logger.info("Travail périodique %s mis en file pour l'échéance %s.", job.name, slot.isoformat())
        return result

    @staticmethod
    def _still_pending(job):
        """Whether the job's previous run is still waiting or running: slots do not pile up behind a backlog,
        and a periodic job never runs twice at once."""
        from django_tasks_db.compat import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        from .models import ScheduledRun

        previous = ScheduledRun.objects.filter(name=job.name).order_by("-slot").values_list("result_id", flat=True)
        previous_id = previous.first()
        return previous_id is not None and DBTaskResult.objects.filter(
            pk=previous_id, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        ).exists()

    def enqueue_due_jobs(self, now=None, worker_id=""):
        """Enqueue every registered job whose latest slot nobody has claimed yet; returns their results."""
        from .models import ScheduledRun

        now = now or timezone.now()
        enqueued = []
        for job in list(self.jobs.values()):
            slot = job.slot(now)
            try:
                if ScheduledRun.objects.filter(name=job.name, slot=slot).exists() or self._still_pending(job):
                    continue
            except OperationalError as error:
                if not is_locked_database_exception(error):
                    raise
                continue  # the next pass will see
            result = self.claim(job, slot, worker_id=worker_id)
            if result is not None:
                enqueued.append(result)
        return enqueued


registry = PeriodicRegistry()
periodic = registry.periodic


def discover():
    """Import every installed app's `tasks` module, where periodic jobs are declared."""
    autodiscover_modules("tasks")


def enqueue_due_jobs(now=None, worker_id=""):
    """The platform's periodic jobs that are due and not yet claimed, enqueued once each."""
    discover()
    return registry.enqueue_due_jobs(now=now, worker_id=worker_id)
