"""Two agents close the same request at the same time, each with their written answer: one wins, the other is told
the request changed and their answer is neither recorded nor sent (threads with real row locks on PostgreSQL)."""

import threading

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from guichet.answers.services import press_with_answer
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.workflows import engine
from tests.conftest import make_agent
from tests.workflows.conftest import make_request


@pytest.mark.django_db(transaction=True)
def test_two_agents_closing_at_once_send_one_answer(organisation, service, citizen, version):
    agents = [make_agent(organisation, email=f"agent{n}@example.org", services=[service]) for n in (1, 2)]
    service_request = make_request(version, citizen)
    engine.start(service_request, None)
    copies = [ServiceRequest.objects.get(pk=service_request.pk) for _ in agents]
    threaded = connection.vendor == "postgresql"  # SQLite's in-memory test database cannot wait on a lock
    barrier = threading.Barrier(2)
    outcomes = {}

    def close(index):
        try:
            if threaded:
                barrier.wait(timeout=10)
            press_with_answer(copies[index], "accepter", agents[index], answer=f"Réponse de l'agent {index}")
            outcomes[index] = "ok"
        except engine.RequestChanged as error:
            outcomes[index] = error.message
        finally:
            if threaded:
                connection.close()

    threads = [threading.Thread(target=close, args=(index,)) for index in (0, 1)]
    for thread in threads:
        if threaded:
            thread.start()
        else:
            thread.run()
    if threaded:
        for thread in threads:
            thread.join(timeout=30)
    winners = [index for index, outcome in outcomes.items() if outcome == "ok"]
    assert len(outcomes) == 2 and len(winners) == 1, outcomes
    service_request.refresh_from_db()
    assert service_request.status == "acceptee" and service_request.lock_version == 2
    answers = RequestEvent.objects.filter(request=service_request, kind=RequestEvent.Kind.ANSWER)
    assert [answer.text for answer in answers] == [f"Réponse de l'agent {winners[0]}"]
    deliveries = DBTaskResult.objects.filter(task_path="guichet.notifications.services.deliver")
    assert deliveries.count() == 1  # the loser's answer was not queued either
