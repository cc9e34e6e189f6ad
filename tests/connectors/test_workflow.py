"""The workflow « webhook » action in its connector form, end to end: a published procedure whose button calls
a connector, the background job, the mapping written into the request, the timeline."""

import copy
import json

import pytest

from guichet.background.testing import make_delayed_jobs_due, run_ready_jobs
from guichet.service_requests import services as request_services
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.workflows import engine
from guichet.workflows.forms import ActionForm
from guichet.workflows.validation import validate_workflow
from tests.conftest import make_agent
from tests.service_requests.conftest import WORKFLOW, make_procedure

from .conftest import HMAC_SECRET, Service, answer, make_connector

ACTION = {"type": "webhook", "connector": "etat-civil", "method": "POST", "path": "/dossiers",
          "mapping": {"numero_dossier": "dossier.numero", "guichet_ref": "/dossier/references/0",
                      "absent": "dossier.inconnu", "motif": "dossier.motif"}}


def workflow_with(action):
    definition = copy.deepcopy(WORKFLOW)
    definition["statuses"][0]["buttons"].append(
        {"id": "transmettre", "label": "Transmettre au logiciel d'état civil", "roles": ["agent", "manager"],
         "actions": [action, {"type": "goto", "status": "instruction"}]})
    return definition


@pytest.fixture
def submitted(organisation, service, citizen):
    def make(action=ACTION):
        procedure = make_procedure(organisation, service, workflow=workflow_with(action))
        draft = request_services.create_draft(
            procedure.current_version, citizen=citizen, entered_by=None, channel="web", actor=citizen,
            data={"nom": "Martin", "prenom": "Léa", "motif": "naissance"})
        request_services.submit(draft, citizen)
        return ServiceRequest.objects.get(pk=draft.pk)

    return make


def webhook_events(request):
    return list(RequestEvent.objects.filter(request=request, kind="webhook").order_by("pk"))


def test_button_calls_the_connector_and_maps_its_answer(organisation, service, submitted, service_server):
    make_connector(organisation, f"{service_server}/api", auth_kind="hmac", secret=HMAC_SECRET)
    Service.default = answer(201, {"dossier": {"numero": "EC-2026-042", "references": ["R-9"], "motif": "pirate"}})
    agent = make_agent(organisation, email="instructeur@example.org", services=[service])
    request = submitted()
    run_ready_jobs()
    engine.press(request, "transmettre", agent)
    request.refresh_from_db()
    assert request.status == "instruction"
    scheduled = webhook_events(request)
    assert [e.text for e in scheduled] == ["Appel du connecteur « État civil (logiciel métier) » programmé."]
    assert run_ready_jobs() >= 1
    sent = Service.calls[-1]
    assert sent["method"] == "POST" and sent["path"] == "/api/dossiers"
    from guichet.connectors import signing

    assert signing.verify(HMAC_SECRET, sent["body"], sent["headers"][signing.HEADER])
    payload = json.loads(sent["body"])
    assert payload["request"] == request.tracking_code and payload["procedure"] == "acte-etat-civil"
    assert payload["data"]["nom"] == "Martin" and payload["status"] == "recue"
    request.refresh_from_db()
    assert request.data["numero_dossier"] == "EC-2026-042" and request.data["guichet_ref"] == "R-9"
    assert request.data["motif"] == "naissance"  # the citizen's answer is not overwritten
    assert "absent" not in request.data
    event = webhook_events(request)[-1]
    assert event.data["status"] == 201 and event.data["connector"] == "etat-civil"
    assert event.data["stored"] == {"numero_dossier": "EC-2026-042", "guichet_ref": "R-9"}
    assert event.data["missing"] == ["absent"] and event.data["refused"] == ["motif"]
    assert "Enregistré : guichet_ref, numero_dossier." in event.text
    assert "Absent de la réponse, non modifié : absent (dossier.inconnu)." in event.text
    assert "réponse de l'usager : motif" in event.text
    assert not event.visible_to_citizen


