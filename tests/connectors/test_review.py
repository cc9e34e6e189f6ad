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
