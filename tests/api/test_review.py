"""Review of the REST API (issue 7): what trying to break it found, each with its test."""

import json
import re
import shlex
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.api.core import problem_bytes
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import add_event, events_written_with
from tests.api.conftest import assert_problem, bearer, body
from tests.api.requests_fixtures import *  # noqa: F403
from tests.api.requests_fixtures import client_for, make_citizen, valid_answers
from tests.api.test_requests import made_for, post_json, submit_body

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests"
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api.md"


# --- problem documents never fail on what they echo ----------------------------------------------------------

def test_a_lone_surrogate_echoed_in_a_problem_is_replaced_not_a_500(api, api_procedure, integration):
    # The choice's refusal names the value sent: "\ud800" cannot be written in UTF-8.
    raw = '{"procedure": "acte-api", "answers": {"nom": "A", "prenom": "B", "motif": "\\ud800"}, ' \
          '"contact": {"name": "A", "email": "a@example.org"}}'
    response = api.post(URL, data=raw, content_type="application/json", **integration[1])
    data = assert_problem(response, 422)
    assert not ServiceRequest.objects.exists()
    assert "\ud800" not in response.content.decode("utf-8")
    # In the key of a dict of a schema (pydantic echoes it in the error's location).
    made = made_for(api_procedure, integration[0])
    response = api.post(f"{URL}/{made.tracking_code}/actions/instruire",
                        data='{"lock_version": 1, "inputs": {"\\ud800": 1}}', content_type="application/json",
                        **integration[1])
    data = assert_problem(response, 422)
    assert set(data["errors"][0]["location"][-1]) == {"\ufffd"}


def test_problem_bytes_is_always_utf8():
    raw = problem_bytes({"detail": "x\ud800y\udfffz", "errors": [{"location": ["\udc00"]}]})
    assert json.loads(raw.decode("utf-8")) == {"detail": "x\ufffdy\ufffdz", "errors": [{"location": ["\ufffd"]}]}


# --- dates that overflow -------------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {"submitted_after": "0001-01-01T00:00:00+14:00"},
    {"submitted_before": "9999-12-31T23:59:59-14:00"},
    {"updated_since": "9999-12-31T23:59:59-14:00", "order": "updated_at"},
    {"submitted_after": "0001-01-01"},
])
def test_dates_at_the_ends_of_the_calendar_are_400_not_500(api, integration, params):
    data = assert_problem(api.get(URL, params, **integration[1]), 400)
    assert data["errors"][0]["location"][0] == "query"


