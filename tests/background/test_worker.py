"""`manage.py worker`: the real command, in batch mode in this process, and as separate processes — one of
them killed in the middle of a job."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from guichet.background.models import ScheduledRun, WorkerHeartbeat
from guichet.background.tasks import clean_up_background_rows
from tests.background import jobs

MANAGE = Path(settings.PROJECT_DIR) / "manage.py"


@pytest.mark.django_db(transaction=True)
def test_batch_mode_enqueues_due_periodic_jobs_runs_everything_ready_and_exits(capsys):
    jobs.record.enqueue("lot")
    previous = signal.getsignal(signal.SIGTERM)
    call_command("worker", "--batch", "--no-startup-delay", "--worker-id", "lot-1", "--skip-checks")
    assert Group.objects.filter(name="lot").exists()
    assert DBTaskResult.objects.get(task_path=clean_up_background_rows.module_path).status == "SUCCESSFUL"
    assert ScheduledRun.objects.get(name=clean_up_background_rows.module_path).worker_id == "lot-1"
    assert not WorkerHeartbeat.objects.exists()  # a worker that stops cleanly leaves no heartbeat behind
    assert signal.getsignal(signal.SIGTERM) is previous
    assert "Travailleur lot-1 arrêté" in capsys.readouterr().out


class WorkerProcess:
    def __init__(self, env, log_path, **extra_env):
        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, str(MANAGE), "worker", "--interval", "0.1", "--no-startup-delay", "--skip-checks",
             "-v", "2"],
            cwd=settings.PROJECT_DIR, env={**env, **extra_env}, stdout=self.log, stderr=subprocess.STDOUT,
        )

    @property
    def output(self):
        return Path(self.log_path).read_text()

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.log.close()


def wait_for(condition, what, timeout=30, workers=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    logs = "\n".join(worker.output for worker in workers)
    raise AssertionError(f"{what}: pas au bout de {timeout} s\n{logs}")


def status_of(result_id):
    return DBTaskResult.objects.filter(pk=result_id).values_list("status", flat=True).first()


def test_real_workers_run_jobs_and_a_killed_workers_job_is_done_once_by_another(worker_env, tmp_path):
    first = WorkerProcess(worker_env, tmp_path / "first.log", GUICHET_TEST_JOB_SLEEP="60")
    second = None
    try:
        wait_for(lambda: WorkerHeartbeat.objects.exists(), "le premier travailleur démarre", workers=[first])
        first_id = WorkerHeartbeat.objects.get().worker_id

        quick = jobs.record.enqueue("rapide").id
        wait_for(lambda: status_of(quick) == "SUCCESSFUL", "le travail rapide est fait", workers=[first])
        assert Group.objects.filter(name="rapide").count() == 1

        slow = jobs.slow_record.enqueue("lent").id
        wait_for(lambda: status_of(slow) == "RUNNING", "le travail lent commence", workers=[first])
        first.stop(signal.SIGKILL)  # killed mid-job: its row stays RUNNING
        assert status_of(slow) == "RUNNING"

        second = WorkerProcess(worker_env, tmp_path / "second.log", GUICHET_TEST_JOB_SLEEP="0.2")
        wait_for(lambda: status_of(slow) == "SUCCESSFUL", "le travail lent est repris et fait", workers=[second])
        assert Group.objects.filter(name="lent").count() == 1
        row = DBTaskResult.objects.get(pk=slow)
        assert row.worker_ids[0] == first_id and len(row.worker_ids) == 2
        assert DBTaskResult.objects.filter(task_path=jobs.slow_record.module_path).count() == 1
        assert "remis en file" in second.output and first_id in second.output

        second_id = row.worker_ids[1]
        assert second.stop(signal.SIGTERM) == 0  # graceful stop
        assert not WorkerHeartbeat.objects.filter(worker_id=second_id).exists()
        assert "arrêté" in second.output
    finally:
        for worker in (first, second):
            if worker is not None and worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()
