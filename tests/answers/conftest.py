"""Fixtures of the written-answer tests: a request in a workflow whose buttons close it, answer templates."""

import copy

import pytest

from guichet.answers.models import AnswerTemplate
from guichet.workflows import engine
from tests.conftest import make_agent, make_service
from tests.workflows.conftest import WORKFLOW, make_request, make_version

# The workflow tests' circuit, plus a button whose final status answers by itself (a notify with a text) and one
# that produces a document.
ANSWERING = copy.deepcopy(WORKFLOW)
ANSWERING["statuses"][0]["buttons"] += [
    {"id": "delivrer", "label": "Délivrer", "roles": ["agent", "manager"],
     "actions": [{"type": "goto", "status": "delivree"}]},
    {"id": "attester", "label": "Attester", "roles": ["agent", "manager"],
     "actions": [{"type": "goto", "status": "attestee"}]},
]
ANSWERING["statuses"] += [
    {"id": "delivree", "label": "Délivrée", "colour": "#1d6b33", "visible": True, "final": True,
     "on_enter": [{"type": "notify", "to": "citizen", "message": "message.free",
                   "text": "Votre acte vous a été délivré."}]},
    {"id": "attestee", "label": "Attestée", "colour": "#1d6b33", "visible": True, "final": True,
     "on_enter": [{"type": "generate_document", "title": "Attestation",
                   "template": "Nous attestons la demande {{ demande.code }}."}]},
]


def answering_definition():
    return copy.deepcopy(ANSWERING)


@pytest.fixture
def version(organisation, service):
    return make_version(organisation, service, answering_definition())


@pytest.fixture
def started(version, citizen):
    service_request = make_request(version, citizen)
    engine.start(service_request, None)
    service_request.refresh_from_db()
    return service_request


@pytest.fixture
def other_service(organisation):
    return make_service(organisation, name="Voirie", slug="voirie")


@pytest.fixture
def manager(organisation, service):
    from guichet.agents.models import Membership

    return make_agent(organisation, email="chef@example.org", services=[service], role=Membership.Role.MANAGER)


def make_template(organisation, service=None, title="Acte délivré", body=None, **fields):
    return AnswerTemplate.objects.create(
        organisation=organisation, service=service, title=title,
        body=body or "{% if destinataire.civilite %}{{ destinataire.civilite }} {{ destinataire.nom }}{% else %}"
                     "Bonjour{% endif %},\n\nVotre demande {{ demande.code }} ({{ demande.titre }}) est traitée.",
        **fields,
    )
