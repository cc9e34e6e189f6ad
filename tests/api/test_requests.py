"""/api/v1/requests: submitting (client and citizen session), listing with filters and cursors, reading, the
timeline, messages and workflow buttons — and trying to break the permissions."""

import json

import pytest

from guichet.api.submission import submit_answers
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import add_event
from tests.api.conftest import assert_problem, body
from tests.api.requests_fixtures import *  # noqa: F403
from tests.api.requests_fixtures import api_client_for, client_for, make_citizen, valid_answers

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests"


def post_json(client, url, data, headers=None):
    return client.post(url, data=json.dumps(data), content_type="application/json", **(headers or {}))


def submit_body(procedure, **extra):
    return {"procedure": procedure.slug, "answers": valid_answers(),
            "contact": {"name": "Alex Dupont", "email": "alex@example.org"}, **extra}


def made_for(procedure, client, **kwargs):
    kwargs.setdefault("contact_name", "A")
    kwargs.setdefault("contact_email", "a@example.org")
    answers = kwargs.pop("answers", valid_answers())
    return submit_answers(procedure.current_version, answers, api_client=client, **kwargs)


# --- submitting ------------------------------------------------------------------------------------------------

def test_client_submits_201_with_location(api, api_procedure, integration):
    client, headers = integration
    response = post_json(api, URL, submit_body(api_procedure, channel="phone"), headers)
    assert response.status_code == 201, response.content.decode()
    data = body(response)
    assert response["Location"] == f"{URL}/{data['tracking_code']}" == data["url"]
    assert data["channel"] == "phone" and data["status"] == {"id": "recue", "label": "Reçue", "final": False}
    assert data["state"] == "open" and data["contact"]["email"] == "alex@example.org"
    assert data["answers"]["motif"] == "naissance" and data["summary"][0]["answers"]
    made = ServiceRequest.objects.get(tracking_code=data["tracking_code"])
    assert made.events.get(kind="created").data["api_client"] == client.pk
    # The Location leads to the request.
    assert api.get(response["Location"], **headers).status_code == 200


def test_client_submits_for_a_citizen_record(api, api_procedure, integration, citizen):
    response = post_json(api, URL, {"procedure": api_procedure.slug, "answers": {"motif": "naissance"},
                                    "citizen": citizen.pk}, integration[1])
    assert response.status_code == 201, response.content.decode()
    assert body(response)["citizen"] == citizen.pk and body(response)["channel"] == "api"


def test_every_answer_error_is_located(api, api_procedure, integration):
    response = post_json(api, URL, submit_body(api_procedure, answers={
        "nom": "", "motif": "mariage", "inconnu": "x", "enfants": [{"naissance": "2019-01-01"}]}), integration[1])
    data = assert_problem(response, 422)
    located = {tuple(error["location"]): error["message"] for error in data["errors"]}
    assert located[("body", "answers", "nom")] == "Ce champ est obligatoire."
    assert located[("body", "answers", "date_mariage")] == "Ce champ est obligatoire."
    assert ("body", "answers", "inconnu") in located
    assert located[("body", "answers", "enfants", 0, "prenom_enfant")] == "Ce champ est obligatoire."
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("payload, status", [
    ({"procedure": "inconnue", "answers": {}}, 422),
    ({"procedure": "acte-api", "answers": ["nom"]}, 422),
    ({"procedure": "acte-api", "answers": {}, "channel": "pigeon"}, 422),
    ({"procedure": "acte-api", "answers": {}, "citizen": "abc"}, 422),
    ({"procedure": "acte-api", "answers": {}, "citizen": 10**30}, 422),
    ({"procedure": "acte-api", "answers": {}, "contact": {"name": "A\x00", "email": "a@example.org"}}, 422),
    ({"procedure": "acte-api", "answers": {"nom": "\ud800"}}, 422),
    ({"procedure": "acte-api", "answers": {"\ud800\x00": 1}}, 422),
    ({"procedure": "acte-api", "answers": {"nom": {"a": 1}, "adresse": {"street": "\x00"}}}, 422),
    ({"procedure": "acte-api", "answers": {}, "location": {"latitude": 91, "longitude": 0}}, 422),
    ({"answers": {}}, 422),
    ({"procedure": "acte-api"}, 422),
])
def test_bad_bodies(api, api_procedure, integration, payload, status):
    data = assert_problem(post_json(api, URL, payload, integration[1]), status)
    assert data["errors"]
    assert not ServiceRequest.objects.exists()


