"""Two agents decide the same reopening request at the same moment, a citizen double-clicks « Envoyer mon avis »:
one decision, one rating, nobody's action half-recorded.

On PostgreSQL the threads really race on the request's row lock (select_for_update); SQLite's in-memory test
database cannot make a connection wait on another's lock, so there they run one after the other."""

import threading

import pytest
from django.db import connection

from guichet.agents.models import Membership
from guichet.notifications.models import Notification
from guichet.satisfaction import services
from guichet.satisfaction.models import Rating, ReopenRequest
from guichet.service_requests.models import RequestEvent, ServiceRequest
from tests.conftest import client_for, make_agent
from tests.documents.builders import make_request, make_version

from .conftest import WORKFLOW, accept_url, close, rate_url, refuse_url


def race(actions):
    """Run the callables together (threads on PostgreSQL) → their results, in order; errors are raised."""
    threaded = connection.vendor == "postgresql"
    barrier = threading.Barrier(len(actions))
    results, errors = [None] * len(actions), []

    def run(index, action):
        try:
            if threaded:
                barrier.wait(timeout=10)
            results[index] = action()
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            if threaded:
                connection.close()

    threads = [threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)]
    for thread in threads:
        thread.start() if threaded else thread.run()
    for thread in threads:
        if threaded:
            thread.join(timeout=60)
    assert errors == []
    return results


@pytest.fixture
def closed(organisation, service, citizen):
    agent = make_agent(organisation, email="agent.voirie@example.org", services=[service])
    agent.is_verified = lambda: True
    version = make_version(organisation, service, slug="nid-de-poule", workflow=WORKFLOW)
    return close(make_request(version, citizen=citizen), agent)


@pytest.mark.django_db(transaction=True)
def test_two_agents_deciding_at_once_decide_once(organisation, service, citizen, closed):
    services.ask_reopen(closed, citizen, "Le trou est revenu.")
    reopen = ReopenRequest.objects.get()
    first = make_agent(organisation, email="premier@example.org", services=[service])
    second = make_agent(organisation, email="second@example.org", services=[service], role=Membership.Role.MANAGER)
    prefix = f"reouverture-{reopen.pk}"
    statuses = race([
        lambda: client_for(organisation, first).post(accept_url(reopen), {f"{prefix}-accepter-status": "recue"}),
        lambda: client_for(organisation, second).post(refuse_url(reopen), {f"{prefix}-refuser-reason": "Non."}),
    ])
    assert [response.status_code for response in statuses] == [302, 302]
    reopen.refresh_from_db()
    assert reopen.state in ("accepted", "refused")
    kinds = set(RequestEvent.objects.filter(request=closed).values_list("kind", flat=True))
    assert ("reopened" in kinds) != ("reopen_refused" in kinds)  # exactly one decision recorded
    assert Notification.objects.filter(recipient=citizen, key="request.reopen_decision").count() == 1
    closed.refresh_from_db()
    assert (closed.closed_at is None) == (reopen.state == "accepted")


@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_the_rating_rates_once(organisation, citizen, closed):
    def post():
        return client_for(organisation, citizen).post(rate_url(closed), {"avis-score": "4"}).status_code

    assert race([post, post]) == [302, 302]
    assert Rating.objects.count() == 1
    assert RequestEvent.objects.filter(request=closed, kind="rated").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_reopen_asks_once(organisation, citizen, closed):
    def post():
        return client_for(organisation, citizen).post(
            f"/demandes/{closed.tracking_code}/reouverture/", {"reouverture-reason": "Toujours là"}).status_code

    assert race([post, post]) == [302, 302]
    assert ReopenRequest.objects.count() == 1
    assert ServiceRequest.objects.get(pk=closed.pk).events.filter(kind="reopen_requested").count() == 1
