"""durable_task(max_attempts=<function of the job's arguments>): the number of tries per job, the default when the
function answers nothing usable or fails (the job's own error is kept)."""

import pytest
from django_tasks_db.models import DBTaskResult

from guichet.background.tasks import durable_task
from guichet.background.testing import make_delayed_jobs_due, run_ready_jobs

CALLS = {}


class Down(Exception):
    pass


def tries_for(key, limit):
    if limit == "boom":
        raise RuntimeError("la fonction elle-même échoue")
    return limit


@durable_task(max_attempts=tries_for)
def always_fails(key, limit):
    CALLS[key] = CALLS.get(key, 0) + 1
    raise Down(f"{key} en panne")


@durable_task(max_attempts=2)
def fails_with_a_number(key):
    CALLS[key] = CALLS.get(key, 0) + 1
    raise Down(key)


def run_all():
    for _round in range(12):
        make_delayed_jobs_due()
        run_ready_jobs()


@pytest.mark.django_db
@pytest.mark.parametrize("limit, expected", [(1, 1), (4, 4), (None, "default"), (0, "default"), ("3", "default"),
                                             (True, "default"), ("boom", "default")])
def test_the_function_decides_the_number_of_tries(settings, limit, expected):
    settings.GUICHET_TASK_MAX_ATTEMPTS = 3
    key = f"cle-{limit}"
    always_fails.enqueue(key, limit)
    run_all()
    assert CALLS[key] == (3 if expected == "default" else expected)
    last = DBTaskResult.objects.filter(task_path=always_fails.module_path).order_by("-enqueued_at").first()
    assert last.status == "FAILED"
    assert "Down" in str(last.exception_class_path) or "Down" in str(last.traceback)  # the job's own error


@pytest.mark.django_db
def test_a_number_still_works(settings):
    settings.GUICHET_TASK_MAX_ATTEMPTS = 5
    fails_with_a_number.enqueue("nombre")
    run_all()
    assert CALLS["nombre"] == 2
