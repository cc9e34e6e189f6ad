"""A real SMTP server for the notification tests (aiosmtpd on 127.0.0.1), that can be stopped and started
again on the same port, records every message with its envelope, and refuses the addresses it is told to."""

import asyncio
import contextlib
import email
import email.policy
import socket
import sqlite3
import threading
import time

from aiosmtpd.controller import Controller
from django.db import connections


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Received:
    def __init__(self, envelope):
        self.mail_from = envelope.mail_from
        self.rcpt_tos = list(envelope.rcpt_tos)
        self.raw = envelope.original_content or envelope.content
        self.message = email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def message_id(self):
        return self.message["Message-ID"]

    def part(self, content_type):
        found = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        return found.get_content().replace("\r\n", "\n") if found is not None else None


class Handler:
    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        if address in self.server.refused:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if address in self.server.greylisted:
            return "450 4.2.0 <%s>: Recipient address rejected: Greylisted" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        with self.server.lock:
            self.server.messages.append(Received(envelope))
        return "250 Message accepted for delivery"


class SmtpServer:
    """`start()`, `stop()`, `start()` again on the same port; `messages` keeps everything received."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.messages = []
        self.refused = set()
        self.greylisted = set()
        self.delay = 0
        self.lock = threading.Lock()
        self.controller = None

    def start(self):
        for _try in range(50):
            try:
                self.controller = Controller(
                    Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=5,
                    data_size_limit=10 * 1024 * 1024,
                )
                self.controller.start()
                return self
            except (OSError, RuntimeError):  # the port is still being released
                time.sleep(0.1)
        raise RuntimeError(f"cannot start SMTP server on port {self.port}")

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def running(self):
        return self.controller is not None

    def use_in(self, settings, bounce_address=""):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        settings.GUICHET_BOUNCE_ADDRESS = bounce_address

    def message_ids(self):
        with self.lock:
            return [message.message_id for message in self.messages]


def run_jobs(max_tasks=None):
    """Run up to `max_tasks` ready jobs (all when None) with django-tasks-db's real worker; returns how many ran.

    For tests with real transactions (`transaction=True`): the worker's connection handling is left as is.
    """
    from django_tasks_db.management.commands import db_worker

    total = 0
    while True:
        worker = db_worker.Worker(
            queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
            max_tasks=None if max_tasks is None else max_tasks - total, worker_id="tests-notifications",
            excluded_queue_names=[],
        )
        worker.run()
        total += worker._run_tasks
        if worker._run_tasks == 0 or (max_tasks is not None and total >= max_tasks):
            return total


@contextlib.contextmanager
def database_for_threads(tmp_path):
    """Let other threads (or processes) use this test's database, for a `transaction=True` test.

    PostgreSQL: nothing to do. SQLite: the test database lives in memory, where threads trip over table locks,
    so it is copied to a file that this thread's connection and every new one use until the end.
    """
    connection = connections["default"]
    if connection.vendor != "sqlite":
        yield
        return
    path = tmp_path / "threads.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    original = connection
    original_name = connections.settings["default"]["NAME"]
    on_file = connection.__class__({**connection.settings_dict, "NAME": str(path)}, "default")
    connections["default"] = on_file
    connections.settings["default"]["NAME"] = str(path)
    try:
        yield
    finally:
        on_file.close()
        connections.settings["default"]["NAME"] = original_name
        connections["default"] = original