def test_malformed_json_and_huge_body(api, api_procedure, integration):
    assert_problem(api.post(URL, data="{not json", content_type="application/json", **integration[1]), 400)
    huge = json.dumps(submit_body(api_procedure, answers={"precisions": "x" * (11 * 1024 * 1024)}))
    response = api.post(URL, data=huge, content_type="application/json", **integration[1])
    assert response.status_code in (400, 413), response.status_code
    assert response["Content-Type"].startswith("application/problem+json")
    assert not ServiceRequest.objects.exists()


def test_submit_permissions(api, organisation, other_organisation, api_procedure, voirie_procedure, integration,
                            other_integration, citizen):
    payload = submit_body(api_procedure)
    assert_problem(post_json(api, URL, payload), 401)
    _reader, read_only = api_client_for(organisation, scopes=["requests:read"], name="Lecture")
    assert_problem(post_json(api, URL, payload, read_only), 403)
    # Montclair's secret on Saint-Aubin's host.
    assert_problem(post_json(api, URL, payload, other_integration[1]), 401)
    # A procedure of a service outside the client's.
    assert_problem(post_json(api, URL, submit_body(voirie_procedure, answers={"description": "x"}),
                             integration[1]), 403)
    # Another collectivité's citizen.
    stranger = make_citizen(other_organisation, email="autre@example.org")
    data = assert_problem(post_json(api, URL, {"procedure": api_procedure.slug, "answers": valid_answers(),
                                               "citizen": stranger.pk}, integration[1]), 422)
    assert data["errors"][0]["location"] == ["body", "citizen"]
    from guichet.api_clients.services import revoke_client

    revoke_client(integration[0])
    assert_problem(post_json(api, URL, payload, integration[1]), 401)
    assert not ServiceRequest.objects.exists()


def test_citizen_submits_for_themselves(organisation, api_procedure, agents_procedure, citizen):
    browser = client_for(organisation, citizen)
    response = post_json(browser, URL, {"procedure": api_procedure.slug, "answers": {"motif": "naissance"}})
    assert response.status_code == 201, response.content.decode()
    data = body(response)
    assert data["channel"] == "web" and data["citizen"] is None and data["contact"] is None
    assert ServiceRequest.objects.get().citizen == citizen
    assert_problem(post_json(browser, URL, {"procedure": api_procedure.slug, "answers": valid_answers(),
                                            "citizen": citizen.pk + 1}), 422)
    assert_problem(post_json(browser, URL, {"procedure": api_procedure.slug, "answers": valid_answers(),
                                            "channel": "phone"}), 422)
    data = assert_problem(post_json(browser, URL, {"procedure": agents_procedure.slug,
                                                   "answers": valid_answers()}), 422)
    assert "accueil" in data["detail"]


def test_citizen_session_needs_csrf(organisation, api_procedure, citizen):
    from django.test import Client

    from tests.conftest import host_of

    browser = Client(HTTP_HOST=host_of(organisation), enforce_csrf_checks=True)
    browser.force_login(citizen, backend="guichet.accounts.backends.OrganisationBackend")
    response = post_json(browser, URL, {"procedure": api_procedure.slug, "answers": valid_answers()})
    assert_problem(response, 403)
    assert not ServiceRequest.objects.exists()


def test_submit_is_linked_to_read_timeline_and_messages_in_openapi(api):
    schema = body(api.get("/api/v1/openapi.json"))
    links = schema["paths"][URL]["post"]["responses"]["201"]["links"]
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {link["operationId"] for link in links.values()} <= operations
    assert {"read_request", "read_request_timeline", "post_request_message"} <= {
        link["operationId"] for link in links.values()}
    for path, item in schema["paths"].items():
        if path.startswith(URL):
            for operation in item.values():
                assert {"401", "404", "422"} <= set(operation["responses"]), (path, operation["operationId"])


