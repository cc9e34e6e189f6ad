"""Review of issue 7: odd answers of the called service are ConnectorErrors or text, never a crash."""

import pytest

from guichet.connectors.services import ConnectorError, call, try_connection

from .conftest import Service, answer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("content_type", ["text/plain; charset=n-importe-quoi", "text/plain; charset=\"\"",
                                          "text/plain; charset=utf-7x"])
def test_a_made_up_charset_is_read_as_utf8(connector, content_type):
    Service.default = answer(200, content="réponse".encode(), content_type=content_type)
    assert call(connector, "GET").text == "réponse"
    ok, summary, _response = try_connection(connector)
    assert ok, summary


def test_a_made_up_charset_on_an_error_is_still_the_french_error(connector):
    Service.default = answer(503, content=b"indisponible", content_type="text/html; charset=zz-top")
    with pytest.raises(ConnectorError) as raised:
        call(connector, "POST", "/dossiers", json={})
    assert raised.value.status == 503 and raised.value.retryable and raised.value.body == "indisponible"


def test_the_declared_charset_is_used(connector):
    Service.default = answer(200, content="élève".encode("latin-1"), content_type="text/plain; charset=ISO-8859-1")
    assert call(connector, "GET").text == "élève"


@pytest.mark.parametrize("action, location", [
    ({"type": "webhook", "connector": "etat-civil\n"}, "connector"),
    ({"type": "webhook", "connector": "etat-civil", "mapping": {"numero\n": "a"}}, "mapping"),
    ({"type": "webhook", "connector": "etat-civil", "mapping": {"numero": "dossier.\ud800"}}, "mapping"),
    ({"type": "webhook", "connector": "etat-civil", "mapping": {"numero": "dossier\x00numero"}}, "mapping"),
])
def test_check_refuses_a_trailing_newline_and_unsafe_characters(action, location):
    from guichet.workflows.validation import validate_workflow

    from .test_workflow import workflow_with

    problems = validate_workflow(workflow_with(action))
    assert any(problem.location.endswith(location) for problem in problems), problems


def test_the_workflow_editor_refuses_a_lone_surrogate_in_the_mapping(organisation, admin_client_org):
    import copy

    from tests.workflows.conftest import make_workflow

    workflow = make_workflow(organisation)
    before = copy.deepcopy(workflow.definition)
    url = f"/agents/admin/circuits/{workflow.pk}/statuts/recue/boutons/accepter/actions/nouvelle/"
    response = admin_client_org.post(url, {
        "action-type": "webhook", "action-connector": "etat-civil", "action-method": "POST",
        "action-mapping": '{"numero_dossier": "dossier.\\ud800"}'})
    assert response.status_code == 200
    assert "caractère non autorisé" in response.content.decode()
    workflow.refresh_from_db()
    assert workflow.definition == before


@pytest.fixture
def url_webhook_request(organisation, service, citizen, service_server):
    from tests.workflows.conftest import make_request, make_version

    service_request = make_request(make_version(organisation, service), citizen, status="recue")
    workflow = service_request.version.workflow
    workflow["statuses"][0]["on_enter"] = [{"type": "webhook", "url": f"{service_server}/hook",
                                            "secret": "0123456789abcdef"}]
    service_request.version.save(update_fields=["workflow"])
    return service_request


def test_a_url_webhook_reads_only_the_start_of_a_dripping_answer_within_the_time_out(settings, url_webhook_request):
    import time

    from guichet.service_requests.models import RequestEvent
    from guichet.workflows.actions import call_webhook

    settings.GUICHET_HTTP_TIMEOUT = 1
    Service.default = answer(200, content=b"x" * 4000, content_type="text/plain", headers={"X-Test-Drip": "0.01"})
    started = time.monotonic()
    assert call_webhook.call(url_webhook_request.pk, ["statuses", 0, "on_enter", 0], "{}") == 200
    assert time.monotonic() - started < 5  # 40 s if the whole answer were read byte by byte
    event = RequestEvent.objects.filter(request=url_webhook_request, kind="webhook").last()
    assert event.data["status"] == 200 and 0 < len(event.data["body"]) <= 2048


def test_a_url_webhook_keeps_2048_bytes_of_a_huge_answer(url_webhook_request):
    from guichet.service_requests.models import RequestEvent
    from guichet.workflows.actions import call_webhook

    Service.default = answer(200, content=b"y" * 5_000_000, content_type="text/plain")
    assert call_webhook.call(url_webhook_request.pk, ["statuses", 0, "on_enter", 0], "{}") == 200
    event = RequestEvent.objects.filter(request=url_webhook_request, kind="webhook").last()
    assert event.data["body"] == "y" * 2048


