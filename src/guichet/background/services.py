"""Operators' view of the jobs: their state, the relaunch of a job failed for good, and the clean-up."""

import datetime

from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django_tasks.base import Task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import conf
from .models import JobRetry, ScheduledRun, WorkerHeartbeat

RETRY_SCHEDULED_PATH = "guichet.background.tasks.RetryScheduled"
ATTEMPT_KWARG = "_attempt"


class JobState(models.TextChoices):
    WAITING = "waiting", _("En attente")
    RUNNING = "running", _("En cours")
    SUCCEEDED = "succeeded", _("Réussi")
    RETRY_SCHEDULED = "retry_scheduled", _("Échec, nouvel essai prévu")
    FAILED = "failed", _("Échec définitif")
    RETRIED = "retried", _("Échec définitif, relancé")


def _has_retry(row):
    try:
        return row.guichet_retry is not None
    except JobRetry.DoesNotExist:
        return False


def job_state(row):
    """Where a job row stands, telling a try that will be retried from a job failed for good."""
    if row.status == TaskResultStatus.READY:
        return JobState.WAITING
    if row.status == TaskResultStatus.RUNNING:
        return JobState.RUNNING
    if row.status == TaskResultStatus.SUCCESSFUL:
        return JobState.SUCCEEDED
    if row.exception_class_path == RETRY_SCHEDULED_PATH:
        return JobState.RETRY_SCHEDULED
    return JobState.RETRIED if _has_retry(row) else JobState.FAILED


def filter_by_state(queryset, state):
    """The rows of `queryset` in `state` (a JobState value)."""
    failed = queryset.filter(status=TaskResultStatus.FAILED)
    return {
        JobState.WAITING: lambda: queryset.filter(status=TaskResultStatus.READY),
        JobState.RUNNING: lambda: queryset.filter(status=TaskResultStatus.RUNNING),
        JobState.SUCCEEDED: lambda: queryset.filter(status=TaskResultStatus.SUCCESSFUL),
        JobState.RETRY_SCHEDULED: lambda: failed.filter(exception_class_path=RETRY_SCHEDULED_PATH),
        JobState.FAILED: lambda: failed.exclude(exception_class_path=RETRY_SCHEDULED_PATH).filter(
            guichet_retry__isnull=True
        ),
        JobState.RETRIED: lambda: failed.filter(guichet_retry__isnull=False),
    }[JobState(state)]()


def attempt_of(row):
    """The try number of a `durable_task` job row (1 for the first try and for other jobs)."""
    kwargs = (row.args_kwargs or {}).get("kwargs") or {}
    return kwargs.get(ATTEMPT_KWARG, 1)


class JobNotRetryable(Exception):
    pass


def retry_job(result_id, *, user=None):
    """Enqueue again a job failed for good, with the same arguments and its try counter back to 1.

    The failed row stays as it is (its error is history) and points to the new one; a job is relaunched once.
    Returns the new task result. Raises JobNotRetryable (with a French message) for any other job.
    """
    with transaction.atomic():
        row = DBTaskResult.objects.select_for_update().filter(pk=result_id).first()
        if row is None:
            raise JobNotRetryable(_("Ce travail n'existe pas (ou plus)."))
        state = job_state(row)
        if state == JobState.RETRIED:
            raise JobNotRetryable(_("Ce travail a déjà été relancé."))
        if state != JobState.FAILED:
            raise JobNotRetryable(
                _("Seul un travail en échec définitif peut être relancé (celui-ci est : %(state)s).")
                % {"state": state.label}
            )
        try:
            task = import_string(row.task_path)
        except ImportError as error:
            raise JobNotRetryable(_("Ce travail n'existe plus dans le code (%(path)s).") % {"path": row.task_path}) from error
        if not isinstance(task, Task):
            raise JobNotRetryable(_("%(path)s n'est pas un travail.") % {"path": row.task_path})
        args = row.args_kwargs.get("args", [])
        kwargs = {key: value for key, value in row.args_kwargs.get("kwargs", {}).items() if key != ATTEMPT_KWARG}
        result = task.using(priority=row.priority, queue_name=row.queue_name, backend=row.backend_name).enqueue(
            *args, **kwargs
        )
        JobRetry.objects.create(failed=row, retry_id=result.id, retried_by=user)
    return result


def clean_up(now=None, keep_days=None):
    """Delete the rows nobody needs any more; returns how many of each kind.

    - successful jobs, and the failed tries that were followed by another try, finished more than `keep_days`
      ago (jobs failed for good stay until an administrator deals with them);
    - periodic slots older than that, except the latest of each periodic job (which tells its next slot);
    - heartbeats of workers silent for a day (stopped or dead; their jobs were recovered long ago).
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=conf.keep_days() if keep_days is None else keep_days)
    finished = DBTaskResult.objects.filter(finished_at__lt=cutoff)
    _total, jobs = (
        finished.filter(status=TaskResultStatus.SUCCESSFUL)
        | finished.filter(status=TaskResultStatus.FAILED, exception_class_path=RETRY_SCHEDULED_PATH)
    ).delete()
    latest = ScheduledRun.objects.filter(name=models.OuterRef("name")).order_by("-slot").values("pk")[:1]
    runs, _detail = ScheduledRun.objects.filter(slot__lt=cutoff).exclude(pk=models.Subquery(latest)).delete()
    heartbeats, _detail = WorkerHeartbeat.objects.filter(last_seen__lt=now - datetime.timedelta(days=1)).delete()
    return {
        "jobs": jobs.get(DBTaskResult._meta.label, 0),
        "scheduled_runs": runs,
        "heartbeats": heartbeats,
    }