# --- listing ---------------------------------------------------------------------------------------------------

def test_list_is_limited_to_the_clients_services(api, api_procedure, voirie_procedure, integration,
                                                  integration_all):
    mine = made_for(api_procedure, integration[0])
    other = made_for(voirie_procedure, integration_all[0], answers={"description": "Trou"})
    codes = [item["tracking_code"] for item in body(api.get(URL, **integration[1]))["items"]]
    assert codes == [mine.tracking_code]
    codes = [item["tracking_code"] for item in body(api.get(URL, **integration_all[1]))["items"]]
    assert codes == [other.tracking_code, mine.tracking_code]
    # Reading a request of another service: 404.
    assert_problem(api.get(f"{URL}/{other.tracking_code}", **integration[1]), 404)
    assert_problem(api.get(f"{URL}/{other.tracking_code}/timeline", **integration[1]), 404)


def test_filters(api, api_procedure, anyone_procedure, integration, citizen):
    first = made_for(api_procedure, integration[0], channel="phone")
    second = made_for(anyone_procedure, integration[0], answers={"description": "x"})
    third = made_for(api_procedure, integration[0], citizen=citizen)
    ServiceRequest.objects.filter(pk=second.pk).update(closed_at=second.submitted_at)

    def codes(**params):
        response = api.get(URL, params, **integration[1])
        assert response.status_code == 200, response.content.decode()
        return {item["tracking_code"] for item in body(response)["items"]}

    assert codes(procedure="acte-api") == {first.tracking_code, third.tracking_code}
    assert codes(channel="phone") == {first.tracking_code}
    assert codes(state="closed") == {second.tracking_code}
    assert codes(state="open") == {first.tracking_code, third.tracking_code}
    assert codes(state="withdrawn") == set()
    assert codes(status="recue") == {first.tracking_code, second.tracking_code, third.tracking_code}
    assert codes(service="etat-civil") == {first.tracking_code, second.tracking_code, third.tracking_code}
    assert codes(citizen=citizen.pk) == {third.tracking_code}
    assert codes(submitted_after="2999-01-01T00:00:00Z") == set()
    assert codes(submitted_before="2999-01-01T00:00:00Z") == {first.tracking_code, second.tracking_code,
                                                               third.tracking_code}
    assert codes(updated_since="2000-01-01") == {first.tracking_code, second.tracking_code, third.tracking_code}
    for params in ({"state": "ouvert"}, {"channel": "pigeon"}, {"limit": 0}, {"limit": 101}, {"order": "x"},
                   {"submitted_after": "hier"}, {"citizen": "x"}, {"status": "a\x00b"}, {"cursor": "!!"},
                   {"cursor": "bm9u"}, {"procedure": "a b"}):
        response = api.get(URL, params, **integration[1])
        assert response.status_code in (400, 422), (params, response.status_code)
        assert_problem(response, response.status_code)


def test_cursor_pagination_walks_every_request_once(api, api_procedure, integration):
    made = [made_for(api_procedure, integration[0]) for _index in range(5)]
    seen, url, pages = [], f"{URL}?limit=2", 0
    while url:
        response = api.get(url, **integration[1])
        assert response.status_code == 200, response.content.decode()
        data = body(response)
        seen += [item["tracking_code"] for item in data["items"]]
        url, pages = data["next"], pages + 1
    assert pages == 3 and sorted(seen) == sorted(r.tracking_code for r in made) and len(set(seen)) == 5
    # Synchronisation order: oldest change first; a cursor of one order is refused in the other.
    data = body(api.get(URL, {"order": "updated_at", "limit": 2}, **integration[1]))
    assert [item["tracking_code"] for item in data["items"]] == [made[0].tracking_code, made[1].tracking_code]
    assert_problem(api.get(URL, {"cursor": data["next_cursor"]}, **integration[1]), 400)