def test_a_cursor_of_year_1_is_refused(api, integration):
    import base64

    raw = json.dumps(["-submitted_at", "0001-01-01T00:00:00+14:00", 1]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    data = assert_problem(api.get(URL, {"cursor": cursor}, **integration[1]), 400)
    assert data["errors"][0]["location"] == ["query", "cursor"]


def test_too_many_query_parameters_are_400_not_500(api, integration):
    many = "&".join(f"p{number}=1" for number in range(1100))
    for url, headers in ((f"{URL}?{many}", integration[1]), (f"/api/v1/procedures?{many}", {})):
        data = assert_problem(api.get(url, **headers), 400)
        assert "1000" in data["detail"]


def test_a_body_of_many_wrong_values_gets_a_short_answer(api, api_procedure, integration):
    from guichet.api.core import MAX_LISTED_ERRORS
    from guichet.api.request_schemas import MAX_ANSWERS

    contact = {"name": "A", "email": "a@example.org"}
    many = {f"inconnu{number}": 1 for number in range(MAX_ANSWERS + 1)}
    response = post_json(api, URL, {"procedure": "acte-api", "answers": many, "contact": contact}, integration[1])
    data = assert_problem(response, 422)
    assert data["errors"][0]["location"][-1] == "answers" and len(response.content) < 2000
    # Each refusal of the answers is listed, up to MAX_LISTED_ERRORS.
    some = {f"inconnu{number}": 1 for number in range(MAX_ANSWERS)}
    data = assert_problem(post_json(api, URL, {"procedure": "acte-api", "answers": some, "contact": contact},
                                    integration[1]), 422)
    assert len(data["errors"]) == MAX_LISTED_ERRORS
    # ninja's own validation errors too (a typed dict of a million wrong values).
    made = made_for(api_procedure, integration[0])
    inputs = {f"k{number}": number for number in range(5000)}
    data = assert_problem(post_json(api, f"{URL}/{made.tracking_code}/actions/completer",
                                    {"lock_version": made.lock_version, "inputs": inputs}, integration[1]), 422)
    assert len(data["errors"]) == MAX_LISTED_ERRORS
    assert not ServiceRequest.objects.exclude(pk=made.pk).exists()


def test_new_messages_in_english(api, integration):
    from django.conf import settings

    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = assert_problem(api.get(URL, {"submitted_after": "0001-01-01"}, **integration[1]), 400)
    assert data["detail"] == "Date out of range: the year goes from 1900 to 2999."
    many = "&".join(f"p{number}=1" for number in range(1100))
    assert assert_problem(api.get(f"{URL}?{many}", **integration[1]), 400)["detail"] == (
        "The request has too many parameters (1000 at most).")


# --- the timeline stays append-only --------------------------------------------------------------------------

def _event_updates(queries):
    table = RequestEvent._meta.db_table
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE") and table in q["sql"]]


def test_events_of_a_client_are_written_with_it_never_updated(api, api_procedure, integration, citizen):
    client, headers = integration
    with CaptureQueriesContext(connection) as submitted:
        response = post_json(api, URL, submit_body(api_procedure), headers)
    assert response.status_code == 201, response.content.decode()
    made = ServiceRequest.objects.get(tracking_code=body(response)["tracking_code"])
    code = made.tracking_code
    with CaptureQueriesContext(connection) as messaged:
        assert post_json(api, f"{URL}/{code}/messages", {"text": "Bonjour."}, headers).status_code == 201
    with CaptureQueriesContext(connection) as pressed:
        response = post_json(api, f"{URL}/{code}/actions/instruire", {"lock_version": made.lock_version}, headers)
    assert response.status_code == 200, response.content.decode()
    for queries in (submitted, messaged, pressed):
        assert _event_updates(queries.captured_queries) == []
    stamp = {"api_client": client.pk, "api_client_name": client.name}
    for kind in ("created", "submitted", "message_agent", "status_changed"):
        events = list(made.events.filter(kind=kind))
        assert events and all({key: event.data.get(key) for key in stamp} == stamp for event in events), kind
    # What the event's own data says is kept (the channel of the CREATED event).
    assert made.events.get(kind="created").data["channel"] == "api"
    # Events written outside the API carry nothing.
    later = add_event(made, RequestEvent.Kind.NOTE, text="Note")
    assert "api_client" not in later.data


def test_events_written_with_nests_restores_and_yields_to_the_callers_data(api_procedure, integration):
    made = made_for(api_procedure, integration[0])
    with events_written_with(api_client=1, a="outer"):
        with events_written_with(a="inner"):
            inner = add_event(made, RequestEvent.Kind.ACTION, data={"own": True})
        outer = add_event(made, RequestEvent.Kind.ACTION, data={"a": "given"})
    after = add_event(made, RequestEvent.Kind.ACTION)
    assert inner.data == {"api_client": 1, "a": "inner", "own": True}
    assert outer.data == {"api_client": 1, "a": "given"}
    assert after.data == {}


def test_a_refused_press_leaves_no_stamp_behind(api, api_procedure, integration):
    made = made_for(api_procedure, integration[0])
    response = post_json(api, f"{URL}/{made.tracking_code}/actions/completer", {"lock_version": made.lock_version},
                         integration[1])
    assert_problem(response, 422)
    assert "api_client" not in add_event(made, RequestEvent.Kind.ACTION).data


# --- public names of other apps' helpers ---------------------------------------------------------------------

def test_helpers_used_by_the_api_are_public():
    from guichet.citizen_records import services as citizen_records
    from guichet.service_requests import status

    assert callable(citizen_records.refuse_unless_may_enter) and callable(status.visible_status)
    assert callable(status.citizen_titles)
    source = "".join((Path(__file__).resolve().parents[2] / "src/guichet/api" / name).read_text()
                     for name in ("requests.py", "request_services.py", "submission.py"))
    assert not re.search(r"import[^\n]*\b_(refuse_unless_may_enter|titles|status)\b", source)


# --- who reads what ------------------------------------------------------------------------------------------

def test_drafts_and_anonymised_requests_are_404_withdrawn_ones_stay_the_owners(
        organisation, api, api_procedure, integration, citizen):
    from guichet.service_requests.services import create_draft
    from guichet.service_requests.withdrawal import withdraw

    draft = create_draft(api_procedure.current_version, citizen=citizen, entered_by=None, channel="web",
                         actor=citizen)
    browser = client_for(organisation, citizen)
    for caller, headers in ((api, integration[1]), (browser, {})):
        assert_problem(caller.get(f"{URL}/{draft.tracking_code}", **headers), 404)
        assert_problem(caller.get(f"{URL}/{draft.tracking_code}/timeline", **headers), 404)
        assert_problem(post_json(caller, f"{URL}/{draft.tracking_code}/messages", {"text": "x"}, headers), 404)
        assert draft.tracking_code not in json.dumps(body(caller.get(URL, **headers)))
    anonymised = made_for(api_procedure, integration[0], citizen=citizen)
    ServiceRequest.objects.filter(pk=anonymised.pk).update(anonymised_at=anonymised.submitted_at)
    for caller, headers in ((api, integration[1]), (browser, {})):
        assert_problem(caller.get(f"{URL}/{anonymised.tracking_code}", **headers), 404)
        assert_problem(caller.get(f"{URL}/{anonymised.tracking_code}/actions", **integration[1]), 404)
    withdrawn = made_for(api_procedure, integration[0], citizen=citizen)
    withdraw(withdrawn, citizen)
    assert body(browser.get(f"{URL}/{withdrawn.tracking_code}"))["state"] == "withdrawn"
    other = make_citizen(organisation, email="autre@example.org")
    assert_problem(client_for(organisation, other).get(f"{URL}/{withdrawn.tracking_code}"), 404)


def test_a_citizen_cannot_find_out_an_internal_status_by_filtering(organisation, api, api_procedure, integration,
                                                                    citizen):
    made = made_for(api_procedure, integration[0], citizen=citizen)
    pressed = post_json(api, f"{URL}/{made.tracking_code}/actions/instruire", {"lock_version": made.lock_version},
                        integration[1])
    assert pressed.status_code == 200  # « instruction » is internal: the citizen is shown « recue »
    browser = client_for(organisation, citizen)
    assert [item["status"]["id"] for item in body(browser.get(URL))["items"]] == ["recue"]
    for status in ("instruction", "recue"):
        data = assert_problem(browser.get(URL, {"status": status}), 400)
        assert data["errors"][0]["location"] == ["query", "status"]
    assert [item["tracking_code"] for item in body(api.get(URL, {"status": "instruction"}, **integration[1]))[
        "items"]] == [made.tracking_code]


def test_a_citizen_does_not_see_when_agents_work_internally(organisation, api, api_procedure, integration,
                                                             citizen, agent):
    made = made_for(api_procedure, integration[0], citizen=citizen)
    browser = client_for(organisation, citizen)
    before = body(browser.get(f"{URL}/{made.tracking_code}"))
    listed = body(browser.get(URL))["items"][0]
    assert before["updated_at"] == listed["updated_at"] and before["lock_version"] is None
    import datetime

    later = made.submitted_at + datetime.timedelta(hours=2)
    add_event(made, RequestEvent.Kind.NOTE, actor=agent, text="Note interne", at=later)
    add_event(made, RequestEvent.Kind.VIEWED, actor=agent, at=later)
    after = body(browser.get(f"{URL}/{made.tracking_code}"))
    assert after["updated_at"] == before["updated_at"] == body(browser.get(URL))["items"][0]["updated_at"]
    for params in ({"updated_since": "2000-01-01T00:00:00Z"}, {"order": "updated_at"}):
        data = assert_problem(browser.get(URL, params), 400)
        assert data["errors"][0]["location"][0] == "query"
    # A message to the citizen is a change they see.
    add_event(made, RequestEvent.Kind.MESSAGE_AGENT, actor=agent, visible_to_citizen=True, text="Bonjour",
              at=later + datetime.timedelta(minutes=1))
    seen = body(browser.get(f"{URL}/{made.tracking_code}"))["updated_at"]
    assert seen > before["updated_at"] and seen == body(browser.get(URL))["items"][0]["updated_at"]
    # The client reads the real ones.
    client_view = body(api.get(f"{URL}/{made.tracking_code}", **integration[1]))
    assert client_view["lock_version"] == made.lock_version


def test_the_citizens_timeline_never_names_an_internal_status_it_left(organisation, api, api_procedure,
                                                                        integration, citizen):
    made = made_for(api_procedure, integration[0], citizen=citizen)
    code, headers = made.tracking_code, integration[1]
    made.refresh_from_db()
    assert post_json(api, f"{URL}/{code}/actions/instruire", {"lock_version": made.lock_version},
                     headers).status_code == 200
    assert post_json(api, f"{URL}/{code}/messages", {"text": "Accordé.", "answer": True}, headers).status_code == 201
    made.refresh_from_db()
    pressed = post_json(api, f"{URL}/{code}/actions/accepter", {"lock_version": made.lock_version}, headers)
    assert pressed.status_code == 200, pressed.content.decode()
    events = body(client_for(organisation, citizen).get(f"{URL}/{code}/timeline"))
    accepted = [event for event in events if event["status_to"] == "acceptee"]
    assert accepted and accepted[0]["status_from"] is None  # it was « instruction », internal
    assert "instruction" not in json.dumps(events) and "Contrôle interne" not in json.dumps(events)
    client_events = body(api.get(f"{URL}/{code}/timeline", **headers))
    assert [event["status_from"] for event in client_events if event["status_to"] == "acceptee"] == ["instruction"]


def test_a_citizens_session_is_nothing_on_another_collectivites_host(organisation, other_organisation,
                                                                      api_procedure, integration, citizen):
    from tests.conftest import host_of

    made = made_for(api_procedure, integration[0], citizen=citizen)
    browser = client_for(organisation, citizen)
    assert body(browser.get(URL))["items"]
    browser.defaults["HTTP_HOST"] = host_of(other_organisation)  # the same cookie sent to Montclair
    for url in (URL, f"{URL}/{made.tracking_code}", f"{URL}/{made.tracking_code}/timeline", "/api/v1/me"):
        assert_problem(browser.get(url), 401)
    assert_problem(post_json(browser, f"{URL}/{made.tracking_code}/messages", {"text": "x"}), 401)
    # A Montclair citizen's session on Saint-Aubin's host.
    stranger = make_citizen(other_organisation, email="montclair@example.org")
    foreign = client_for(other_organisation, stranger)
    foreign.defaults["HTTP_HOST"] = host_of(organisation)
    assert_problem(foreign.get(URL), 401)
    assert_problem(foreign.get(f"{URL}/{made.tracking_code}"), 401)


def test_without_requests_read_a_client_reads_no_personal_data(organisation, api, api_procedure, integration,
                                                               citizen):
    """requests:write alone submitted for any citizen id and read their profile back in the pre-filled answers;
    workflow:act alone read the whole request in the answer of a button."""
    from tests.api.requests_fixtures import api_client_for

    citizen.last_name, citizen.first_name = "Secret-Nom", "Secret-Prénom"
    citizen.save()
    _writer, write_only = api_client_for(organisation, scopes=["requests:write"], name="Dépôt seul")
    response = post_json(api, URL, {"procedure": api_procedure.slug, "answers": {"motif": "naissance"},
                                    "citizen": citizen.pk}, write_only)
    assert response.status_code == 201, response.content.decode()
    data = body(response)
    assert "Secret" not in response.content.decode()
    assert data["answers"] == {} and data["summary"] == [] and data["citizen"] is None and data["contact"] is None
    assert data["tracking_code"] and data["status"]["id"] == "recue"
    made = ServiceRequest.objects.get(tracking_code=data["tracking_code"])
    assert made.data["nom"] == "Secret-Nom"  # the request itself is complete
    _actor, act_only = api_client_for(organisation, scopes=["workflow:act"], name="Boutons seuls")
    pressed = post_json(api, f"{URL}/{made.tracking_code}/actions/instruire", {"lock_version": made.lock_version},
                        act_only)
    assert pressed.status_code == 200, pressed.content.decode()
    assert "Secret" not in pressed.content.decode() and body(pressed)["status"]["id"] == "instruction"
    # With requests:read, everything.
    full = body(api.get(f"{URL}/{made.tracking_code}", **integration[1]))
    assert full["answers"]["nom"] == "Secret-Nom" and full["citizen"] == citizen.pk


def test_a_citizens_message_needs_the_csrf_token(organisation, api_procedure, integration, citizen):
    from django.test import Client

    from tests.conftest import host_of

    made = made_for(api_procedure, integration[0], citizen=citizen)
    browser = Client(HTTP_HOST=host_of(organisation), enforce_csrf_checks=True)
    browser.force_login(citizen, backend="guichet.accounts.backends.OrganisationBackend")
    url = f"{URL}/{made.tracking_code}/messages"
    assert assert_problem(post_json(browser, url, {"text": "Sans jeton"}), 403)["code"] == "csrf"
    assert not made.events.filter(kind="message_citizen").exists()
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    browser.cookies["csrftoken"] = secret
    response = browser.post(url, json.dumps({"text": "Avec jeton"}), content_type="application/json",
                            HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret))
    assert response.status_code == 201, response.content.decode()


