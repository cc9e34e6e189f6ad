"""The operators' admin shows failed-for-good jobs apart from tries that will be retried, and relaunches them."""

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from guichet.background.services import JobState, job_state
from guichet.background.testing import make_delayed_jobs_due, run_ready_jobs
from tests.background import jobs
from tests.conftest import client_for, make_citizen

CHANGELIST = "/admin/background/job/"


@pytest.fixture
def operator_client(operator):
    client = Client()  # the bare platform host
    client.force_login(operator)
    return client


def failed_for_good(key):
    jobs.BROKEN.add(key)
    jobs.fails_while_broken.enqueue(key)
    for _try in range(3):
        make_delayed_jobs_due()
        run_ready_jobs()
    jobs.BROKEN.discard(key)
    return DBTaskResult.objects.filter(task_path=jobs.fails_while_broken.module_path).order_by("-enqueued_at").first()


@pytest.mark.django_db
def test_the_job_list_tells_failed_for_good_from_retry_scheduled(operator_client):
    failed_for_good("sms")
    jobs.record.enqueue("en attente")
    page = operator_client.get(CHANGELIST)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Échec définitif" in text
    assert text.count("Échec, nouvel essai prévu") >= 2
    assert "En attente" in text

    only_failed = operator_client.get(CHANGELIST, {"etat": JobState.FAILED}).context["cl"].result_list
    assert [job_state(row) for row in only_failed] == [JobState.FAILED]
    retrying = operator_client.get(CHANGELIST, {"etat": JobState.RETRY_SCHEDULED}).context["cl"].result_list
    assert len(retrying) == 2

    detail = operator_client.get(f"{CHANGELIST}{only_failed[0].pk}/change/")
    assert detail.status_code == 200
    assert "tests.background.jobs.Flaky" in detail.content.decode()
    assert "sms en panne" in detail.content.decode()


@pytest.mark.django_db
def test_relancer_requeues_a_failed_for_good_job_with_the_same_arguments(operator_client):
    last = failed_for_good("courriel")
    earlier = DBTaskResult.objects.filter(exception_class_path="guichet.background.tasks.RetryScheduled").first()
    response = operator_client.post(
        CHANGELIST, {"action": "relaunch", "_selected_action": [str(last.pk), str(earlier.pk)]}, follow=True
    )
    text = response.content.decode()
    assert "1 travail relancé." in text
    assert "Non relancé" in text and "échec définitif" in text
    new = DBTaskResult.objects.get(status="READY")
    assert new.args_kwargs == {"args": ["courriel"], "kwargs": {}}
    last.refresh_from_db()
    assert job_state(last) == JobState.RETRIED
    assert new.pk == last.guichet_retry.retry_id
    assert "voir le nouveau travail" in operator_client.get(f"{CHANGELIST}{last.pk}/change/").content.decode()

    assert run_ready_jobs() == 1
    new.refresh_from_db()
    assert new.status == "SUCCESSFUL"

    again = operator_client.post(CHANGELIST, {"action": "relaunch", "_selected_action": [str(last.pk)]}, follow=True)
    assert "déjà été relancé" in again.content.decode()
    assert DBTaskResult.objects.filter(status="READY").count() == 0


@pytest.mark.django_db
def test_only_platform_operators_reach_the_jobs(organisation, operator):
    last = failed_for_good("refus")
    citizen = make_citizen(organisation)
    for client in (Client(), client_for(organisation, citizen)):
        response = client.post(CHANGELIST, {"action": "relaunch", "_selected_action": [str(last.pk)]})
        assert response.status_code in (302, 404)
    operator_on_org_host = client_for(organisation)
    operator_on_org_host.force_login(operator)
    assert operator_on_org_host.get(CHANGELIST).status_code == 404  # the admin lives on the platform host only
    assert not DBTaskResult.objects.filter(status="READY").exists()


@pytest.mark.django_db
def test_the_replaced_django_tasks_db_admin_is_gone_and_workers_are_listed(operator_client):
    assert operator_client.get("/admin/django_tasks_database/dbtaskresult/").status_code == 404
    from guichet.background.supervision import beat

    beat("travailleur-1")
    page = operator_client.get("/admin/background/workerheartbeat/")
    assert page.status_code == 200 and "travailleur-1" in page.content.decode()
    assert operator_client.get("/admin/background/scheduledrun/").status_code == 200
