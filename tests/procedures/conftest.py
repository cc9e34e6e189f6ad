"""Fixtures of the procedures tests: a workflow, a small valid form, procedures in draft and published."""

import copy

import pytest

from guichet.procedures import services
from guichet.procedures.models import Procedure
from guichet.workflows.models import Workflow

WORKFLOW = {
    "initial": "recue",
    "statuses": [
        {"id": "recue", "label": "Reçue", "colour": "#1f4e8c", "visible": True, "final": False, "on_enter": [],
         "buttons": [{"id": "traiter", "label": "Traiter", "roles": ["agent", "manager"],
                      "actions": [{"type": "goto", "status": "traitee"}]}], "timers": []},
        {"id": "traitee", "label": "Traitée", "colour": "#1d6b33", "visible": True, "final": True, "on_enter": [],
         "buttons": [], "timers": []},
    ],
}

FORM = {"pages": [
    {"id": "demandeur", "title": "Vous", "condition": None, "fields": [
        {"id": "nom", "type": "text", "label": "Nom", "required": True},
        {"id": "motif", "type": "choice", "widget": "radio", "label": "Motif", "required": True,
         "choices": [{"value": "naissance", "label": "Acte de naissance"},
                     {"value": "mariage", "label": "Acte de mariage"}]},
    ]},
]}


def make_workflow(organisation, slug="circuit-simple", name="Circuit simple", definition=None):
    return Workflow.objects.create(organisation=organisation, slug=slug, name=name,
                                   definition=copy.deepcopy(definition or WORKFLOW))


def make_procedure(organisation, slug="acte-etat-civil", title="Demande d'acte d'état civil", workflow=None,
                   form=None, **fields):
    fields.setdefault("theme", "etat-civil")
    fields.setdefault("short_description", "Demandez une copie ou un extrait d'acte de naissance ou de mariage.")
    fields.setdefault("who_may_submit", "anyone")
    return Procedure.objects.create(
        organisation=organisation, slug=slug, title=title,
        workflow=workflow if workflow is not None else make_workflow(organisation, slug=f"circuit-{slug}"),
        draft_form=copy.deepcopy(form or FORM), **fields,
    )


@pytest.fixture
def workflow(organisation):
    return make_workflow(organisation)


@pytest.fixture
def procedure(organisation, workflow, service):
    return make_procedure(organisation, workflow=workflow, service=service)


@pytest.fixture
def published(procedure, org_admin):
    services.publish(procedure, org_admin)
    procedure.refresh_from_db()
    return procedure
