"""The workflow editor pages: happy paths, bad input (nothing changes), permissions, tenant isolation."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guichet.workflows.models import Workflow
from tests.conftest import client_for, make_agent

from .conftest import make_version, make_workflow, workflow_definition

BASE = "/agents/admin/circuits/"


@pytest.fixture
def workflow(organisation):
    return make_workflow(organisation)


def reload(workflow):
    workflow.refresh_from_db()
    return workflow.definition


def test_list_shows_workflows_and_the_procedures_using_them(admin_client_org, workflow, organisation, service):
    make_version(organisation, service, workflow=workflow)
    response = admin_client_org.get(BASE)
    assert response.status_code == 200
    assert "Circuit simple" in response.content.decode() and "Acte de naissance" in response.content.decode()


def test_create_workflow(admin_client_org, organisation):
    response = admin_client_org.post(BASE + "nouveau/", {"name": "Urbanisme", "description": ""})
    workflow = Workflow.objects.of(organisation).get(name="Urbanisme")
    assert response.status_code == 302 and response["Location"] == f"{BASE}{workflow.pk}/"
    assert workflow.slug == "urbanisme"
    page = admin_client_org.get(response["Location"]).content.decode()
    assert "<svg" in page and "Reçue" in page and "Ce circuit est valide." in page


def test_create_refuses_empty_name(admin_client_org, organisation):
    response = admin_client_org.post(BASE + "nouveau/", {"name": "  "})
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    assert not Workflow.objects.of(organisation).exists()


def test_edit_page_diagram_and_validation(admin_client_org, workflow):
    page = admin_client_org.get(f"{BASE}{workflow.pk}/?valider=1").content.decode()
    assert 'role="img"' in page and "Le circuit sous forme de liste" in page
    assert "Ce circuit est valide : il peut être utilisé" in page
    definition = reload(workflow)
    definition["statuses"][1]["buttons"] = []
    workflow.save()
    page = admin_client_org.get(f"{BASE}{workflow.pk}/?valider=1").content.decode()
    assert "statuses[1]" in page and "aucune sortie" in page


def test_add_edit_move_delete_status(admin_client_org, workflow):
    response = admin_client_org.post(f"{BASE}{workflow.pk}/statuts/nouveau/", {
        "new-label": "Transmise au maire", "new-colour": "#5c3c92", "new-visible": "on"})
    assert response.status_code == 302
    statuses = reload(workflow)["statuses"]
    assert statuses[-1]["id"] == "transmise-au-maire" and statuses[-1]["visible"] is True
    url = f"{BASE}{workflow.pk}/statuts/transmise-au-maire/"
    assert admin_client_org.get(url).status_code == 200
    admin_client_org.post(url, {"label": "Chez le maire", "colour": "#5C3C92", "final": "on"})
    status = reload(workflow)["statuses"][-1]
    assert status["label"] == "Chez le maire" and status["final"] and not status["visible"]
    admin_client_org.post(url + "deplacer/", {"direction": "up"})
    assert reload(workflow)["statuses"][-2]["id"] == "transmise-au-maire"
    admin_client_org.post(url + "supprimer/")
    assert "transmise-au-maire" not in [s["id"] for s in reload(workflow)["statuses"]]


def test_bad_status_input_changes_nothing(admin_client_org, workflow):
    before = reload(workflow)
    admin_client_org.post(f"{BASE}{workflow.pk}/statuts/nouveau/", {"new-label": "", "new-colour": "bleu"})
    assert reload(workflow) == before
    response = admin_client_org.post(f"{BASE}{workflow.pk}/statuts/recue/", {"label": "Reçue", "colour": "#zzz"})
    assert response.status_code == 200 and "#RRGGBB" in response.content.decode()
    assert reload(workflow) == before


def test_status_in_use_or_initial_cannot_be_deleted(admin_client_org, workflow):
    before = reload(workflow)
    response = admin_client_org.post(f"{BASE}{workflow.pk}/statuts/acceptee/supprimer/", follow=True)
    assert "utilisé par" in response.content.decode()
    response = admin_client_org.post(f"{BASE}{workflow.pk}/statuts/recue/supprimer/", follow=True)
    assert "statut initial" in response.content.decode()
    assert reload(workflow) == before


def test_buttons_and_their_actions(admin_client_org, workflow):
    status_url = f"{BASE}{workflow.pk}/statuts/instruction/"
    response = admin_client_org.post(status_url + "boutons/nouveau/", {
        "button-label": "Transmettre", "button-roles": ["manager", "agent"]})
    button_url = status_url + "boutons/transmettre/"
    assert response["Location"] == button_url
    assert admin_client_org.get(button_url).status_code == 200
    response = admin_client_org.post(button_url + "actions/nouvelle/", {
        "action-type": "notify", "action-to": "address", "action-address": "maire@example.org",
        "action-message": "message.free", "action-text": "À signer"})
    assert response.status_code == 302
    admin_client_org.post(button_url + "actions/nouvelle/", {"action-type": "goto", "action-status": "refusee"})
    button = reload(workflow)["statuses"][1]["buttons"][-1]
    assert button["roles"] == ["agent", "manager"]
    assert button["actions"] == [
        {"type": "notify", "to": "address", "message": "message.free", "address": "maire@example.org",
         "text": "À signer"},
        {"type": "goto", "status": "refusee"},
    ]
    admin_client_org.post(button_url + "actions/1/deplacer/", {"direction": "up"})
    assert reload(workflow)["statuses"][1]["buttons"][-1]["actions"][0]["type"] == "goto"
    admin_client_org.post(button_url + "actions/0/supprimer/")
    assert len(reload(workflow)["statuses"][1]["buttons"][-1]["actions"]) == 1
    admin_client_org.post(button_url, {"label": "Envoyer au maire", "roles": ["admin"]})
    assert reload(workflow)["statuses"][1]["buttons"][-1]["label"] == "Envoyer au maire"
    admin_client_org.post(button_url + "supprimer/")
    assert [b["id"] for b in reload(workflow)["statuses"][1]["buttons"]] == ["accepter"]


@pytest.mark.parametrize("data, message", [
    ({"action-type": "goto", "action-status": ""}, "Indiquez le statut"),
    ({"action-type": "notify", "action-to": "address", "action-address": "pas-un-courriel",
      "action-message": "message.free"}, "adresse électronique valide"),
    ({"action-type": "webhook", "action-url": "ftp://x.org", "action-secret": "court"}, "http://"),
    ({"action-type": "generate_document", "action-title": "Doc", "action-template": "{% for a in b %}{% endfor %}"},
     "Instruction non autorisée"),
    ({"action-type": "set_deadline"}, "l'un des deux"),
    ({"action-type": "inconnue"}, "Sélectionnez un choix valide"),
    ({"action-type": "note"}, "Ce texte est obligatoire"),
])
def test_bad_on_enter_action_is_refused_with_a_message(admin_client_org, workflow, data, message):
    before = reload(workflow)
    response = admin_client_org.post(f"{BASE}{workflow.pk}/statuts/recue/actions/nouvelle/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "error-summary" in page and message in page.replace("&#x27;", "'")
    assert reload(workflow) == before


def test_timers_add_and_delete(admin_client_org, workflow):
    url = f"{BASE}{workflow.pk}/statuts/instruction/"
    admin_client_org.post(url + "delais/nouveau/", {"timer-when": "after_days", "timer-days": "15",
                                                    "timer-goto": "classee"})
    admin_client_org.post(url + "delais/nouveau/", {"timer-when": "after_days", "timer-days": "",
                                                    "timer-goto": "classee"})
    assert reload(workflow)["statuses"][1]["timers"] == [{"after_days": 15, "goto": "classee"}]
    response = admin_client_org.post(f"{BASE}{workflow.pk}/statuts/acceptee/delais/nouveau/", {
        "timer-when": "on_deadline", "timer-goto": "recue"}, follow=True)
    assert "statut final" in response.content.decode()
    admin_client_org.post(url + "delais/0/supprimer/")
    assert reload(workflow)["statuses"][1]["timers"] == []


def test_export_then_import_round_trip(admin_client_org, workflow, organisation):
    response = admin_client_org.get(f"{BASE}{workflow.pk}/export.json")
    assert response["Content-Disposition"] == 'attachment; filename="circuit-circuit-simple.json"'
    exported = json.loads(response.content)
    assert exported["format"] == "guichet-workflow/1" and exported["definition"] == workflow.definition
    upload = SimpleUploadedFile("c.json", response.content, content_type="application/json")
    response = admin_client_org.post(BASE + "importer/", {"file": upload})
    copy = Workflow.objects.of(organisation).exclude(pk=workflow.pk).get()
    assert response.status_code == 302 and copy.definition == workflow.definition
    assert copy.slug == "circuit-simple-2"


def test_import_reports_every_problem_with_its_location_and_imports_nothing(admin_client_org, workflow, organisation):
    definition = workflow_definition()
    definition["statuses"][0]["colour"] = "rouge"
    definition["statuses"][0]["buttons"][0]["actions"][1]["status"] = "nulle-part"
    raw = json.dumps({"format": "guichet-workflow/1", "name": "Cassé", "definition": definition}).encode()
    response = admin_client_org.post(BASE + "importer/", {"file": SimpleUploadedFile("c.json", raw)})
    page = response.content.decode()
    assert response.status_code == 200
    assert "definition.statuses[0].colour" in page
    assert "definition.statuses[0].buttons[0].actions[1].status" in page
    response = admin_client_org.post(BASE + "importer/", {"file": SimpleUploadedFile("c.json", b"{pas du json")})
    assert "pas du JSON valide" in response.content.decode()
    before = reload(workflow)
    admin_client_org.post(f"{BASE}{workflow.pk}/importer/", {"file": SimpleUploadedFile("c.json", raw)})
    assert reload(workflow) == before
    assert Workflow.objects.of(organisation).count() == 1


def test_workflow_used_by_a_procedure_cannot_be_deleted(admin_client_org, workflow, organisation, service):
    make_version(organisation, service, workflow=workflow)
    admin_client_org.post(f"{BASE}{workflow.pk}/supprimer/")
    assert Workflow.objects.filter(pk=workflow.pk).exists()
    other = make_workflow(organisation, name="Autre", slug="autre")
    admin_client_org.post(f"{BASE}{other.pk}/supprimer/")
    assert not Workflow.objects.filter(pk=other.pk).exists()


def test_permissions(organisation, workflow, agent_client, citizen_client, anonymous_client):
    assert agent_client.get(BASE).status_code == 403
    assert agent_client.post(f"{BASE}{workflow.pk}/statuts/recue/supprimer/").status_code == 403
    assert citizen_client.get(BASE).status_code == 403
    response = anonymous_client.get(BASE)
    assert response.status_code == 302 and "/agents/connexion/" in response["Location"]


def test_other_collectivite_workflows_are_404(admin_client_org, other_organisation, organisation):
    theirs = make_workflow(other_organisation)
    before = theirs.definition
    for url in (f"{theirs.pk}/", f"{theirs.pk}/export.json", f"{theirs.pk}/statuts/recue/",
                f"{theirs.pk}/statuts/recue/boutons/accepter/", f"{theirs.pk}/importer/"):
        assert admin_client_org.get(BASE + url).status_code == 404, url
    for url in (f"{theirs.pk}/supprimer/", f"{theirs.pk}/statuts/recue/supprimer/",
                f"{theirs.pk}/statuts/nouveau/", f"{theirs.pk}/statuts/recue/actions/0/supprimer/"):
        assert admin_client_org.post(BASE + url, {"new-label": "x", "new-colour": "#000000"}).status_code == 404
    assert "Circuit simple" not in admin_client_org.get(BASE).content.decode()
    theirs.refresh_from_db()
    assert theirs.definition == before
    # Their administrator's session on our host is not an administrator here.
    their_admin = make_agent(other_organisation, email="admin@montclair.fr", is_org_admin=True)
    client = client_for(organisation)
    client.force_login(their_admin, backend="guichet.accounts.backends.OrganisationBackend")
    assert client.get(BASE).status_code in (302, 403)


def test_unknown_status_or_button_is_404(admin_client_org, workflow):
    assert admin_client_org.get(f"{BASE}{workflow.pk}/statuts/nope/").status_code == 404
    assert admin_client_org.get(f"{BASE}{workflow.pk}/statuts/recue/boutons/nope/").status_code == 404