def test_a_client_limited_to_a_service_cannot_touch_the_others(
        api, organisation, api_procedure, voirie_procedure, integration, integration_all):
    other = made_for(voirie_procedure, integration_all[0], answers={"description": "Trou"})
    code = other.tracking_code
    headers = integration[1]
    assert_problem(post_json(api, f"{URL}/{code}/messages", {"text": "x"}, headers), 404)
    assert_problem(post_json(api, f"{URL}/{code}/actions/instruire", {"lock_version": other.lock_version},
                             headers), 404)
    assert code not in json.dumps(body(api.get(URL, {"service": "voirie"}, **headers)))
    other.refresh_from_db()
    assert other.status == "recue" and not other.events.filter(kind="message_agent").exists()


# --- the guide's examples, read from docs/api.md -------------------------------------------------------------

def _guide_commands():
    """The curl commands of docs/api.md's « Examples » section, in order, as (method, path, headers, body)."""
    text = GUIDE.read_text(encoding="utf-8").split("## Examples", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        lexer = shlex.shlex(block.replace("\\\n", " "), posix=True)
        lexer.whitespace_split, lexer.commenters = True, "#"
        words = list(lexer)
        starts = [index for index, word in enumerate(words) if word == "curl"]
        for start, end in zip(starts, [*starts[1:], len(words)]):
            method, path, headers, data = "GET", None, [], None
            index = start + 1
            while index < end:
                word = words[index]
                if word == "-X":
                    method, index = words[index + 1], index + 2
                elif word == "-H":
                    headers.append(words[index + 1])
                    index += 2
                elif word == "-d":
                    data, index = words[index + 1], index + 2
                else:
                    path, index = word, index + 1
            commands.append((method, path, headers, data))
    return commands


def test_the_guides_curl_lines_are_replayed_from_the_file(organisation, anonymous, catalogue, secret):
    commands = _guide_commands()
    assert len(commands) >= 8
    code = None
    for method, path, headers, data in commands:
        assert path.startswith("$API/"), path
        url = "/api/v1/" + path[len("$API/"):]
        if code:
            url = url.replace("RQ-XXXX-XXXX", code)
        extra = {}
        for header in headers:
            if header == "$AUTH":
                extra.update(bearer(secret))
            else:
                assert header == "Content-Type: application/json", header
        if method == "POST":
            response = anonymous.post(url, data, content_type="application/json", **extra)
        else:
            assert method == "GET"
            response = anonymous.get(url, **extra)
        assert response.status_code in (200, 201), (method, url, response.content.decode()[:500])
        if method == "POST" and url == "/api/v1/requests":
            code = body(response)["tracking_code"]
            assert response["Location"] == f"/api/v1/requests/{code}"
    assert code is not None


# --- OpenAPI -------------------------------------------------------------------------------------------------

def test_every_operation_is_described_in_french_with_the_right_security(anonymous):
    schema = body(anonymous.get("/api/v1/openapi.json"))
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = (method, path)
            assert operation.get("summary") and operation.get("description"), where
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), (where, parameter["name"])
            security = operation["security"]
            if path.startswith("/api/v1/requests") or path == "/api/v1/me":
                assert {} not in security, where
                expected = [{"ClientAuth": []}] if "/actions" in path else [{"ClientAuth": []},
                                                                             {"CitizenSession": []}]
                assert security == expected, where
            else:
                assert security == [{}, {"ClientAuth": []}], where
            for status in ("400", "401", "404", "422", "429", "500"):
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], (where, status)