def test_list_query_count_is_constant(api, api_procedure, integration, django_assert_max_num_queries):
    made_for(api_procedure, integration[0])
    api.get(URL, **integration[1])  # warm-up (rate window row, last use)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert api.get(URL, {"limit": 100}, **integration[1]).status_code == 200
        # The client's authentication and rate window (a row a minute) aside: the list itself.
        return len([query for query in captured if "api_clients_" not in query["sql"]])

    few = count()
    for _index in range(6):
        made_for(api_procedure, integration[0])
    assert count() == few <= 5  # the page, then its versions and procedures (one query each)
    with django_assert_max_num_queries(10):
        assert len(body(api.get(URL, {"limit": 100}, **integration[1]))["items"]) == 7


def test_citizen_list_query_count_is_constant(organisation, api_procedure, integration, citizen):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = client_for(organisation, citizen)
    made_for(api_procedure, integration[0], citizen=citizen)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(URL).status_code == 200
        return len(captured)

    few = count()
    for _index in range(4):
        made_for(api_procedure, integration[0], citizen=citizen)
    assert count() == few <= 8


def test_citizen_sees_only_their_requests(organisation, api_procedure, integration, citizen):
    mine = made_for(api_procedure, integration[0], citizen=citizen)
    neighbour = make_citizen(organisation, email="voisin@example.org")
    theirs = made_for(api_procedure, integration[0], citizen=neighbour)
    anonymous = made_for(api_procedure, integration[0])
    browser = client_for(organisation, citizen)
    data = body(browser.get(URL))
    assert [item["tracking_code"] for item in data["items"]] == [mine.tracking_code]
    assert browser.get(f"{URL}/{mine.tracking_code}").status_code == 200
    for other in (theirs, anonymous):
        assert_problem(browser.get(f"{URL}/{other.tracking_code}"), 404)
        assert_problem(browser.get(f"{URL}/{other.tracking_code}/timeline"), 404)
        assert_problem(post_json(browser, f"{URL}/{other.tracking_code}/messages", {"text": "Bonjour"}), 404)
    assert_problem(browser.get(URL, {"citizen": neighbour.pk}), 400)
    # Buttons are for integrations.
    assert_problem(browser.get(f"{URL}/{mine.tracking_code}/actions"), 401)


def test_agents_session_is_not_a_citizen_session(organisation, api_procedure, integration, agent):
    made_for(api_procedure, integration[0])
    assert_problem(client_for(organisation, agent).get(URL), 401)


# --- reading ---------------------------------------------------------------------------------------------------

def test_read_and_tenant_isolation(api, organisation, other_organisation, api_procedure, integration,
                                   other_integration):
    made = made_for(api_procedure, integration[0])
    data = body(api.get(f"{URL}/{made.tracking_code}", **integration[1]))
    assert data["procedure"] == {"slug": "acte-api", "title": "Acte (API)"}
    assert data["service"]["slug"] == "etat-civil" and data["deadline"]
    # Lower case and without dashes is the same code.
    assert api.get(f"{URL}/{made.tracking_code.lower().replace('-', '')}", **integration[1]).status_code == 200
    for code in ("RQ-0000-0000", "x" * 39, "%00", "RQ-" + "Z" * 30):
        assert_problem(api.get(f"{URL}/{code}", **integration[1]), 404 if len(code) < 40 else 422)
    # Montclair's client on Montclair's host does not see Saint-Aubin's request.
    montclair = client_for(other_organisation)
    assert_problem(montclair.get(f"{URL}/{made.tracking_code}", **other_integration[1]), 404)
    assert body(montclair.get(URL, **other_integration[1]))["items"] == []
    # Saint-Aubin's secret on Montclair's host.
    assert_problem(montclair.get(f"{URL}/{made.tracking_code}", **integration[1]), 401)
    _writer, write_only = api_client_for(organisation, scopes=["requests:write"], name="Dépôt seul")
    assert_problem(api.get(f"{URL}/{made.tracking_code}", **write_only), 403)
    assert_problem(api.get(URL, **write_only), 403)


