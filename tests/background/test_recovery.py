"""A job whose worker died is handed to another worker; the nightly clean-up keeps the tables small."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet.background.models import ScheduledRun, WorkerHeartbeat
from guichet.background.services import JobState, clean_up, job_state, retry_job
from guichet.background.supervision import WORKER_LOST_PATH, Supervisor, beat, recover_lost_jobs
from guichet.background.testing import run_ready_jobs
from tests.background import jobs

STALE = datetime.timedelta(minutes=2)


def running(name, worker_ids, started_ago):
    """A job claimed by `worker_ids[-1]` `started_ago` ago, as the worker's claim leaves it."""
    result = jobs.record.enqueue(name)
    row = DBTaskResult.objects.get(pk=result.id)
    for worker_id in worker_ids:
        row.claim(worker_id)
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - started_ago)
    return row.pk


def heartbeat(worker_id, seen_ago):
    beat(worker_id, now=timezone.now() - seen_ago)


def status(pk):
    return DBTaskResult.objects.get(pk=pk).status


@pytest.mark.django_db
def test_jobs_of_silent_workers_go_back_to_the_queue_and_run(caplog):
    heartbeat("vivant", datetime.timedelta(seconds=3))
    heartbeat("mort", datetime.timedelta(minutes=10))
    long_job_of_a_live_worker = running("long", ["vivant"], started_ago=datetime.timedelta(hours=1))
    lost = running("perdu", ["mort"], started_ago=datetime.timedelta(minutes=11))
    no_heartbeat_old = running("ancien", ["db-worker-sans-battement"], started_ago=datetime.timedelta(minutes=5))
    no_heartbeat_new = running("récent", ["tout-juste-démarré"], started_ago=datetime.timedelta(seconds=10))
    waiting = jobs.record.enqueue("en attente").id

    with caplog.at_level("WARNING", logger="guichet.background"):
        recovered = recover_lost_jobs(STALE)

    assert set(recovered) == {lost, no_heartbeat_old}
    assert "remis en file" in caplog.text and "mort" in caplog.text
    assert status(long_job_of_a_live_worker) == "RUNNING"
    assert status(no_heartbeat_new) == "RUNNING"
    assert status(lost) == "READY" and status(no_heartbeat_old) == "READY"
    assert recover_lost_jobs(STALE) == []  # nothing twice
    assert run_ready_jobs() == 3
    assert status(lost) == "SUCCESSFUL"
    assert DBTaskResult.objects.get(pk=lost).worker_ids == ["mort", "tests-run-ready-jobs"]
    assert status(waiting) == "SUCCESSFUL"


@pytest.mark.django_db
def test_a_job_that_kills_its_workers_ends_failed_for_good(settings):
    settings.GUICHET_WORKER_MAX_LOST = 3
    twice = running("deux fois", ["a", "b"], started_ago=datetime.timedelta(minutes=5))
    thrice = running("trois fois", ["a", "b", "c"], started_ago=datetime.timedelta(minutes=5))
    assert recover_lost_jobs(STALE) == [twice]
    row = DBTaskResult.objects.get(pk=thrice)
    assert row.status == "FAILED" and row.exception_class_path == WORKER_LOST_PATH
    assert "ont disparu" in row.traceback
    assert job_state(row) == JobState.FAILED
    result = retry_job(thrice)  # an administrator may still relaunch it
    assert DBTaskResult.objects.get(pk=result.id).status == "READY"


@pytest.mark.django_db
def test_a_supervisor_tick_beats_enqueues_due_periodic_jobs_and_recovers():
    lost = running("perdu", ["mort"], started_ago=datetime.timedelta(minutes=11))
    supervisor = Supervisor("w-1", interval=1, stale_after=STALE)
    supervisor.tick()
    heartbeat_row = WorkerHeartbeat.objects.get(worker_id="w-1")
    assert timezone.now() - heartbeat_row.last_seen < datetime.timedelta(seconds=5)
    assert status(lost) == "READY"
    assert ScheduledRun.objects.filter(worker_id="w-1").exists()  # the nightly clean-up at least


@pytest.mark.django_db
def test_the_clean_up_deletes_old_rows_and_keeps_what_matters():
    now = timezone.now()
    old = now - datetime.timedelta(days=31)
    recent = now - datetime.timedelta(days=29)

    def finished(name, when, failing=False):
        if failing:
            jobs.BROKEN.add(name)
            result = jobs.fails_while_broken.enqueue(name)
        else:
            result = jobs.record.enqueue(name)
        run_ready_jobs()
        DBTaskResult.objects.filter(pk=result.id).update(finished_at=when)
        return result.id

    old_success = finished("vieux", old)
    recent_success = finished("récent", recent)
    old_retry_scheduled = finished("vieil essai", old, failing=True)
    failed_for_good = DBTaskResult.objects.create(
        task_path=jobs.record.module_path, args_kwargs={"args": ["x"], "kwargs": {}}, backend_name="default",
        run_after=old, status="FAILED", finished_at=old, exception_class_path="builtins.ValueError", traceback="",
    ).pk
    failed_for_good = str(failed_for_good)
    for days in (40, 35):
        ScheduledRun.objects.create(name="a", slot=now - datetime.timedelta(days=days))
    ScheduledRun.objects.create(name="b", slot=now - datetime.timedelta(days=45))  # b's latest: kept
    ScheduledRun.objects.create(name="a", slot=now - datetime.timedelta(days=1))
    beat("parti", now=now - datetime.timedelta(days=2))
    beat("là", now=now)

    assert clean_up() == {"jobs": 2, "scheduled_runs": 2, "heartbeats": 1}

    remaining = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert old_success not in remaining and old_retry_scheduled not in remaining
    assert {recent_success, failed_for_good} <= remaining
    assert sorted(ScheduledRun.objects.values_list("name", flat=True)) == ["a", "b"]
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["là"]


@pytest.mark.django_db
def test_the_clean_up_keeps_rows_for_the_configured_number_of_days(settings):
    settings.GUICHET_TASK_KEEP_DAYS = 2
    result = jobs.record.enqueue("trois jours")
    run_ready_jobs()
    DBTaskResult.objects.filter(pk=result.id).update(finished_at=timezone.now() - datetime.timedelta(days=3))
    assert clean_up()["jobs"] == 1
