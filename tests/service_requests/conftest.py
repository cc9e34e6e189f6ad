"""Fixtures of the requests tests: a published procedure with a conditional page, a file field and a workflow
with a visible, an internal and a final status; helpers to walk through the citizen's journey."""

import copy

import pytest

from guichet.procedures import services as procedure_services
from guichet.procedures.models import Procedure
from guichet.service_requests.models import ServiceRequest
from guichet.workflows.models import Workflow

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
        {"id": "instruction", "label": "Contrôle interne", "colour": "#5a3d8a", "visible": False, "final": False,
         "on_enter": [], "buttons": [{"id": "accepter", "label": "Accepter", "roles": ["agent", "manager"],
                                      "actions": [{"type": "goto", "status": "acceptee"}]}], "timers": []},
        {"id": "acceptee", "label": "Acceptée", "colour": "#1d6b33", "visible": True, "final": True, "on_enter": [],
         "buttons": [], "timers": []},
    ],
}

FORM = {"pages": [
    {"id": "demandeur", "title": "Vous", "condition": None, "fields": [
        {"id": "nom", "type": "text", "label": "Nom", "required": True, "prefill": "profile.last_name"},
        {"id": "prenom", "type": "text", "label": "Prénom", "required": True, "prefill": "profile.first_name"},
        {"id": "motif", "type": "choice", "widget": "radio", "label": "Motif", "required": True,
         "choices": [{"value": "naissance", "label": "Acte de naissance"},
                     {"value": "mariage", "label": "Acte de mariage"}]},
    ]},
    {"id": "mariage", "title": "Votre mariage", "condition": {"field": "motif", "op": "eq", "value": "mariage"},
     "fields": [
         {"id": "date_mariage", "type": "date", "label": "Date du mariage", "required": True},
     ]},
    {"id": "pieces", "title": "Pièces et précisions", "condition": None, "fields": [
        {"id": "precisions", "type": "textarea", "label": "Précisions", "required": False},
        {"id": "justificatif", "type": "file", "label": "Justificatif", "required": False,
         "accept": ["pdf", "png"], "max_size_mb": 2, "max_files": 2},
    ]},
]}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The follow-up attempts are counted in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def make_procedure(organisation, service, *, slug="acte-etat-civil", title="Demande d'acte d'état civil",
                   who="citizen", form=None, workflow=None, silence="none", deadline=30, unit="calendar_days",
                   publish=True):
    definition = Workflow.objects.create(
        organisation=organisation, slug=f"circuit-{slug}", name=f"Circuit {title}",
        definition=copy.deepcopy(workflow or WORKFLOW),
    )
    procedure = Procedure.objects.create(
        organisation=organisation, slug=slug, title=title, theme="etat-civil",
        short_description="Demandez une copie d'acte de naissance ou de mariage.", who_may_submit=who,
        service=service, workflow=definition, draft_form=copy.deepcopy(form or FORM), deadline_amount=deadline,
        deadline_unit=unit, silence_means=silence,
    )
    if publish:
        procedure_services.publish(procedure)
        procedure.refresh_from_db()
    return procedure


@pytest.fixture
def procedure(organisation, service):
    service.email = "etat-civil@saint-aubin.example.org"
    service.phone = "03 83 00 20 10"
    service.save()
    organisation.address = "1 place de la Mairie\n54470 Saint-Aubin"
    organisation.email = "mairie@saint-aubin.example.org"
    organisation.phone = "03 83 00 20 00"
    organisation.save()
    return make_procedure(organisation, service)


@pytest.fixture
def open_procedure(organisation, service):
    """A procedure anyone may submit, even without an account."""
    return make_procedure(organisation, service, slug="signalement", title="Signaler un problème", who="anyone")


def start_url(procedure):
    return f"/demarches/{procedure.slug}/commencer/"


def start(client, procedure):
    """POST « Commencer » → the new draft."""
    before = set(ServiceRequest.objects.values_list("pk", flat=True))
    response = client.post(start_url(procedure))
    assert response.status_code == 302, response.content.decode()[:2000]
    created = ServiceRequest.objects.exclude(pk__in=before).get()
    return created


def page_url(service_request, page_id):
    return f"/demandes/{service_request.tracking_code}/page/{page_id}/"


def fill_contact(client, service_request, name="Alex Dupont", email="alex.dupont@example.org"):
    response = client.post(f"/demandes/{service_request.tracking_code}/coordonnees/",
                           {"contact_name": name, "contact_email": email, "action": "next"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def fill_all(client, service_request, motif="naissance"):
    """Answer every page (the mariage page only when asked), ending on the summary."""
    response = client.post(page_url(service_request, "demandeur"),
                           {"nom": "Martin", "prenom": "Camille", "motif": motif, "action": "next"})
    assert response.status_code == 302, response.content.decode()[:3000]
    if motif == "mariage":
        response = client.post(page_url(service_request, "mariage"), {"date_mariage": "2015-06-20", "action": "next"})
        assert response.status_code == 302, response.content.decode()[:3000]
    response = client.post(page_url(service_request, "pieces"), {"precisions": "Deux copies.", "action": "next"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response.url == f"/demandes/{service_request.tracking_code}/recapitulatif/"
    return response


def send(client, service_request):
    return client.post(f"/demandes/{service_request.tracking_code}/envoyer/")


def text(response):
    """The page's HTML with entities decoded (apostrophes are escaped by templates)."""
    import html

    return html.unescape(response.content.decode())