def test_timeline_for_a_client_and_for_the_citizen(organisation, api, api_procedure, integration, citizen):
    made = made_for(api_procedure, integration[0], citizen=citizen)
    add_event(made, RequestEvent.Kind.NOTE, text="Note interne confidentielle")
    pressed = post_json(api, f"{URL}/{made.tracking_code}/actions/instruire", {"lock_version": made.lock_version},
                        integration[1])
    assert pressed.status_code == 200, pressed.content.decode()
    client_events = body(api.get(f"{URL}/{made.tracking_code}/timeline", **integration[1]))
    kinds = [event["kind"] for event in client_events]
    assert "note" not in kinds and "created" in kinds
    internal = [event for event in client_events if event["status_to"] == "instruction"]
    assert internal and internal[0]["author"] == "api_client" and internal[0]["actor_name"] == integration[0].name
    citizen_events = body(client_for(organisation, citizen).get(f"{URL}/{made.tracking_code}/timeline"))
    assert all(event["status_to"] != "instruction" for event in citizen_events)
    assert "note" not in [event["kind"] for event in citizen_events]
    assert "created" not in [event["kind"] for event in citizen_events]
    assert all(event["visible_to_citizen"] is None and event["actor_name"] is None for event in citizen_events)
    # The citizen is shown the last status visible to them, never the internal one.
    detail = body(client_for(organisation, citizen).get(f"{URL}/{made.tracking_code}"))
    assert detail["status"]["id"] == "recue"
    assert body(api.get(f"{URL}/{made.tracking_code}", **integration[1]))["status"]["id"] == "instruction"


# --- messages --------------------------------------------------------------------------------------------------

def test_client_writes_to_the_citizen(api, organisation, api_procedure, integration, citizen):
    made = made_for(api_procedure, integration[0], citizen=citizen)
    url = f"{URL}/{made.tracking_code}/messages"
    response = post_json(api, url, {"text": "Votre acte est prêt.", "token": "a" * 32}, integration[1])
    assert response.status_code == 201, response.content.decode()
    assert body(response)["kind"] == "message_agent" and body(response)["author"] == "api_client"
    event = made.events.get(kind="message_agent")
    assert event.data["api_client"] == integration[0].pk and event.actor is None
    # The same token again: the first message, nothing new.
    again = post_json(api, url, {"text": "Votre acte est prêt.", "token": "a" * 32}, integration[1])
    assert again.status_code == 200 and body(again)["id"] == event.pk
    assert made.events.filter(kind="message_agent").count() == 1
    answer = post_json(api, url, {"text": "Réponse écrite.", "answer": True}, integration[1])
    assert answer.status_code == 201 and body(answer)["kind"] == "answer"
    # The citizen reads it in their timeline and answers.
    browser = client_for(organisation, citizen)
    assert "Votre acte est prêt." in [e["text"] for e in body(browser.get(f"{URL}/{made.tracking_code}/timeline"))]
    mine = post_json(browser, url, {"text": "Merci !"})
    assert mine.status_code == 201 and body(mine)["kind"] == "message_citizen" and body(mine)["author"] == "citizen"
    assert_problem(post_json(browser, url, {"text": "x", "answer": True}), 422)


def test_message_refusals(api, organisation, api_procedure, integration, citizen):
    made = made_for(api_procedure, integration[0], citizen=citizen)
    url = f"{URL}/{made.tracking_code}/messages"
    _reader, read_only = api_client_for(organisation, scopes=["requests:read"], name="Lecture")
    assert_problem(post_json(api, url, {"text": "x"}, read_only), 403)
    for payload in ({"text": ""}, {"text": "x" * 5001}, {"text": "a\x00"}, {}, {"text": 3}, {"text": "x",
                                                                                             "token": "abc"}):
        assert_problem(post_json(api, url, payload, integration[1]), 422)
    from guichet.service_requests.withdrawal import withdraw

    withdraw(made, citizen)
    assert_problem(post_json(api, url, {"text": "Encore ?"}, integration[1]), 409)
    assert_problem(post_json(client_for(organisation, citizen), url, {"text": "Encore ?"}), 409)


# --- workflow buttons ------------------------------------------------------------------------------------------

