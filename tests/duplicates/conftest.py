"""Builders of the duplicates tests: a street-problem procedure (address with its point) and its requests."""

import datetime

import pytest
from django.utils import timezone

from guichet.service_requests.models import ServiceRequest
from tests.documents.builders import make_request as build_request
from tests.documents.builders import make_version

FORM = {"pages": [{"id": "lieu", "title": "Le lieu", "condition": None, "fields": [
    {"id": "adresse", "type": "address", "label": "Adresse du problème", "required": True},
    {"id": "description", "type": "textarea", "label": "Description", "required": True},
]}]}

WORKFLOW = {
    "initial": "recue",
    "statuses": [
        {"id": "recue", "label": "Reçue", "colour": "#1f4e8c", "visible": True, "final": False, "on_enter": [],
         "buttons": [
             {"id": "traiter", "label": "Traiter", "roles": ["agent", "manager"],
              "actions": [{"type": "goto", "status": "en-cours"}]},
             {"id": "completer", "label": "Demander un complément", "roles": ["agent", "manager"],
              "actions": [{"type": "request_info", "message_required": True, "then": "recue"}]},
         ],
         "timers": [{"after_days": 30, "goto": "en-cours"}]},
        {"id": "en-cours", "label": "Intervention planifiée", "colour": "#5c3c92", "visible": True, "final": False,
         "on_enter": [{"type": "notify", "to": "citizen", "message": "request.status_changed"}],
         "buttons": [], "timers": []},
    ],
}

# Saint-Aubin's church square and points around it.
LAT, LON = 48.6921, 6.1844


def metres_north(metres):
    """The latitude `metres` north of LAT."""
    return LAT + metres / 111_195.08


@pytest.fixture
def voirie(organisation, service):
    return make_version(organisation, service, slug="voirie", title="Signaler un problème de voirie", form=FORM,
                        workflow=WORKFLOW)


@pytest.fixture
def other_voirie(organisation, service):
    return make_version(organisation, service, slug="eclairage", title="Signaler un lampadaire en panne", form=FORM,
                        workflow=WORKFLOW)


def make_request(version, citizen=None, *, days_ago=0, address="", lat=None, lon=None, **fields):
    """A submitted request of `version`, sent `days_ago` days ago, about `address` / (lat, lon)."""
    fields.setdefault("data", {"adresse": {"street": address}, "description": "Nid-de-poule."})
    service_request = build_request(version, citizen, address=address, latitude=lat, longitude=lon, **fields)
    if days_ago:
        ServiceRequest.objects.filter(pk=service_request.pk).update(
            submitted_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
        service_request.refresh_from_db()
    return service_request
