"""Search tests: a street-problem procedure (choices, address, phone, description) in two services of
Saint-Aubin, and requests submitted through the real submission service."""

import pytest

from guichet.service_requests.models import ServiceRequest
from guichet.service_requests.services import create_request, submit
from tests.conftest import make_agent, make_citizen, make_service
from tests.service_requests.conftest import make_procedure

FORM = {"pages": [
    {"id": "probleme", "title": "Le problème", "condition": None, "fields": [
        {"id": "nature", "type": "choice", "widget": "radio", "label": "Nature du problème", "required": True,
         "choices": [{"value": "nid", "label": "Nid-de-poule sur la chaussée"},
                     {"value": "eclairage", "label": "Éclairage public en panne"},
                     {"value": "dechets", "label": "Dépôt sauvage de déchets"}]},
        {"id": "quartier", "type": "choice", "widget": "select", "label": "Quartier", "required": False,
         "choices": [{"value": "centre", "label": "Centre-ville"}, {"value": "gare", "label": "Quartier de la Gare"}]},
        {"id": "lieu", "type": "address", "label": "Lieu", "required": False},
        {"id": "description", "type": "textarea", "label": "Description", "required": False},
        {"id": "rappel", "type": "phone", "label": "Téléphone pour vous rappeler", "required": False},
    ]},
]}


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def roads(organisation):
    return make_service(organisation, name="Voirie", slug="voirie")


@pytest.fixture
def civil_status(organisation):
    return make_service(organisation, name="État civil", slug="etat-civil")


@pytest.fixture
def street_procedure(organisation, roads):
    return make_procedure(organisation, roads, slug="signalement-voirie", title="Signaler un problème de voirie",
                          who="anyone", form=FORM)


@pytest.fixture
def civil_procedure(organisation, civil_status):
    return make_procedure(organisation, civil_status, slug="acte", title="Demande d'acte d'état civil",
                          who="anyone", form=FORM)


@pytest.fixture
def roads_agent(organisation, roads):
    return make_agent(organisation, email="voirie@example.org", services=[roads], first_name="Rémi",
                      last_name="Voirie")


@pytest.fixture
def civil_agent(organisation, civil_status):
    return make_agent(organisation, email="etat-civil@example.org", services=[civil_status])


def submitted(procedure, *, citizen=None, contact_name="", contact_email="", contact_phone="", **answers):
    """A request of `procedure` sent through the submission service (so indexed the way real ones are)."""
    answers.setdefault("nature", "nid")
    draft = create_request(
        organisation=procedure.organisation, version=procedure.current_version, procedure=procedure,
        citizen=citizen, contact_name=contact_name, contact_email=contact_email, contact_phone=contact_phone,
        data=answers,
    )
    if citizen is None and not contact_name:
        ServiceRequest.objects.filter(pk=draft.pk).update(contact_name="Alex Dupont",
                                                          contact_email="alex.dupont@example.org")
        draft.refresh_from_db()
    service_request, sent = submit(draft)
    assert sent
    return service_request


def address(street, postcode="54470", city="Saint-Aubin"):
    return {"street": street, "postcode": postcode, "city": city, "lat": None, "lon": None}


__all__ = ["address", "make_agent", "make_citizen", "submitted"]