def test_actions_and_pressing(api, api_procedure, integration):
    made = made_for(api_procedure, integration[0])
    actions = body(api.get(f"{URL}/{made.tracking_code}/actions", **integration[1]))
    assert [button["id"] for button in actions["buttons"]] == ["instruire", "completer"]
    assert actions["buttons"][1]["inputs"] and actions["lock_version"] == made.lock_version
    url = f"{URL}/{made.tracking_code}/actions/completer"
    # An input missing: 422, nothing done.
    assert_problem(post_json(api, url, {"lock_version": made.lock_version}, integration[1]), 422)
    name = actions["buttons"][1]["inputs"][0]["name"]
    response = post_json(api, url, {"lock_version": made.lock_version, "inputs": {name: "Joignez un justificatif."}},
                         integration[1])
    assert response.status_code == 200, response.content.decode()
    data = body(response)
    assert data["waiting_for_citizen"] and data["information_request"] == "Joignez un justificatif."
    assert data["lock_version"] == made.lock_version + 1
    recorded = made.events.filter(kind="information_requested").get()
    assert recorded.data["api_client"] == integration[0].pk
    # The former lock_version: 409 with the current one.
    stale = assert_problem(post_json(api, f"{URL}/{made.tracking_code}/actions/instruire",
                                     {"lock_version": made.lock_version}, integration[1]), 409)
    assert stale["code"] == "changed" and stale["lock_version"] == data["lock_version"]
    # A button of another status: 409.
    assert_problem(post_json(api, f"{URL}/{made.tracking_code}/actions/accepter",
                             {"lock_version": data["lock_version"]}, integration[1]), 409)
    assert_problem(post_json(api, f"{URL}/{made.tracking_code}/actions/inconnu!",
                             {"lock_version": data["lock_version"]}, integration[1]), 422)
    assert_problem(post_json(api, f"{URL}/{made.tracking_code}/actions/instruire", {"lock_version": -1},
                             integration[1]), 422)


def test_actions_permissions(api, organisation, api_procedure, voirie_procedure, integration, integration_all):
    made = made_for(api_procedure, integration[0])
    _reader, read_only = api_client_for(organisation, scopes=["requests:read"], name="Lecture")
    assert_problem(api.get(f"{URL}/{made.tracking_code}/actions", **read_only), 403)
    assert_problem(post_json(api, f"{URL}/{made.tracking_code}/actions/instruire",
                             {"lock_version": made.lock_version}, read_only), 403)
    other = made_for(voirie_procedure, integration_all[0], answers={"description": "Trou"})
    assert_problem(api.get(f"{URL}/{other.tracking_code}/actions", **integration[1]), 404)
    assert_problem(post_json(api, f"{URL}/{other.tracking_code}/actions/instruire", {"lock_version": 0},
                             integration[1]), 404)
    made.refresh_from_db()
    assert made.status == "recue"


@pytest.mark.parametrize("raw, content_type", [
    ('{"procedure": "acte-api", "answers": {"nom": %s}}' % ("[" * 100_000 + "]" * 100_000), "application/json"),
    ('{"procedure": "acte-api", "answers": {"enfants": [{"prenom_enfant": %s}]}}' % ("[" * 500 + "]" * 500),
     "application/json"),
    ('{"procedure": "acte-api", "answers": {"nombre": 1e400}}', "application/json"),
    ('{"procedure": "acte-api", "answers": {"nombre": %s}}' % ("9" * 40), "application/json"),
    ("[]", "application/json"),
    ("null", "application/json"),
    ("x=1", "application/x-www-form-urlencoded"),
    ("\xff\xfe", "application/json"),
])
def test_odd_bodies_are_problems(api, api_procedure, integration, raw, content_type):
    response = api.post(URL, data=raw, content_type=content_type, **integration[1])
    assert response.status_code in (400, 415, 422), response.status_code
    assert_problem(response, response.status_code)
    assert not ServiceRequest.objects.exists()


def test_errors_in_english_with_the_language_cookie(api, api_procedure, integration):
    from django.conf import settings

    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = assert_problem(post_json(api, URL, submit_body(api_procedure, answers={"inconnu": 1, **valid_answers()}),
                                    integration[1]), 422)
    assert data["errors"][0]["message"] == "This field does not exist in the procedure's form."
    assert data["detail"].startswith("The request was not submitted")
    assert_problem(api.get(f"{URL}/RQ-0000-0000", **integration[1]), 404)["detail"] == (
        "No request with this tracking code is accessible to you.")
