"""Fixtures of the workflow tests: a procedure published with a workflow snapshot, and submitted requests."""

import copy

import pytest
from django.utils import timezone

from guichet.procedures.models import Procedure, ProcedureVersion
from guichet.service_requests.models import ServiceRequest
from guichet.service_requests.services import create_request
from guichet.workflows.models import Workflow

WORKFLOW = {
    "initial": "recue",
    "statuses": [
        {"id": "recue", "label": "Reçue", "colour": "#1f4e8c", "visible": True, "final": False,
         "on_enter": [{"type": "set_deadline", "from_procedure": True}],
         "buttons": [
             {"id": "accepter", "label": "Accepter", "roles": ["agent", "manager"],
              "actions": [{"type": "note", "text": "Dossier complet"}, {"type": "goto", "status": "acceptee"}]},
             {"id": "refuser", "label": "Refuser", "roles": ["manager"],
              "actions": [{"type": "goto", "status": "refusee"}]},
             {"id": "completer", "label": "Demander un complément", "roles": ["agent", "manager"],
              "actions": [{"type": "request_info", "message_required": True, "then": "instruction"}]},
             {"id": "noter", "label": "Ajouter une note", "roles": ["agent", "manager", "admin"],
              "actions": [{"type": "note"}]},
         ],
         "timers": [{"after_days": 30, "goto": "classee"}, {"on_deadline": True, "goto": "en-retard"}]},
        {"id": "instruction", "label": "En cours d'instruction", "colour": "#5c3c92", "visible": True, "final": False,
         "buttons": [{"id": "accepter", "label": "Accepter", "roles": ["agent"],
                      "actions": [{"type": "goto", "status": "acceptee"}]}]},
        {"id": "en-retard", "label": "En retard", "colour": "#8a4b00", "visible": False, "final": False,
         "buttons": [{"id": "accepter", "label": "Accepter", "roles": ["agent"],
                      "actions": [{"type": "goto", "status": "acceptee"}]}]},
        {"id": "acceptee", "label": "Acceptée", "colour": "#1d6b33", "visible": True, "final": True,
         "on_enter": [{"type": "anonymise_after", "days": 365}]},
        {"id": "refusee", "label": "Refusée", "colour": "#a4262c", "visible": True, "final": True},
        {"id": "classee", "label": "Classée sans suite", "colour": "#444444", "visible": True, "final": True},
    ],
}


def workflow_definition():
    return copy.deepcopy(WORKFLOW)


def make_workflow(organisation, definition=None, name="Circuit simple", slug="circuit-simple"):
    return Workflow.objects.create(organisation=organisation, name=name, slug=slug,
                                   definition=definition or workflow_definition())


def make_version(organisation, service, definition=None, slug="acte-naissance", workflow=None):
    procedure = Procedure.objects.create(
        organisation=organisation, title="Acte de naissance", slug=slug, short_description="Demander un acte.",
        service=service, deadline_amount=10, workflow=workflow,
    )
    version = ProcedureVersion.objects.create(
        organisation=organisation, procedure=procedure, number=1, form={"pages": []},
        workflow=definition or workflow_definition(), workflow_name="Circuit simple", published_at=timezone.now(),
        title=procedure.title, service=service, deadline_amount=10,
    )
    procedure.current_version = version
    procedure.state = Procedure.State.PUBLISHED
    procedure.save()
    return version


def make_request(version, citizen=None, **fields):
    fields.setdefault("data", {"motif": "naissance", "prenom": "Léa"})
    return create_request(
        organisation=version.organisation, version=version, procedure=version.procedure, citizen=citizen,
        service=version.service, state=ServiceRequest.State.SUBMITTED, submitted_at=timezone.now(), **fields,
    )


def give_answer(request, agent=None, text="Votre demande est traitée : voici notre réponse."):
    """The written answer to the citizen, which a final status requires (see guichet.answers)."""
    from guichet.service_requests.messaging import post_agent_message

    return post_agent_message(request, agent, text, answer=True)


@pytest.fixture
def version(organisation, service):
    return make_version(organisation, service)


@pytest.fixture
def service_request(version, citizen):
    return make_request(version, citizen)
