"""Two agents press a button on the same request at the same time: one wins, the other is told the request
changed, and no event is lost or doubled (runs on PostgreSQL with real row locks, and on SQLite)."""

import threading

import pytest
from django.db import connection

from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.workflows import engine
from tests.conftest import make_agent

from .conftest import give_answer, make_request, make_version


@pytest.mark.django_db(transaction=True)
def test_two_agents_pressing_at_once(organisation, service, citizen):
    first = make_agent(organisation, email="un@example.org", services=[service])
    second = make_agent(organisation, email="deux@example.org", services=[service])
    version = make_version(organisation, service)
    request = make_request(version, citizen)
    engine.start(request, None)
    give_answer(request)  # the final status « acceptee » needs a written answer
    copies = [ServiceRequest.objects.get(pk=request.pk) for _ in range(2)]  # both pages show lock_version 1
    barrier = threading.Barrier(2)
    outcomes = {}

    threaded = connection.vendor == "postgresql"  # SQLite's in-memory test database cannot wait on a lock

    def press(name, user, copy, button, data):
        try:
            if threaded:
                barrier.wait(timeout=10)
            engine.press(copy, button, user, form_data=data)
            outcomes[name] = "ok"
        except engine.RequestChanged as error:
            outcomes[name] = error.message
        finally:
            if threaded:
                connection.close()

    threads = [
        threading.Thread(target=press, args=("un", first, copies[0], "accepter", {})),
        threading.Thread(target=press, args=("deux", second, copies[1], "noter", {"note": "Vu"})),
    ]
    if threaded:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    else:
        for thread in threads:
            thread.run()
    assert sorted(outcomes) == ["deux", "un"]
    winners = [name for name, outcome in outcomes.items() if outcome == "ok"]
    assert len(winners) == 1
    loser = "deux" if winners == ["un"] else "un"
    assert "La demande a changé" in outcomes[loser]
    request.refresh_from_db()
    assert request.lock_version == 2
    notes = RequestEvent.objects.filter(request=request, kind="note")
    if winners == ["un"]:
        assert request.status == "acceptee"
        assert [n.text for n in notes] == ["Dossier complet"]
    else:
        assert request.status == "recue"
        assert [n.text for n in notes] == ["Vu"]
    # The refused agent tries again on the fresh request: it works (or is not offered any more).
    fresh = ServiceRequest.objects.get(pk=request.pk)
    if winners == ["deux"]:
        engine.press(fresh, "accepter", first)
        fresh.refresh_from_db()
        assert fresh.status == "acceptee"
    else:
        assert engine.available_buttons(fresh, second) == []
