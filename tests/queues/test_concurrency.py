"""Two agents assign or reprioritise the same request at the same moment: no action is ever silently lost —
from the same page (same lock version) one wins and the other is told; from bulk actions (no lock version) both
are recorded one after the other. Real threads and row locks on PostgreSQL; run in turn on SQLite."""

import threading

import pytest
from django.db import connection

from guichet.queues import services
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.workflows.engine import RequestChanged

from .conftest import days, new_request


def verified(*users):
    """As the OTP middleware makes them for a signed-in agent who passed the second factor."""
    for user in users:
        user.is_verified = lambda: True


def run_together(actions):
    """Run the callables at the same moment (threads on PostgreSQL) → {name: "ok" or the French refusal}."""
    threaded = connection.vendor == "postgresql"  # SQLite's in-memory test database cannot wait on a lock
    barrier = threading.Barrier(len(actions))
    outcomes = {}

    def run(name, action):
        try:
            if threaded:
                barrier.wait(timeout=10)
            action()
            outcomes[name] = "ok"
        except (RequestChanged, services.QueueActionRefused) as error:
            outcomes[name] = error.message
        finally:
            if threaded:
                connection.close()

    threads = [threading.Thread(target=run, args=(name, action)) for name, action in actions.items()]
    for thread in threads:
        if threaded:
            thread.start()
        else:
            thread.run()
    for thread in threads:
        if threaded:
            thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_agents_on_the_same_page_one_wins_the_other_is_told(organisation, agent, colleague, version, citizen):
    service_request = new_request(version, citizen, deadline=days(3))
    seen = service_request.lock_version  # both pages show this version
    copies = [ServiceRequest.objects.get(pk=service_request.pk) for _ in range(2)]
    outcomes = run_together({
        "assign": lambda: services.assign(copies[0], agent, agent, lock_version=seen),
        "priority": lambda: services.change_priority(copies[1], colleague, 4, lock_version=seen),
    })
    assert sorted(outcomes) == ["assign", "priority"]
    winners = [name for name, outcome in outcomes.items() if outcome == "ok"]
    assert len(winners) == 1
    loser = "priority" if winners == ["assign"] else "assign"
    assert "La demande a changé entre-temps" in outcomes[loser]
    service_request.refresh_from_db()
    assert service_request.lock_version == seen + 1
    assigned = RequestEvent.objects.filter(request=service_request, kind=RequestEvent.Kind.ASSIGNED).count()
    prioritised = RequestEvent.objects.filter(request=service_request, kind=RequestEvent.Kind.PRIORITY_CHANGED).count()
    if winners == ["assign"]:
        assert (service_request.assigned_to_id, service_request.priority, assigned, prioritised) == (agent.pk, 2, 1, 0)
    else:
        assert (service_request.assigned_to_id, service_request.priority, assigned, prioritised) == (None, 4, 0, 1)


@pytest.mark.django_db(transaction=True)
def test_two_bulk_actions_at_once_are_both_recorded(organisation, agent, colleague, version, citizen):
    service_request = new_request(version, citizen, deadline=days(3))
    verified(agent, colleague)
    outcomes = run_together({
        "assign": lambda: services.bulk_assign(agent, organisation, [service_request.pk], colleague),
        "priority": lambda: services.change_priority(ServiceRequest.objects.get(pk=service_request.pk), colleague, 3),
    })
    assert outcomes == {"assign": "ok", "priority": "ok"}
    service_request.refresh_from_db()
    assert (service_request.assigned_to_id, service_request.priority) == (colleague.pk, 3)
    assert service_request.lock_version == 3  # started (1), then each change
    kinds = list(RequestEvent.objects.filter(request=service_request).exclude(
        kind__in=[RequestEvent.Kind.STATUS_CHANGED, RequestEvent.Kind.NOTIFICATION]).values_list("kind", flat=True))
    assert sorted(kinds) == ["assigned", "priority_changed"]


@pytest.mark.django_db(transaction=True)
def test_two_agents_assigning_at_once_from_bulk_one_is_told_it_is_done(organisation, agent, colleague, version,
                                                                       citizen):
    service_request = new_request(version, citizen, deadline=days(3))
    verified(agent, colleague)
    results = {}

    def bulk(name, user):
        results[name] = services.bulk_assign(user, organisation, [service_request.pk], colleague)

    outcomes = run_together({"un": lambda: bulk("un", agent), "deux": lambda: bulk("deux", colleague)})
    assert outcomes == {"un": "ok", "deux": "ok"}
    done = sorted(len(result.done) for result in results.values())
    assert done == [0, 1]  # the second found it already given to the colleague and said so
    skipped = [result.skipped for result in results.values() if result.skipped][0]
    assert "déjà attribuée à Claude Collègue" in skipped[0][1]
    assert RequestEvent.objects.filter(request=service_request, kind=RequestEvent.Kind.ASSIGNED).count() == 1