def test_a_dripping_answer_is_cut_at_the_time_out_not_at_its_end(organisation, service_server):
    import time

    from .conftest import make_connector

    Service.default = answer(200, content=b'{"a": "' + b"x" * 400 + b'"}', headers={"X-Test-Drip": "0.01"})
    connector = make_connector(organisation, service_server, timeout_seconds=1)
    started = time.monotonic()
    with pytest.raises(ConnectorError) as error:
        call(connector, "GET")
    assert error.value.retryable and "n'a pas répondu à temps" in error.value.message
    assert time.monotonic() - started < 2.5  # the whole answer takes 4 s


def test_a_compressed_answer_is_decoded(connector):
    import gzip
    import json

    Service.default = answer(200, content=gzip.compress(json.dumps({"numero": "A-1"}).encode()),
                             headers={"Content-Encoding": "gzip"})
    assert call(connector, "GET").json == {"numero": "A-1"}


def test_a_json_answer_nested_too_deep_is_invalid_json(connector):
    Service.default = answer(200, content=b"[" * 100_000)
    with pytest.raises(ConnectorError) as raised:
        call(connector, "GET", expect_json=True)
    assert "pas du JSON valide" in raised.value.message
    ok, summary, _error = try_connection(connector)
    assert not ok and "pas du JSON valide" in summary


def test_the_editor_refuses_a_mapping_nested_too_deep(organisation, admin_client_org):
    from tests.workflows.conftest import make_workflow

    workflow = make_workflow(organisation)
    url = f"/agents/admin/circuits/{workflow.pk}/statuts/recue/boutons/accepter/actions/nouvelle/"
    response = admin_client_org.post(url, {"action-type": "webhook", "action-connector": "etat-civil",
                                           "action-method": "POST", "action-mapping": "[" * 9000})
    assert response.status_code == 200 and "pas du JSON valide" in response.content.decode()


def test_a_mapped_value_nested_too_deep_is_left_out():
    from guichet.connectors.services import apply_mapping

    deep = {"v": "fond"}
    for _level in range(21):
        deep = {"v": [deep["v"]]}
    mapped = apply_mapping({"numero": "dossier.numero", "profond": "v"}, {"dossier": {"numero": "A-1"}, **deep})
    assert dict(mapped) == {"numero": "A-1"} and mapped.missing == ["profond"]
    assert dict(apply_mapping({"liste": "v"}, {"v": [[1, 2], {"a": [3]}]})) == {"liste": [[1, 2], {"a": [3]}]}


def test_a_value_postgresql_cannot_store_is_left_out_end_to_end(organisation, service, service_server):
    """The service answers "\\u0000" and a lone surrogate: stored, the request's save failed (PostgreSQL) and the
    job crashed on every try; now those variables are listed missing and the rest is stored."""
    from guichet.background.testing import run_ready_jobs
    from guichet.service_requests import services as request_services
    from guichet.workflows import engine
    from tests.conftest import make_agent, make_citizen
    from tests.service_requests.conftest import make_procedure

    from .conftest import make_connector
    from .test_workflow import ACTION, webhook_events, workflow_with

    make_connector(organisation, f"{service_server}/api")
    Service.default = answer(200, content=b'{"dossier": {"numero": "EC-\\u0000", "motif": "x", "references": '
                                          b'["R-\\ud800"]}, "ok": "oui"}')
    citizen = make_citizen(organisation, email="lea.martin@example.org")
    procedure = make_procedure(organisation, service, workflow=workflow_with(
        {**ACTION, "mapping": {"numero_dossier": "dossier.numero", "guichet_ref": "/dossier/references/0",
                               "retour": "ok"}}))
    draft = request_services.create_draft(procedure.current_version, citizen=citizen, entered_by=None,
                                          channel="web", actor=citizen,
                                          data={"nom": "Martin", "prenom": "Léa", "motif": "naissance"})
    request_services.submit(draft, citizen)
    agent = make_agent(organisation, email="instructeur@example.org", services=[service])
    run_ready_jobs()
    draft.refresh_from_db()
    engine.press(draft, "transmettre", agent)
    run_ready_jobs()
    draft.refresh_from_db()
    assert draft.data["retour"] == "oui" and "numero_dossier" not in draft.data and "guichet_ref" not in draft.data
    event = webhook_events(draft)[-1]
    assert event.data["missing"] == ["guichet_ref", "numero_dossier"]


def test_nul_characters_in_answers_are_kept_as_replacement_characters(connector, url_webhook_request):
    from guichet.service_requests.models import RequestEvent
    from guichet.workflows.actions import call_webhook

    Service.default = answer(500, content=b"erreur\x00interne", content_type="text/plain")
    with pytest.raises(ConnectorError) as raised:
        call(connector, "GET")
    assert raised.value.body == "erreur\ufffdinterne"
    Service.default = answer(200, content=b"ok\x00", content_type="text/plain")
    assert call_webhook.call(url_webhook_request.pk, ["statuses", 0, "on_enter", 0], "{}") == 200
    event = RequestEvent.objects.filter(request=url_webhook_request, kind="webhook").last()
    assert event.data["body"] == "ok\ufffd"
