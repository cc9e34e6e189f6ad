"""`manage.py worker`: django-tasks-db's worker loop, plus a scheduler thread (heartbeat, periodic jobs,
recovery of the jobs of dead workers). Start as many as needed, on any host, against the same database."""

import datetime
import logging
import os
import signal
from argparse import ArgumentTypeError

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from guichet.background import conf
from guichet.background.supervision import Supervisor, new_worker_id

logger = logging.getLogger("guichet.background")

HANDLED_SIGNALS = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else [])


def positive_seconds(value):
    seconds = db_worker.valid_interval(value)
    if seconds <= 0:
        raise ArgumentTypeError("Must be greater than zero")
    return seconds


class Command(db_worker.Command):
    help = (
        "Exécute les travaux en arrière-plan (file en base de données) et, dans le même processus, planifie les "
        "travaux périodiques, signale que ce travailleur est vivant et remet en file les travaux des "
        "travailleurs disparus. SIGTERM ou Ctrl-C : arrêt propre après le travail en cours."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*", worker_id=new_worker_id(), reload=False)
        parser.add_argument(
            "--heartbeat-interval",
            type=positive_seconds,
            default=None,
            help="Seconds between two passes of the scheduler thread (default: GUICHET_WORKER_HEARTBEAT_SECONDS).",
        )
        parser.add_argument(
            "--stale-after",
            type=positive_seconds,
            default=None,
            help="A worker silent this many seconds is taken for dead and its running jobs are queued again "
            "(default: GUICHET_WORKER_STALE_SECONDS).",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_false",
            dest="periodic",
            help="Do not enqueue periodic jobs from this worker (other workers still do).",
        )

    def configure_logging(self, verbosity):
        super().configure_logging(verbosity)
        level = {0: logging.CRITICAL, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        logger.setLevel(level)
        if not logger.handlers:
            logger.addHandler(logging.StreamHandler(self.stdout))
        logger.propagate = False

    def handle(
        self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay, reload, max_tasks, worker_id,
        exclude_queues, heartbeat_interval, stale_after, periodic, **options,
    ):
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning("--reload et --batch ne vont pas ensemble : rechargement désactivé.")
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues ne s'emploie qu'avec --queue-name='*'.")

        worker = db_worker.Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        supervisor = Supervisor(
            worker_id,
            interval=heartbeat_interval or conf.heartbeat_interval(),
            stale_after=datetime.timedelta(seconds=stale_after) if stale_after else conf.stale_after(),
            periodic=periodic,
        )

        def run():
            logger.info(
                "Travailleur %s démarré (pid %d, files %s, passage du planificateur toutes les %ss).",
                worker_id, os.getpid(), queue_name, supervisor.interval,
            )
            supervisor.start()
            try:
                worker.run()
            finally:
                supervisor.stop()
                logger.info("Travailleur %s arrêté.", worker_id)

        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(run)
            return

        previous = {signum: signal.getsignal(signum) for signum in HANDLED_SIGNALS}
        worker.configure_signals()
        try:
            run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