def test_a_missing_value_keeps_the_previous_one(organisation, service, submitted, service_server):
    make_connector(organisation, f"{service_server}/api")
    Service.script = [answer(200, {"dossier": {"numero": "EC-1", "references": ["R-1"]}}),
                      answer(200, {"dossier": {"references": []}})]
    agent = make_agent(organisation, email="instructeur@example.org", services=[service])
    request = submitted({**ACTION, "mapping": {"numero_dossier": "dossier.numero",
                                               "guichet_ref": "dossier.references.0"}})
    run_ready_jobs()
    engine.press(request, "transmettre", agent)
    run_ready_jobs()
    request.refresh_from_db()
    assert request.data["numero_dossier"] == "EC-1" and request.data["guichet_ref"] == "R-1"
    # A second call (re-pressed from the next status) whose answer lacks both: nothing is erased.
    from guichet.workflows.actions import call_webhook

    call_webhook.enqueue(request.pk, ["statuses", 0, "buttons", 2, "actions", 0], "{}")
    run_ready_jobs()
    request.refresh_from_db()
    assert request.data["numero_dossier"] == "EC-1" and request.data["guichet_ref"] == "R-1"
    event = webhook_events(request)[-1]
    assert event.data["stored"] == {} and event.data["missing"] == ["guichet_ref", "numero_dossier"]
    assert "Enregistré" not in event.text and "Absent de la réponse, non modifié" in event.text


def test_retries_up_to_the_connectors_tries_then_success(organisation, service, submitted, service_server):
    make_connector(organisation, f"{service_server}/api", max_attempts=3)
    Service.script = [answer(503, {"erreur": "maintenance"}), answer(502, content=b"", content_type="text/plain")]
    Service.default = answer(200, {"dossier": {"numero": "EC-7"}})
    agent = make_agent(organisation, email="instructeur@example.org", services=[service])
    request = submitted()
    run_ready_jobs()
    engine.press(request, "transmettre", agent)
    assert run_ready_jobs() == 1
    make_delayed_jobs_due()
    assert run_ready_jobs() == 1
    request.refresh_from_db()
    assert "numero_dossier" not in request.data
    make_delayed_jobs_due()
    assert run_ready_jobs() == 1
    assert len(Service.calls) == 3
    request.refresh_from_db()
    assert request.data["numero_dossier"] == "EC-7"
    statuses = [e.data.get("status") for e in webhook_events(request)[1:]]
    assert statuses == [503, 502, 200]
    assert webhook_events(request)[1].text == ("Échec de l'appel du connecteur « État civil (logiciel métier) » : "
                                               "Le service a répondu par une erreur (code 503).")
    make_delayed_jobs_due()
    assert run_ready_jobs() == 0


def test_the_connectors_number_of_tries_bounds_the_retries(organisation, service, submitted, service_server):
    from django_tasks_db.models import DBTaskResult

    make_connector(organisation, f"{service_server}/api", max_attempts=2)
    Service.default = answer(500, {"erreur": "panne"})
    agent = make_agent(organisation, email="instructeur@example.org", services=[service])
    request = submitted()
    run_ready_jobs()
    engine.press(request, "transmettre", agent)
    run_ready_jobs()
    make_delayed_jobs_due()
    run_ready_jobs()
    make_delayed_jobs_due()
    assert run_ready_jobs() == 0
    assert len(Service.calls) == 2
    assert DBTaskResult.objects.filter(task_path__endswith="call_webhook").count() == 2


def test_a_refusal_is_not_retried_and_nothing_is_stored(organisation, service, submitted, service_server):
    make_connector(organisation, f"{service_server}/api")
    Service.default = answer(422, {"erreur": "numéro invalide"})
    agent = make_agent(organisation, email="instructeur@example.org", services=[service])
    request = submitted()
    run_ready_jobs()
    before = dict(ServiceRequest.objects.get(pk=request.pk).data)
    engine.press(request, "transmettre", agent)
    assert run_ready_jobs() == 1
    make_delayed_jobs_due()
    assert run_ready_jobs() == 0
    assert len(Service.calls) == 1
    request.refresh_from_db()
    assert request.data == before
    event = webhook_events(request)[-1]
    assert event.data["status"] == 422 and "erreur" in event.data["body"]


