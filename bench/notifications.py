"""Benchmark: queue 10,000 e-mail notifications and time the real worker delivering them to a local SMTP server.

    .venv/bin/python bench/notifications.py                                  # SQLite (a temporary file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/guichet \\
        .venv/bin/python bench/notifications.py --workers 2                  # PostgreSQL (a temporary database)

It creates a collectivité and N citizens in a fresh database (SQLite: a temporary file; PostgreSQL: a
temporary database `guichet_bench_<pid>` on the server of DATABASE_URL, dropped at the end), queues the
notifications with `notify()` (as the application does, in transactions of `--batch` notifications), starts an
aiosmtpd server on 127.0.0.1 that counts what it receives, runs `manage.py worker` processes until every
delivery is SENT, and prints the time to queue, the time to deliver, the rate, and whether every message was
received exactly once (counted by Message-ID).
"""

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


class CountingHandler:
    def __init__(self):
        self.message_ids = Counter()
        self.lock = threading.Lock()
        self.first = None
        self.last = None

    async def handle_DATA(self, server, session, envelope):
        message_id = ""
        for line in envelope.content.split(b"\r\n"):
            if not line:
                break
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
                break
        now = time.monotonic()
        with self.lock:
            self.message_ids[message_id] += 1
            self.first = self.first or now
            self.last = now
        return "250 OK"

    @property
    def total(self):
        with self.lock:
            return sum(self.message_ids.values())


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(database_url, workdir):
    """(DATABASE_URL of a fresh database, clean-up function)."""
    if not database_url or database_url.startswith("sqlite"):
        path = workdir / "bench.sqlite3"
        return f"sqlite:///{path}", lambda: None
    import psycopg

    parsed = urllib.parse.urlparse(database_url)
    name = f"guichet_bench_{os.getpid()}"
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return parsed._replace(path=f"/{name}").geturl(), drop


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=10_000)
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, choices=[1, 2, 3, 4])
    parser.add_argument("--batch", type=int, default=500, help="notifications per transaction when queueing")
    parser.add_argument("--timeout", type=float, default=1800, help="give up after this many seconds of delivery")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    database_url, drop_database = prepare_database(os.environ.get("DATABASE_URL", ""), workdir)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GUICHET_VAR_DIR": str(workdir / "var"),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "GUICHET_BOUNCE_ADDRESS": "rebonds@guichet.example",
        "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "guichet.settings",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)
    workers = []
    controller = None
    try:
        import django

        django.setup()
        from aiosmtpd.controller import Controller
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection, transaction

        from guichet.accounts.models import User
        from guichet.notifications.models import Delivery
        from guichet.notifications.services import notify
        from guichet.organisations.models import Organisation

        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        print(f"Base : {engine} ({database_url.split('@')[-1]}), {options.workers} travailleur(s)")
        call_command("migrate", verbosity=0, interactive=False)

        organisation = Organisation.objects.create(
            slug="banc-d-essai", name="Banc d'essai", sender_email="mairie@banc.example"
        )
        started = time.monotonic()
        User.objects.bulk_create(
            [
                User(organisation=organisation, kind=User.Kind.CITIZEN, email=f"habitant{n:05}@example.org",
                     first_name="Camille", last_name=f"Habitant {n}", password="!", email_confirmed=True)
                for n in range(options.citizens)
            ],
            batch_size=1000,
        )
        print(f"{options.citizens} usagers créés en {time.monotonic() - started:.1f} s")
        citizens = list(User.objects.filter(organisation=organisation).order_by("pk"))

        started = time.monotonic()
        for start in range(0, options.notifications, options.batch):
            with transaction.atomic():
                for n in range(start, min(start + options.batch, options.notifications)):
                    notify(citizens[n % len(citizens)], "message.free",
                           {"objet": f"Votre dossier n° {n}", "message": "Votre dossier est complet."},
                           link=f"/compte/demarches/{n}/")
        queue_time = time.monotonic() - started
        print(f"{options.notifications} notifications mises en file en {queue_time:.1f} s "
              f"({options.notifications / queue_time:.0f}/s)")
        connection.close()

        handler = CountingHandler()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()

        started = time.monotonic()
        for number in range(options.workers):
            log = open(workdir / f"worker-{number}.log", "w")  # noqa: SIM115 — closed with the process
            workers.append(subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "worker", "--no-startup-delay", "--interval", "0.2",
                 "--verbosity", "0", "--worker-id", f"bench-{os.getpid()}-{number}"]
                + (["--no-periodic"] if number else []),
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            ))
        sent = 0
        while time.monotonic() - started < options.timeout:
            time.sleep(0.5)
            sent = Delivery.objects.filter(status=Delivery.Status.SENT).count()
            connection.close()
            if sent >= options.notifications:
                break
            if any(worker.poll() is not None for worker in workers):
                raise SystemExit(f"un travailleur s'est arrêté : voir {workdir}")
        deliver_time = time.monotonic() - started
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
        time.sleep(0.2)

        counts = handler.message_ids
        received = sum(counts.values())
        duplicates = sum(count - 1 for count in counts.values() if count > 1)
        not_sent = Delivery.objects.exclude(status=Delivery.Status.SENT).count()
        smtp_span = (handler.last - handler.first) if handler.first else 0
        print(f"{sent} envois SENT en {deliver_time:.1f} s avec {options.workers} travailleur(s) "
              f"(premier au dernier message reçu : {smtp_span:.1f} s)")
        print(f"Débit : {sent / deliver_time:.0f} messages/s")
        print(f"Reçus par le serveur SMTP : {received} messages, {len(counts)} Message-ID distincts, "
              f"{duplicates} en double, {not_sent} envois non partis")
        all_once = received == options.notifications == len(counts) and duplicates == 0 and not_sent == 0
        print("Tous reçus une fois et une seule : " + ("OUI" if all_once else "NON"))
        return 0 if all_once else 1
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        if controller is not None:
            controller.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001, S110
            pass
        drop_database()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    sys.exit(main())
