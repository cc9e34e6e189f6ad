"""Periodic jobs: every slot is enqueued once, however many schedulers tick at the same moment."""

import datetime
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from guichet.background import scheduler
from guichet.background.models import ScheduledRun
from guichet.background.scheduler import PeriodicJob, PeriodicRegistry
from guichet.background.tasks import clean_up_background_rows
from guichet.background.testing import run_ready_jobs
from tests.background import jobs

UTC = datetime.UTC
PARIS = ZoneInfo("Europe/Paris")


def at(*args, tz=UTC):
    return datetime.datetime(*args, tzinfo=tz)


def queued(task):
    return DBTaskResult.objects.filter(task_path=task.module_path).count()


@pytest.fixture
def registry():
    registry = PeriodicRegistry()
    registry.periodic(every=datetime.timedelta(minutes=15))(jobs.tick)
    registry.periodic(daily_at=datetime.time(3, 0))(jobs.tock)
    return registry


def test_every_slots_are_aligned_on_the_period():
    job = PeriodicJob(jobs.tick, every=datetime.timedelta(minutes=15))
    assert job.slot(at(2026, 1, 5, 10, 14, 59)) == at(2026, 1, 5, 10, 0)
    assert job.slot(at(2026, 1, 5, 10, 15)) == at(2026, 1, 5, 10, 15)
    assert job.slot(at(2026, 1, 5, 10, 29, tz=PARIS)) == at(2026, 1, 5, 9, 15)


def test_daily_slots_are_in_paris_time_through_daylight_saving_changes():
    job = PeriodicJob(jobs.tock, daily_at=datetime.time(3, 0))
    # Winter (UTC+1): 03:00 in Paris is 02:00 UTC; before it, the slot is yesterday's.
    assert job.slot(at(2026, 1, 15, 2, 30)) == at(2026, 1, 15, 2, 0)
    assert job.slot(at(2026, 1, 15, 1, 59)) == at(2026, 1, 14, 2, 0)
    # Summer (UTC+2): 03:00 in Paris is 01:00 UTC.
    assert job.slot(at(2026, 7, 15, 1, 0)) == at(2026, 7, 15, 1, 0)
    # The night clocks go forward (29 March 2026): yesterday's slot was at 02:00 UTC, today's at 01:00 UTC.
    assert job.slot(at(2026, 3, 29, 0, 59)) == at(2026, 3, 28, 2, 0)
    assert job.slot(at(2026, 3, 29, 1, 0)) == at(2026, 3, 29, 1, 0)


def test_periodic_refuses_what_it_cannot_schedule():
    registry = PeriodicRegistry()
    with pytest.raises(TypeError):
        registry.periodic()
    with pytest.raises(TypeError):
        registry.periodic(every=datetime.timedelta(hours=1), daily_at=datetime.time(3, 0))
    with pytest.raises(ValueError):
        registry.periodic(every=datetime.timedelta(milliseconds=10))
    with pytest.raises(TypeError, match="durable_task"):
        registry.periodic(every=datetime.timedelta(hours=1))(lambda: None)
    assert registry.jobs == {}


@pytest.mark.django_db
def test_each_slot_is_enqueued_once(registry):
    now = at(2026, 1, 15, 10, 2)
    assert {result.task.name for result in registry.enqueue_due_jobs(now=now)} == {"tick", "tock"}
    assert registry.enqueue_due_jobs(now=now) == []
    assert registry.enqueue_due_jobs(now=at(2026, 1, 15, 10, 14)) == []  # same slots
    assert run_ready_jobs() == 2
    assert [r.task.name for r in registry.enqueue_due_jobs(now=at(2026, 1, 15, 10, 15))] == ["tick"]
    assert queued(jobs.tick) == 2 and queued(jobs.tock) == 1
    run = ScheduledRun.objects.get(name=jobs.tock.module_path)
    assert run.slot == at(2026, 1, 15, 2, 0)
    assert DBTaskResult.objects.get(pk=run.result_id).task_path == jobs.tock.module_path
    assert run_ready_jobs() == 1


