"""Two agents handle the same message at the same time, or the processing job runs twice at once: one wins, the
other is refused and nothing is done twice (threads with real row locks on PostgreSQL)."""

import threading

import pytest
from django.db import connection

from guichet.mailroom.models import IncomingMail
from guichet.mailroom.services import HandlingRefused, create_request_from_mail, file_mail, process_mail
from guichet.service_requests.models import RequestEvent, ServiceRequest
from tests.conftest import make_agent
from tests.mailroom.test_core_qualify import FORM
from tests.service_requests.conftest import make_procedure
from tests.workflows.conftest import make_request, make_version


def run_at_once(*actions):
    """Run the actions in two threads released together (one after the other on SQLite) → their outcomes."""
    threaded = connection.vendor == "postgresql"  # SQLite's in-memory test database cannot wait on a lock
    barrier = threading.Barrier(len(actions))
    outcomes = {}

    def run(index):
        try:
            if threaded:
                barrier.wait(timeout=10)
            actions[index]()
            outcomes[index] = "ok"
        except HandlingRefused as refusal:
            outcomes[index] = refusal.message
        finally:
            if threaded:
                connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(actions))]
    for thread in threads:
        thread.start() if threaded else thread.run()
    if threaded:
        for thread in threads:
            thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_agents_qualifying_at_once_one_wins(organisation, service, make_mail):
    procedure = make_procedure(organisation, service, slug="signalement", form=FORM)
    agents = [make_agent(organisation, email=f"agent{n}@example.org", services=[service]) for n in (1, 2)]
    mail = make_mail(sender_email="x@example.net")
    process_mail(mail)
    mail.refresh_from_db()
    copies = [IncomingMail.objects.get(pk=mail.pk) for _ in agents]
    outcomes = run_at_once(
        lambda: create_request_from_mail(copies[0], agent=agents[0], version=procedure.current_version,
                                         lock_version=copies[0].lock_version),
        lambda: file_mail(copies[1], agent=agents[1], note="Classé.", lock_version=copies[1].lock_version),
    )
    assert len(outcomes) == 2 and list(outcomes.values()).count("ok") == 1, outcomes
    mail.refresh_from_db()
    if outcomes[0] == "ok":
        assert mail.state == IncomingMail.State.QUALIFIED and ServiceRequest.objects.count() == 1
    else:
        assert mail.state == IncomingMail.State.FILED and not ServiceRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_processing_job_running_twice_at_once_adds_one_message(organisation, service, citizen, make_mail):
    target = make_request(make_version(organisation, service), citizen)
    mail = make_mail(subject=f"Dossier {target.tracking_code}")
    copies = [IncomingMail.objects.get(pk=mail.pk) for _ in range(2)]
    outcomes = run_at_once(lambda: process_mail(copies[0]), lambda: process_mail(copies[1]))
    assert outcomes == {0: "ok", 1: "ok"}
    assert RequestEvent.objects.filter(request=target, kind=RequestEvent.Kind.MESSAGE_CITIZEN).count() == 1
    assert IncomingMail.objects.get(pk=mail.pk).state == IncomingMail.State.ATTACHED
