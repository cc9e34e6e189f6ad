"""Fixtures of the requests API tests (imported by tests/api/test_submission.py and test_requests*.py).

A procedure with a conditional page, an address, a block, a file field and the workflow of the requests tests;
API clients of Saint-Aubin (all scopes, services = État civil) and of Montclair."""

import base64
import copy

import pytest

from guichet.api_clients import services as client_services
from tests.conftest import client_for, make_citizen, make_service
from tests.service_requests.conftest import FORM, make_procedure

ALL_SCOPES = ["requests:read", "requests:write", "messages:write", "workflow:act"]
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

API_FORM = copy.deepcopy(FORM)
API_FORM["pages"].append({"id": "lieu", "title": "Le lieu", "condition": None, "fields": [
    {"id": "adresse", "type": "address", "label": "Adresse", "required": False, "map": True},
    {"id": "nombre", "type": "number", "label": "Nombre d'exemplaires", "required": False, "min": 1, "max": 5},
    {"id": "urgent", "type": "boolean", "label": "Urgent", "required": False},
    {"id": "langues", "type": "multichoice", "label": "Langues", "required": False,
     "choices": [{"value": "fr", "label": "Français"}, {"value": "en", "label": "Anglais"}]},
    {"id": "enfants", "type": "block", "label": "Enfants", "required": False, "max_items": 3, "fields": [
        {"id": "prenom_enfant", "type": "text", "label": "Prénom", "required": True},
        {"id": "naissance", "type": "date", "label": "Naissance", "required": False},
    ]},
]})


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def api_client_for(organisation, *, scopes=ALL_SCOPES, services=(), name="Logiciel état civil"):
    """(ApiClient, headers) of a new client of `organisation`."""
    client, secret = client_services.create_client(organisation, name=name, scopes=scopes, services=services,
                                                   rate_limit=10_000)
    return client, bearer(secret)


@pytest.fixture(autouse=True)
def _no_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_procedure(organisation, service):
    return make_procedure(organisation, service, slug="acte-api", title="Acte (API)", who="citizen",
                          form=API_FORM)


@pytest.fixture
def anyone_procedure(organisation, service):
    return make_procedure(organisation, service, slug="signalement", title="Signaler un problème", who="anyone",
                          form={"pages": [{"id": "quoi", "title": "Quoi", "condition": None, "fields": [
                              {"id": "description", "type": "textarea", "label": "Description",
                               "required": True}]}]})


@pytest.fixture
def agents_procedure(organisation, service):
    return make_procedure(organisation, service, slug="guichet-seul", title="Au guichet seulement", who="agents")


@pytest.fixture
def other_service(organisation):
    return make_service(organisation, name="Voirie", slug="voirie")


@pytest.fixture
def voirie_procedure(organisation, other_service):
    return make_procedure(organisation, other_service, slug="voirie", title="Voirie", who="anyone",
                          form={"pages": [{"id": "quoi", "title": "Quoi", "condition": None, "fields": [
                              {"id": "description", "type": "textarea", "label": "Description",
                               "required": True}]}]})


@pytest.fixture
def integration(organisation, service):
    """(client, headers): all scopes, limited to the État civil service."""
    return api_client_for(organisation, services=[service])


@pytest.fixture
def integration_all(organisation):
    """(client, headers): all scopes, every service."""
    return api_client_for(organisation, name="Tableau de bord")


@pytest.fixture
def other_integration(other_organisation):
    return api_client_for(other_organisation, name="Montclair")


@pytest.fixture
def api(organisation):
    """A test client on Saint-Aubin's host (no session)."""
    return client_for(organisation)


def valid_answers(**extra):
    return {"nom": "Martin", "prenom": "Camille", "motif": "naissance", **extra}


__all__ = [
    "ALL_SCOPES", "API_FORM", "PNG", "_no_cache", "agents_procedure", "anyone_procedure", "api", "api_client_for",
    "api_procedure", "bearer", "client_for", "integration", "integration_all", "make_citizen", "other_integration",
    "other_service", "valid_answers", "voirie_procedure",
]
