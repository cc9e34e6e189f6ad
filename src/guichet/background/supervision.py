"""What a worker does beside running jobs: tell the others it is alive, enqueue due periodic jobs, and give
back to the queue the jobs of workers that died (killed, machine lost) — nothing else would ever finish them."""

import logging
import os
import socket
import threading

from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import conf, scheduler

logger = logging.getLogger("guichet.background")

WORKER_LOST_PATH = "guichet.background.supervision.WorkerLost"


class WorkerLost(Exception):
    """The workers running this job died too many times: it is failed for good (see `conf.max_lost_workers`)."""


def new_worker_id():
    """Readable and unique: host, process id and a random suffix (64 characters at most)."""
    host = socket.gethostname().split(".")[0][:32]
    return f"{host}-{os.getpid()}-{get_random_string(8)}"[:64]


def beat(worker_id, now=None):
    """Record that `worker_id` is alive."""
    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid(), "last_seen": now or timezone.now()},
    )


def forget(worker_id):
    """A worker that stops cleanly removes its heartbeat."""
    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def recover_lost_jobs(stale_after=None, now=None):
    """Put back to READY the RUNNING jobs whose worker is silent for longer than `stale_after`.

    A job's worker is the last id in its `worker_ids`; a worker with no heartbeat row at all counts as silent
    since the job started. A job that has lost `conf.max_lost_workers()` workers is failed for good instead (it
    may well be what kills them); an administrator can relaunch it. Returns the ids of the jobs put back.
    """
    from .models import WorkerHeartbeat

    now = now or timezone.now()
    cutoff = now - (stale_after or conf.stale_after())
    running = list(DBTaskResult.objects.running().only("id", "task_path", "worker_ids", "started_at"))
    if not running:
        return []
    owners = {row.worker_ids[-1] for row in running if row.worker_ids}
    last_seen = dict(WorkerHeartbeat.objects.filter(worker_id__in=owners).values_list("worker_id", "last_seen"))
    recovered = []
    for row in running:
        owner = row.worker_ids[-1] if row.worker_ids else ""
        seen = last_seen.get(owner) or row.started_at
        if seen is None or seen >= cutoff:
            continue
        claim = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at)
        if len(row.worker_ids) >= conf.max_lost_workers():
            message = (
                f"{WORKER_LOST_PATH}: les {len(row.worker_ids)} travailleurs qui ont exécuté ce travail "
                f"({', '.join(row.worker_ids)}) ont disparu en cours d'exécution ; il n'est plus relancé "
                "automatiquement.\n"
            )
            if claim.update(
                status=TaskResultStatus.FAILED, finished_at=now, exception_class_path=WORKER_LOST_PATH,
                traceback=message, return_value=None,
            ):
                logger.error(
                    "Travail %s (%s) en échec définitif : %d travailleurs ont disparu en l'exécutant.",
                    row.pk, row.task_path, len(row.worker_ids),
                )
            continue
        if claim.update(status=TaskResultStatus.READY):
            logger.warning(
                "Travail %s (%s) remis en file : son travailleur %s ne donne plus signe de vie depuis %s.",
                row.pk, row.task_path, owner or "inconnu", seen.isoformat(),
            )
            recovered.append(row.pk)
    return recovered


class Supervisor:
    """The worker's scheduler thread: every `interval` seconds, heartbeat, periodic jobs, recovery."""

    def __init__(self, worker_id, *, interval=None, stale_after=None, periodic=True):
        self.worker_id = worker_id
        self.interval = conf.heartbeat_interval() if interval is None else interval
        self.stale_after = stale_after or conf.stale_after()
        self.periodic = periodic
        self._stop = threading.Event()
        self._thread = None

    def tick(self):
        """One pass; a failing step is logged and tried again next time, the others still run."""
        steps = [("battement de cœur", lambda: beat(self.worker_id))]
        if self.periodic:
            steps.append(("travaux périodiques", lambda: scheduler.enqueue_due_jobs(worker_id=self.worker_id)))
        steps.append(("reprise des travaux perdus", lambda: recover_lost_jobs(self.stale_after)))
        for label, step in steps:
            try:
                step()
            except Exception:
                logger.exception("Travailleur %s : échec de l'étape « %s ».", self.worker_id, label)

    def start(self):
        """Beat once before any job is claimed (so recovery never mistakes this worker for a dead one), then
        keep ticking in a daemon thread."""
        beat(self.worker_id)
        self.tick()
        self._thread = threading.Thread(target=self._loop, name=f"guichet-scheduler-{self.worker_id}", daemon=True)
        self._thread.start()

    def _loop(self):
        try:
            while not self._stop.wait(self.interval):
                close_old_connections()  # dropped or expired connections, as between two requests
                self.tick()
        finally:
            connection.close()

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(10.0, 2 * self.interval))
        try:
            forget(self.worker_id)
        except Exception:
            logger.exception("Travailleur %s : battement de cœur non effacé.", self.worker_id)
