"""Closed requests to rate and reopen: a workflow with two non-final statuses (one internal) and two final ones."""

import html

import pytest
from django.urls import reverse

from guichet.service_requests.messaging import post_agent_message
from guichet.service_requests.services import FOLLOW_SESSION_KEY
from guichet.workflows import engine
from tests.documents.builders import make_request, make_version

WORKFLOW = {
    "initial": "recue",
    "statuses": [
        {"id": "recue", "label": "Reçue", "colour": "#1f4e8c", "visible": True, "final": False, "on_enter": [],
         "buttons": [{"id": "accepter", "label": "Accepter", "roles": ["agent", "manager"],
                      "actions": [{"type": "goto", "status": "acceptee"}]}], "timers": []},
        {"id": "instruction", "label": "Contrôle interne", "colour": "#5a3d8a", "visible": False, "final": False,
         "on_enter": [], "buttons": [], "timers": []},
        {"id": "acceptee", "label": "Acceptée", "colour": "#1d6b33", "visible": True, "final": True, "on_enter": [],
         "buttons": [], "timers": []},
        {"id": "refusee", "label": "Refusée", "colour": "#8a1c1c", "visible": True, "final": True, "on_enter": [],
         "buttons": [], "timers": []},
    ],
}


@pytest.fixture
def version(organisation, service):
    return make_version(organisation, service, slug="nid-de-poule", title="Signaler un nid-de-poule",
                        workflow=WORKFLOW)


def close(service_request, agent, status="acceptee", answer="Le trou est rebouché."):
    """The written answer, then a final status (what the answers' rule asks for)."""
    post_agent_message(service_request, agent, answer, answer=True)
    engine.enter_status(service_request, status, agent, reason="Traitement terminé")
    service_request.refresh_from_db()
    return service_request


@pytest.fixture
def closed_request(version, citizen, agent):
    return close(make_request(version, citizen=citizen), agent)


@pytest.fixture
def anonymous_closed_request(version, agent):
    service_request = make_request(version, citizen=None, contact_name="Alex Dupont",
                                   contact_email="alex.dupont@example.org")
    return close(service_request, agent)


def follow_in_session(client, service_request):
    session = client.session
    session[FOLLOW_SESSION_KEY] = [service_request.tracking_code]
    session.save()


def rate_url(service_request):
    return reverse("satisfaction:rate", args=[service_request.tracking_code])


def reopen_url(service_request):
    return reverse("satisfaction:reopen", args=[service_request.tracking_code])


def accept_url(reopen):
    return reverse("satisfaction:accept", args=[reopen.request.tracking_code, reopen.pk])


def refuse_url(reopen):
    return reverse("satisfaction:refuse", args=[reopen.request.tracking_code, reopen.pk])


def decide_url(reopen):
    return reverse("satisfaction:decide", args=[reopen.request.tracking_code, reopen.pk])


def citizen_page(service_request):
    return reverse("service_requests:detail", args=[service_request.tracking_code])


def agent_page(service_request):
    return reverse("agent_requests:detail", args=[service_request.tracking_code])


def text(response):
    return html.unescape(response.content.decode())


@pytest.fixture(autouse=True)
def _french_afterwards():
    """A page asked for in English leaves English active in the thread: the next tests get French back."""
    yield
    from django.utils import translation

    translation.activate("fr")