def test_invalid_json_answer_is_recorded_in_french(organisation, service, submitted, service_server):
    make_connector(organisation, f"{service_server}/api")
    Service.default = answer(200, content=b"<html>oups</html>", content_type="text/html")
    agent = make_agent(organisation, email="instructeur@example.org", services=[service])
    request = submitted()
    run_ready_jobs()
    engine.press(request, "transmettre", agent)
    run_ready_jobs()
    event = webhook_events(request)[-1]
    assert event.text.endswith("La réponse du service n'est pas du JSON valide.")
    assert "numero_dossier" not in ServiceRequest.objects.get(pk=request.pk).data


@pytest.mark.parametrize("state", ["missing", "inactive", "other_organisation"])
def test_unknown_connector_is_refused_at_run_time(organisation, other_organisation, service, submitted,
                                                  service_server, state):
    if state == "inactive":
        make_connector(organisation, service_server, is_active=False)
    elif state == "other_organisation":
        make_connector(other_organisation, service_server)
    agent = make_agent(organisation, email="instructeur@example.org", services=[service])
    request = submitted()
    run_ready_jobs()
    engine.press(request, "transmettre", agent)
    assert run_ready_jobs() == 0
    assert Service.calls == []
    event = webhook_events(request)[-1]
    assert event.text == "Appel impossible : le connecteur « etat-civil » n'existe pas ou est désactivé."
    request.refresh_from_db()
    assert request.status == "instruction"  # the button's other actions still run


def test_connector_deactivated_after_the_button_was_pressed(organisation, service, submitted, service_server):
    connector = make_connector(organisation, service_server)
    agent = make_agent(organisation, email="instructeur@example.org", services=[service])
    request = submitted()
    run_ready_jobs()
    engine.press(request, "transmettre", agent)
    connector.is_active = False
    connector.save()
    assert run_ready_jobs() == 1
    assert Service.calls == []
    assert "n'existe pas ou est désactivé" in webhook_events(request)[-1].text


def test_the_url_form_still_works_alongside(organisation, service, submitted, service_server):
    """The fixed-address form (existing workflows) is unchanged: signed with its own secret."""
    from guichet.connectors import signing

    secret = "un-secret-partage-tres-long"
    agent = make_agent(organisation, email="instructeur@example.org", services=[service])
    request = submitted({"type": "webhook", "url": f"{service_server}/hook", "secret": secret})
    run_ready_jobs()
    engine.press(request, "transmettre", agent)
    assert run_ready_jobs() == 1
    sent = Service.calls[-1]
    assert sent["path"] == "/hook" and signing.verify(secret, sent["body"], sent["headers"][signing.HEADER])
    assert webhook_events(request)[-1].data["status"] == 200


@pytest.mark.parametrize("action, location", [
    ({"type": "webhook", "connector": "État Civil"}, "connector"),
    ({"type": "webhook", "connector": "etat-civil", "method": "TRACE"}, "method"),
    ({"type": "webhook", "connector": "etat-civil", "path": "//evil.example.org"}, "path"),
    ({"type": "webhook", "connector": "etat-civil", "path": "/../x"}, "path"),
    ({"type": "webhook", "connector": "etat-civil", "mapping": ["x"]}, "mapping"),
    ({"type": "webhook", "connector": "etat-civil", "mapping": {"Bad Name": "a"}}, "mapping"),
    ({"type": "webhook", "connector": "etat-civil", "url": "https://example.org", "secret": "0123456789abcdef"},
     "actions[0]"),
    ({"type": "webhook", "connector": "etat-civil", "timeout": 3}, "actions[0]"),
])
def test_check_refuses_bad_connector_actions(action, location):
    problems = validate_workflow(workflow_with(action))
    assert problems, action
    assert any(problem.location.endswith(location) for problem in problems), problems


def test_check_accepts_the_connector_form():
    assert validate_workflow(workflow_with(ACTION)) == []
    assert validate_workflow(workflow_with({"type": "webhook", "connector": "etat-civil"})) == []


