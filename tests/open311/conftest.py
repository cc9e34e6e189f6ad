"""Fixtures of the Open311 tests: a « nid-de-poule » procedure ticked Open311, another not ticked, API clients."""

import pytest
from lxml import etree

from guichet.api_clients.services import create_client, revoke_client
from tests.conftest import client_for
from tests.service_requests.conftest import WORKFLOW, make_procedure

FORM = {"pages": [
    {"id": "signalement", "title": "Le problème", "condition": None, "fields": [
        {"id": "nature", "type": "choice", "label": "Nature du problème", "required": True,
         "choices": [{"value": "nid", "label": "Nid-de-poule"}, {"value": "eclairage", "label": "Éclairage"}]},
        {"id": "danger", "type": "boolean", "label": "Danger immédiat ?", "required": False},
        {"id": "genres", "type": "multichoice", "label": "Usagers gênés", "required": False,
         "choices": [{"value": "pietons", "label": "Piétons"}, {"value": "velos", "label": "Vélos"},
                     {"value": "autos", "label": "Automobiles"}]},
        {"id": "taille", "type": "number", "label": "Taille (cm)", "required": False},
        {"id": "constat", "type": "date", "label": "Constaté le", "required": False},
        {"id": "repere", "type": "text", "label": "Point de repère", "required": False},
        {"id": "precisions", "type": "textarea", "label": "Précisions", "required": False},
        {"id": "lieu", "type": "address", "label": "Lieu", "required": False, "map": True},
        {"id": "photo", "type": "file", "label": "Photo", "required": False, "accept": ["jpeg", "png"]},
    ]},
    {"id": "vous", "title": "Vous", "condition": None, "fields": [
        {"id": "nom", "type": "text", "label": "Nom", "required": True, "prefill": "profile.last_name"},
        {"id": "prenom", "type": "text", "label": "Prénom", "required": False, "prefill": "profile.first_name"},
    ]},
]}


@pytest.fixture
def exposed(organisation, service):
    procedure = make_procedure(organisation, service, slug="nid-de-poule", title="Signaler un nid-de-poule",
                               who="anyone", form=FORM, workflow=WORKFLOW)
    procedure.open311 = True
    procedure.theme = "services-techniques"
    procedure.keywords = "voirie, chaussée"
    procedure.save()
    return procedure


@pytest.fixture
def hidden(organisation, service):
    """Published, not ticked Open311."""
    return make_procedure(organisation, service, slug="acte-etat-civil", who="anyone")


@pytest.fixture
def api_key(organisation):
    _client, secret = create_client(organisation, name="FixMyStreet", scopes=["open311"])
    return secret


@pytest.fixture
def other_key(other_organisation):
    _client, secret = create_client(other_organisation, name="FixMyStreet Montclair", scopes=["open311"])
    return secret


@pytest.fixture
def rest_only_key(organisation):
    _client, secret = create_client(organisation, name="Logiciel métier", scopes=["requests:read"])
    return secret


@pytest.fixture
def revoked_key(organisation):
    client, secret = create_client(organisation, name="Ancien", scopes=["open311"])
    revoke_client(client)
    return secret


@pytest.fixture
def http(organisation):
    return client_for(organisation)


def xml(response):
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return etree.fromstring(response.content)


def report(**extra):
    data = {"service_code": "nid-de-poule", "lat": "48.6921", "long": "6.1844",
            "address_string": "12 rue des Lilas, 54470 Saint-Aubin", "email": "alex.dupont@example.org",
            "first_name": "Alex", "last_name": "Dupont", "phone": "0612345678",
            "description": "Un trou profond devant l'école.", "attribute[nature]": "nid",
            "device_id": "tablet-42", "account_id": "fms-7", "media_url": "https://photos.example.org/1.jpg"}
    data.update(extra)
    return {key: value for key, value in data.items() if value is not None}
