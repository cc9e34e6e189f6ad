"""Fixtures of the queue tests: a service with two agents and a manager, a second service, a published
procedure with a simple workflow, and requests made to measure (deadline, district, channel, priority…)."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from guichet.agents.models import Membership
from guichet.workflows import engine
from tests.conftest import client_for, make_agent, make_citizen, make_service
from tests.workflows.conftest import make_request, make_version

WORKFLOW = {
    "initial": "recue",
    "statuses": [
        {"id": "recue", "label": "Reçue", "colour": "#1f4e8c", "visible": True, "final": False, "on_enter": [],
         "buttons": [
             {"id": "instruire", "label": "Instruire", "roles": ["agent", "manager"],
              "actions": [{"type": "goto", "status": "instruction"}]},
             {"id": "completer", "label": "Demander un complément", "roles": ["agent", "manager"],
              "actions": [{"type": "request_info", "message_required": True, "then": "recue"}]},
         ], "timers": []},
        {"id": "instruction", "label": "En instruction", "colour": "#5a3d8a", "visible": True, "final": False,
         "on_enter": [], "buttons": [{"id": "classer", "label": "Classer", "roles": ["manager"],
                                      "actions": [{"type": "goto", "status": "recue"}]}], "timers": []},
    ],
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _french_after():
    """A test that switched to English leaves the thread in French for the tests that follow."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def colleague(organisation, service):
    return make_agent(organisation, email="collegue@example.org", first_name="Claude", last_name="Collègue",
                      services=[service])


@pytest.fixture
def manager(organisation, service):
    return make_agent(organisation, email="chef@example.org", first_name="Maxime", last_name="Chef",
                      services=[service], role=Membership.Role.MANAGER)


@pytest.fixture
def voirie(organisation):
    return make_service(organisation, name="Voirie", slug="voirie")


@pytest.fixture
def version(organisation, service):
    import copy

    return make_version(organisation, service, definition=copy.deepcopy(WORKFLOW), slug="etat-civil")


@pytest.fixture
def voirie_version(organisation, voirie):
    import copy

    return make_version(organisation, voirie, definition=copy.deepcopy(WORKFLOW), slug="voirie")


@pytest.fixture
def other_version(other_organisation):
    import copy

    other_service = make_service(other_organisation, name="Urbanisme", slug="urbanisme")
    return make_version(other_organisation, other_service, definition=copy.deepcopy(WORKFLOW), slug="urbanisme")


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def new_request(version, citizen=None, *, start=True, **fields):
    """A submitted request of `version` (started in its workflow unless start=False)."""
    service_request = make_request(version, citizen, **fields)
    if start:
        engine.start(service_request, None)
        service_request.refresh_from_db()
    return service_request


@pytest.fixture
def citizen(organisation):
    return make_citizen(organisation)


def agent_client(organisation, user):
    return client_for(organisation, user)