# --- query counts --------------------------------------------------------------------------------------------

def test_timeline_costs_the_same_whatever_its_length(organisation, api, api_procedure, integration, citizen, agent,
                                                     django_assert_max_num_queries):
    made = made_for(api_procedure, integration[0], citizen=citizen)
    browser = client_for(organisation, citizen)
    url = f"{URL}/{made.tracking_code}/timeline"
    api.get(url, **integration[1])  # the client's last_used_at is written once a minute: not counted below
    for number in range(30):
        add_event(made, RequestEvent.Kind.MESSAGE_AGENT, actor=agent, visible_to_citizen=True, text=f"M{number}")
        add_event(made, RequestEvent.Kind.NOTE, actor=agent, text=f"N{number}")
    # Host (2), client and its rate window (2), its services, the request, its events.
    with django_assert_max_num_queries(8):
        events = body(api.get(url, **integration[1]))
    assert len([event for event in events if event["kind"] == "message_agent"]) == 30
    assert all(event["actor_name"] for event in events if event["kind"] == "message_agent")
    assert "note" not in {event["kind"] for event in events}
    # Host (2), session and user (2), the request, its events.
    with django_assert_max_num_queries(7):
        events = body(browser.get(url))
    assert [event["text"] for event in events if event["kind"] == "message_agent"][-1] == "M29"



def test_schema_components_are_not_shadowed(anonymous):
    """Two schemas of the same class name are one OpenAPI component: the catalogue's statuses (with `visible`)
    were described by the requests' StatusOut."""
    import inspect

    from ninja import Schema

    import guichet.api.catalogue
    import guichet.api.core
    import guichet.api.request_schemas
    import guichet.api.requests
    import guichet.api.schemas

    owners = {}
    for module in (guichet.api.catalogue, guichet.api.core, guichet.api.request_schemas, guichet.api.requests,
                   guichet.api.schemas):
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Schema) and value.__module__ == module.__name__:
                owners.setdefault(name, set()).add(value)
    assert {name: classes for name, classes in owners.items() if len(classes) > 1} == {}
    components = body(anonymous.get("/api/v1/openapi.json"))["components"]["schemas"]
    assert "visible" in components["StatusOut"]["properties"]
    assert set(components["RequestStatus"]["properties"]) == {"id", "label", "final"}
