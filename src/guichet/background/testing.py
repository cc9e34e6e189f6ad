"""Helpers for tests (and scripts): run the queued jobs now, in this process, with the real worker.

    from guichet.background.testing import run_ready_jobs, make_delayed_jobs_due

    notify(...)                 # enqueues a delivery job
    assert run_ready_jobs() == 1
    make_delayed_jobs_due()     # jump over the back-off of retries scheduled for later
    run_ready_jobs()
"""

import contextlib
from unittest import mock

from django.db import connection
from django.utils import timezone
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult, get_date_max

TEST_WORKER_ID = "tests-run-ready-jobs"


@contextlib.contextmanager
def _keep_connection_in_transaction():
    """The worker calls close_old_connections() between jobs, which would throw away a test's transaction
    (pytest-django's `db` fixture); inside a transaction the connection is kept as it is."""
    if connection.in_atomic_block:
        with mock.patch.object(db_worker, "close_old_connections", lambda: None):
            yield
    else:
        yield


def run_ready_jobs(queue_names=("*",), backend_name=DEFAULT_TASK_BACKEND_ALIAS):
    """Run, one after the other, every READY job whose `run_after` has passed — including the ones those jobs
    enqueue — with django-tasks-db's Worker in batch mode; returns how many ran (failed ones included).

    Retries scheduled for later (back-off) are not run: call `make_delayed_jobs_due()` first to run them.
    """
    total = 0
    with _keep_connection_in_transaction():
        while True:
            worker = db_worker.Worker(
                queue_names=list(queue_names),
                interval=0,
                batch=True,
                backend_name=backend_name,
                startup_delay=False,
                max_tasks=None,
                worker_id=TEST_WORKER_ID,
                excluded_queue_names=[],
            )
            worker.run()
            total += worker._run_tasks
            ready = DBTaskResult.objects.ready().filter(backend_name=backend_name)
            if "*" not in queue_names:
                ready = ready.filter(queue_name__in=queue_names)
            if worker._run_tasks == 0 or not ready.exists():
                return total


def make_delayed_jobs_due(now=None):
    """Bring every READY job scheduled for later (a retry's back-off, a deferred job) forward to `now`;
    returns how many."""
    now = now or timezone.now()
    return (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__gt=now)
        .exclude(run_after=get_date_max())
        .update(run_after=now)
    )