def test_editor_form_builds_the_connector_action():
    definition = workflow_with(ACTION)
    form = ActionForm({"type": "webhook", "connector": " etat-civil ", "method": "PUT", "path": "/dossiers/1",
                       "mapping": '{"numero_dossier": "dossier.numero"}'}, definition=definition)
    assert form.is_valid(), form.errors
    assert form.action == {"type": "webhook", "connector": "etat-civil", "method": "PUT", "path": "/dossiers/1",
                           "mapping": {"numero_dossier": "dossier.numero"}}
    bad = ActionForm({"type": "webhook", "connector": "etat-civil", "mapping": "{pas du json"}, definition=definition)
    assert not bad.is_valid() and "pas du JSON valide" in bad.errors["mapping"][0]
    bad = ActionForm({"type": "webhook", "connector": "etat-civil", "path": "http://evil/"}, definition=definition)
    assert not bad.is_valid() and "path" in bad.errors
    old = ActionForm({"type": "webhook", "url": "https://example.org/hook", "secret": "0123456789abcdef"},
                     definition=definition)
    assert old.is_valid() and old.action == {"type": "webhook", "url": "https://example.org/hook",
                                             "secret": "0123456789abcdef"}


def test_the_workflow_editor_adds_a_connector_call(organisation, admin_client_org):
    from tests.workflows.conftest import make_workflow

    workflow = make_workflow(organisation)
    url = f"/agents/admin/circuits/{workflow.pk}/statuts/recue/boutons/accepter/actions/nouvelle/"
    page = admin_client_org.get(url).content.decode()
    assert "Identifiant du connecteur" in page and "Correspondance de la réponse" in page
    response = admin_client_org.post(url, {
        "action-type": "webhook", "action-connector": "etat-civil", "action-method": "POST",
        "action-path": "/dossiers", "action-mapping": '{"numero_dossier": "dossier.numero"}'})
    assert response.status_code == 302
    workflow.refresh_from_db()
    assert workflow.definition["statuses"][0]["buttons"][0]["actions"][-1] == {
        "type": "webhook", "connector": "etat-civil", "method": "POST", "path": "/dossiers",
        "mapping": {"numero_dossier": "dossier.numero"}}
    before = copy.deepcopy(workflow.definition)
    for data, message in [
        ({"action-connector": "etat-civil", "action-mapping": "[1"}, "pas du JSON valide"),
        ({"action-connector": "etat-civil", "action-mapping": '{"Numéro": "a"}'}, "nom de variable valide"),
        ({"action-connector": "etat-civil", "action-path": "/../admin"}, "« .. »"),
        ({"action-connector": "Etat Civil"}, "identifiant d'un connecteur"),
    ]:
        response = admin_client_org.post(url, {"action-type": "webhook", "action-method": "POST", **data})
        assert response.status_code == 200
        assert message in response.content.decode().replace("&#x27;", "'").replace("&quot;", '"'), data
    workflow.refresh_from_db()
    assert workflow.definition == before


def test_the_workflow_editor_names_the_collectivites_connectors(organisation, other_organisation, admin_client_org):
    """The administrator writing a connector call sees which connectors exist here (not another collectivité's)."""
    from guichet.connectors.models import Connector
    from tests.workflows.conftest import make_workflow

    workflow = make_workflow(organisation)
    url = f"/agents/admin/circuits/{workflow.pk}/statuts/recue/boutons/accepter/actions/nouvelle/"
    assert "Aucun connecteur n&#x27;est déclaré" in admin_client_org.get(url).content.decode()
    Connector.objects.create(organisation=organisation, name="État civil", slug="etat-civil",
                             base_url="https://etat-civil.example.org/api")
    Connector.objects.create(organisation=other_organisation, name="Secret de Montclair", slug="montclair",
                             base_url="https://montclair.example.org/api")
    page = admin_client_org.get(url).content.decode()
    assert "Connecteurs déclarés : « etat-civil » (État civil)." in page
    assert "montclair" not in page.lower().replace("montclair.localhost", "")