@pytest.mark.django_db
def test_a_slot_waits_while_the_previous_run_is_still_queued(registry):
    registry.enqueue_due_jobs(now=at(2026, 1, 15, 10, 0))
    # Workers busy elsewhere: the 10:00 run has not started, the next slots do not pile up behind it.
    assert registry.enqueue_due_jobs(now=at(2026, 1, 15, 10, 15)) == []
    assert registry.enqueue_due_jobs(now=at(2026, 1, 15, 10, 30)) == []
    assert run_ready_jobs() == 2
    assert [r.task.name for r in registry.enqueue_due_jobs(now=at(2026, 1, 15, 10, 31))] == ["tick"]
    assert list(ScheduledRun.objects.filter(name=jobs.tick.module_path).values_list("slot", flat=True)) == [
        at(2026, 1, 15, 10, 30), at(2026, 1, 15, 10, 0),
    ]


@pytest.mark.django_db
def test_a_platform_down_for_days_runs_a_missed_daily_job_once(registry):
    registry.enqueue_due_jobs(now=at(2026, 1, 10, 12, 0))
    run_ready_jobs()
    registry.enqueue_due_jobs(now=at(2026, 1, 14, 12, 0))
    assert queued(jobs.tock) == 2
    assert list(ScheduledRun.objects.filter(name=jobs.tock.module_path).values_list("slot", flat=True)) == [
        at(2026, 1, 14, 2, 0), at(2026, 1, 10, 2, 0),
    ]


@pytest.mark.django_db
def test_a_slot_claimed_by_another_worker_is_left_alone(registry):
    slot = at(2026, 1, 15, 10, 0)
    job = registry.jobs[jobs.tick.module_path]
    assert registry.claim(job, slot, worker_id="premier") is not None
    # A second scheduler that checked before the first one committed: the unique row refuses it.
    assert registry.claim(job, slot, worker_id="second") is None
    assert queued(jobs.tick) == 1
    assert ScheduledRun.objects.get().worker_id == "premier"


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_ticking_at_the_same_moment_enqueue_each_slot_once(registry):
    now = at(2026, 1, 15, 10, 2)
    start = threading.Barrier(4)
    errors, enqueued = [], []

    def scheduler_thread(worker_id):
        try:
            start.wait()
            for _tick in range(10):
                enqueued.extend(registry.enqueue_due_jobs(now=now, worker_id=worker_id))
                time.sleep(0.01)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler_thread, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(result.task.name for result in enqueued) == ["tick", "tock"]
    assert queued(jobs.tick) == 1 and queued(jobs.tock) == 1
    assert ScheduledRun.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_two_claims_race_on_the_unique_row(registry):
    """The IntegrityError path with two real connections: the second claim of a slot finds it taken."""
    slot = at(2026, 1, 15, 10, 0)
    job = registry.jobs[jobs.tick.module_path]
    results = []

    def claim(worker_id):
        try:
            results.append(registry.claim(job, slot, worker_id=worker_id))
        finally:
            connection.close()

    for worker_id in ("a", "b"):
        thread = threading.Thread(target=claim, args=(worker_id,))
        thread.start()
        thread.join()
    assert [result is not None for result in results] == [True, False]
    assert queued(jobs.tick) == 1


@pytest.mark.django_db
def test_the_platform_schedules_its_nightly_clean_up():
    job = scheduler.registry.jobs[clean_up_background_rows.module_path]
    assert job.daily_at == datetime.time(3, 30)
    path = clean_up_background_rows.module_path
    enqueued = scheduler.enqueue_due_jobs(now=at(2026, 1, 15, 12, 0))
    assert path in {result.task.module_path for result in enqueued}
    DBTaskResult.objects.exclude(task_path=path).delete()  # other apps' periodic jobs are theirs to test
    assert run_ready_jobs() == 1
    assert DBTaskResult.objects.get(task_path=path).return_value == {"jobs": 0, "scheduled_runs": 0, "heartbeats": 0}
    assert path not in {result.task.module_path for result in scheduler.enqueue_due_jobs(now=at(2026, 1, 15, 23, 0))}
    assert path in {result.task.module_path for result in scheduler.enqueue_due_jobs(now=at(2026, 1, 16, 2, 30))}
    assert DBTaskResult.objects.filter(task_path=path).count() == 2
