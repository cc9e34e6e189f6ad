"""Jobs are enqueued in the caller's transaction, retried with back-off, and end failed for good after the
last try; an administrator's relaunch brings them back."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet.background.services import (
    RETRY_SCHEDULED_PATH,
    JobNotRetryable,
    JobState,
    attempt_of,
    filter_by_state,
    job_state,
    retry_job,
)
from guichet.background.tasks import RetryScheduled, backoff_delay
from guichet.background.testing import make_delayed_jobs_due, run_ready_jobs
from tests.background import jobs


def rows(task):
    return list(DBTaskResult.objects.filter(task_path=task.module_path).order_by("enqueued_at"))


def assert_close(moment, expected, tolerance=datetime.timedelta(seconds=5)):
    assert abs(moment - expected) < tolerance, (moment, expected)


class Boom(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_queues_nothing():
    with pytest.raises(Boom), transaction.atomic():
        Group.objects.create(name="demande")
        jobs.record.enqueue("après la demande")
        raise Boom
    assert not Group.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert run_ready_jobs() == 0


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_has_its_job_queued_and_run():
    with transaction.atomic():
        Group.objects.create(name="demande")
        result = jobs.record.enqueue("après la demande")
        # Not visible to others until the commit, but part of the transaction.
        assert DBTaskResult.objects.filter(pk=result.id).exists()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "READY"
    assert run_ready_jobs() == 1
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    assert row.return_value == "après la demande"
    assert Group.objects.filter(name="après la demande").exists()


@pytest.mark.django_db(transaction=True)
def test_a_job_rolled_back_inside_a_committed_outer_transaction_is_not_queued():
    with transaction.atomic():
        Group.objects.create(name="gardé")
        with pytest.raises(Boom), transaction.atomic():
            jobs.record.enqueue("annulé")
            raise Boom
    assert Group.objects.filter(name="gardé").exists()
    assert not DBTaskResult.objects.exists()


def test_backoff_delay_follows_the_settings_and_repeats_the_last_value(settings):
    settings.GUICHET_TASK_BACKOFF_SECONDS = [30, 120, 600]
    assert [backoff_delay(attempt).total_seconds() for attempt in (1, 2, 3, 4, 9)] == [30, 120, 600, 600, 600]


@pytest.mark.django_db
def test_a_job_failing_twice_is_retried_with_back_off_then_succeeds():
    jobs.fails_then_succeeds.enqueue("lettre", 2)

    assert run_ready_jobs() == 1
    first, second = rows(jobs.fails_then_succeeds)
    assert first.status == "FAILED" and first.exception_class_path == RETRY_SCHEDULED_PATH
    assert "essai 1/3" in first.traceback and "panne n°1" in first.traceback
    assert job_state(first) == JobState.RETRY_SCHEDULED
    assert second.status == "READY" and attempt_of(second) == 2
    assert second.args_kwargs["args"] == ["lettre", 2]
    assert_close(second.run_after, first.finished_at + datetime.timedelta(seconds=10))

    assert run_ready_jobs() == 0  # the back-off is not over
    assert make_delayed_jobs_due() == 1
    assert run_ready_jobs() == 1
    _first, second, third = rows(jobs.fails_then_succeeds)
    assert second.exception_class_path == RETRY_SCHEDULED_PATH
    assert attempt_of(third) == 3
    assert_close(third.run_after, second.finished_at + datetime.timedelta(seconds=60))

    make_delayed_jobs_due()
    assert run_ready_jobs() == 1
    *_earlier, third = rows(jobs.fails_then_succeeds)
    assert third.status == "SUCCESSFUL" and third.return_value == 3
    assert job_state(third) == JobState.SUCCEEDED
    assert jobs.CALLS["lettre"] == 3
    assert run_ready_jobs() == 0


def run_until_failed_for_good(key, extra=None):
    jobs.BROKEN.add(key)
    jobs.fails_while_broken.enqueue(key, extra=extra)
    for _try in range(3):
        make_delayed_jobs_due()
        assert run_ready_jobs() == 1
    make_delayed_jobs_due()
    assert run_ready_jobs() == 0
    return rows(jobs.fails_while_broken)[-1]


@pytest.mark.django_db
def test_a_job_that_always_fails_ends_failed_for_good_and_an_administrator_relaunches_it():
    last = run_until_failed_for_good("sms", extra={"n": 1})
    assert jobs.CALLS["sms"] == 3
    states = [job_state(row) for row in rows(jobs.fails_while_broken)]
    assert states == [JobState.RETRY_SCHEDULED, JobState.RETRY_SCHEDULED, JobState.FAILED]
    assert last.status == "FAILED" and attempt_of(last) == 3
    assert last.exception_class_path == "tests.background.jobs.Flaky"  # the job's own error, not RetryScheduled
    assert not DBTaskResult.objects.ready().exists()
    assert list(filter_by_state(DBTaskResult.objects.all(), JobState.FAILED)) == [last]

    jobs.BROKEN.clear()
    result = retry_job(last.pk)
    relaunched = DBTaskResult.objects.get(pk=result.id)
    assert relaunched.status == "READY"
    assert relaunched.args_kwargs == {"args": ["sms"], "kwargs": {"extra": {"n": 1}}}  # counter back to 1
    assert attempt_of(relaunched) == 1
    last.refresh_from_db()
    assert last.status == "FAILED" and job_state(last) == JobState.RETRIED
    assert last.guichet_retry.retry_id == relaunched.pk

    assert run_ready_jobs() == 1
    relaunched.refresh_from_db()
    assert relaunched.status == "SUCCESSFUL"
    assert relaunched.return_value == {"key": "sms", "extra": {"n": 1}}


@pytest.mark.django_db
def test_a_relaunched_job_that_fails_again_gets_all_its_tries_again():
    last = run_until_failed_for_good("courrier")
    retry_job(last.pk)
    for _try in range(3):
        make_delayed_jobs_due()
        assert run_ready_jobs() == 1
    assert jobs.CALLS["courrier"] == 6
    assert job_state(rows(jobs.fails_while_broken)[-1]) == JobState.FAILED


@pytest.mark.django_db
def test_only_a_job_failed_for_good_is_relaunched_and_only_once():
    last = run_until_failed_for_good("mail")
    earlier = rows(jobs.fails_while_broken)[0]
    with pytest.raises(JobNotRetryable, match="échec définitif"):
        retry_job(earlier.pk)  # its next try was scheduled already
    retry_job(last.pk)
    with pytest.raises(JobNotRetryable, match="déjà été relancé"):
        retry_job(last.pk)
    waiting = rows(jobs.fails_while_broken)[-1]
    with pytest.raises(JobNotRetryable, match="En attente"):
        retry_job(waiting.pk)
    jobs.BROKEN.clear()
    run_ready_jobs()
    waiting.refresh_from_db()
    with pytest.raises(JobNotRetryable, match="Réussi"):
        retry_job(waiting.pk)
    with pytest.raises(JobNotRetryable, match="n'existe pas"):
        retry_job("00000000-0000-0000-0000-000000000000")
    assert DBTaskResult.objects.count() == 4


@pytest.mark.django_db
def test_a_job_whose_code_is_gone_is_not_relaunched():
    last = run_until_failed_for_good("disparu")
    DBTaskResult.objects.filter(pk=last.pk).update(task_path="tests.background.jobs.removed_long_ago")
    with pytest.raises(JobNotRetryable, match="n'existe plus"):
        retry_job(last.pk)
    assert DBTaskResult.objects.count() == 3


@pytest.mark.django_db
def test_run_ready_jobs_also_runs_the_jobs_that_jobs_enqueue_and_leaves_deferred_ones():
    later = jobs.record.using(run_after=timezone.now() + datetime.timedelta(hours=1)).enqueue("plus tard")
    jobs.chain.enqueue("un")
    jobs.fails_then_succeeds.enqueue("deux", 1)  # its retry is deferred by the back-off
    assert run_ready_jobs() == 3
    assert Group.objects.filter(name="un").exists()
    assert DBTaskResult.objects.get(pk=later.id).status == "READY"
    assert make_delayed_jobs_due() == 2
    assert run_ready_jobs() == 2
    assert not DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists()


def test_retry_scheduled_is_the_path_the_admin_recognises():
    assert f"{RetryScheduled.__module__}.{RetryScheduled.__qualname__}" == RETRY_SCHEDULED_PATH
