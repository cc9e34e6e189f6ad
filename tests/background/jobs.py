"""Jobs used by the background tests (the worker subprocess imports them by their path)."""

import os
import time

from django.contrib.auth.models import Group

from guichet.background.tasks import durable_task

# How many times each key's job was called in this process (in-process runs only).
CALLS = {}
# Keys whose job must keep failing.
BROKEN = set()


class Flaky(Exception):
    pass


@durable_task
def record(name):
    """Writes one row."""
    Group.objects.create(name=name)
    return name


@durable_task
def slow_record(name):
    """Sleeps GUICHET_TEST_JOB_SLEEP seconds (set in the worker's environment), then writes one row."""
    time.sleep(float(os.environ.get("GUICHET_TEST_JOB_SLEEP", "0")))
    Group.objects.create(name=name)
    return name


@durable_task
def fails_then_succeeds(key, failures):
    """Raises on its first `failures` calls for `key`, then succeeds."""
    CALLS[key] = CALLS.get(key, 0) + 1
    if CALLS[key] <= failures:
        raise Flaky(f"panne n°{CALLS[key]}")
    return CALLS[key]


@durable_task
def fails_while_broken(key, extra=None):
    """Raises as long as `key` is in BROKEN."""
    CALLS[key] = CALLS.get(key, 0) + 1
    if key in BROKEN:
        raise Flaky(f"{key} en panne")
    return {"key": key, "extra": extra}


@durable_task
def tick():
    """A periodic job for the scheduler tests."""
    return "tic"


@durable_task
def tock():
    return "tac"


@durable_task
def chain(name):
    """Enqueues another job, as a notification job enqueues its deliveries."""
    record.enqueue(name)
