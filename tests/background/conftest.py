"""Fixtures of the background tests: quick retries, an operator, and a database a worker subprocess can share."""

import os
import sqlite3
import urllib.parse

import pytest
from django.db import connections

from guichet.accounts.models import User
from tests.background import jobs
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    settings.GUICHET_TASK_MAX_ATTEMPTS = 3
    settings.GUICHET_TASK_BACKOFF_SECONDS = [10, 60]
    jobs.CALLS.clear()
    jobs.BROKEN.clear()


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("operateur@guichet.example", PASSWORD)


@pytest.fixture
def worker_env(transactional_db, tmp_path):
    """Environment for `manage.py worker` subprocesses that share this test's database.

    PostgreSQL: the subprocess connects to pytest-django's test database (`test_...`). SQLite: the test
    database lives in memory, out of another process's reach, so it is copied (schema included) to a file and
    this test's connection is pointed at that file for the test's duration.
    """
    connection = connections["default"]
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "GUICHET_WORKER_HEARTBEAT_SECONDS": "0.2",
        "GUICHET_WORKER_STALE_SECONDS": "1.5",
        "GUICHET_TEST_JOB_SLEEP": "0",
    }
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        quote = urllib.parse.quote
        env["DATABASE_URL"] = (
            f"postgres://{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}@{db['HOST'] or 'localhost'}:"
            f"{db['PORT'] or 5432}/{quote(db['NAME'])}"
        )
        yield env
        return
    path = tmp_path / "worker.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    env["DATABASE_URL"] = f"sqlite:///{path}"
    on_file = connection.__class__({**connection.settings_dict, "NAME": str(path)}, "default")
    connections["default"] = on_file
    try:
        yield env
    finally:
        on_file.close()
        connections["default"] = connection
