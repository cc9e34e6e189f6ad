"""Cross-collectivité access through the REST API (/api/v1/) and Open311 (/open311/v2/), tried like in the UI:

- Saint-Aubin's client secret presented on Montclair's host is refused (401 on the REST API, 403 for Open311's
  api_key) on every operation, and nothing is written;
- on Saint-Aubin's own host, with Saint-Aubin's client (every scope), Montclair's tracking codes, Open311
  tokens, procedure slugs, service codes and sheets are 404 and never listed, and nothing is written.

The REST operations are read from the OpenAPI document at test time, so that every operation added later is
tried too (a path parameter or a body this file does not know fails the test: add it to PATH_VALUES / BODIES).
"""

import json
import re

import pytest

from guichet.api.submission import submit_answers
from guichet.api_clients import services as clients
from guichet.api_clients.models import Scope
from guichet.service_requests.models import RequestEvent, ServiceRequest
from tests.conftest import client_for, make_citizen, make_service
from tests.knowledge.conftest import make_sheet, make_theme
from tests.open311.conftest import FORM as OPEN311_FORM
from tests.open311.conftest import report
from tests.service_requests.conftest import WORKFLOW, make_procedure

pytestmark = pytest.mark.django_db

ALL_SCOPES = list(Scope.values)
OPEN311 = "/open311/v2/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _exposed(organisation, service, slug="nid-de-poule"):
    procedure = make_procedure(organisation, service, slug=slug, title="Signaler un nid-de-poule", who="anyone",
                               form=OPEN311_FORM, workflow=WORKFLOW)
    procedure.open311 = True
    procedure.save()
    return procedure


@pytest.fixture
def saint_aubin(organisation, service):
    """Saint-Aubin's client with every scope (REST and Open311), and its own procedures (the same slug
    « nid-de-poule » as Montclair's, so that the host decides which one is meant)."""
    _exposed(organisation, service)
    make_procedure(organisation, service)
    client, secret = clients.create_client(organisation, name="Intégration Saint-Aubin", scopes=ALL_SCOPES,
                                           rate_limit=10_000)
    http = client_for(organisation)
    answer = http.post(f"{OPEN311}requests.json", report(api_key=secret))
    assert answer.status_code in (200, 201), answer.content.decode()
    # Its own request: the positive control of the listings (they do list Saint-Aubin's requests).
    own = json.loads(answer.content)[0]["service_request_id"]
    return {"client": client, "secret": secret, "http": http, "own": own}


@pytest.fixture
def montclair(other_organisation):
    """Montclair's procedures (one only Montclair has), a request filed through the REST services, one filed
    through Open311 (with its token), a public sheet, and its own client."""
    roads = make_service(other_organisation, name="Voirie", slug="voirie")
    exposed = _exposed(other_organisation, roads)
    only = _exposed(other_organisation, roads, slug="montclair-seulement")
    civil = make_procedure(other_organisation, roads, slug="acte-montclair", title="Acte de Montclair")
    own, own_secret = clients.create_client(other_organisation, name="FixMyStreet Montclair", scopes=ALL_SCOPES,
                                            rate_limit=10_000)
    citizen = make_citizen(other_organisation, email="habitant@montclair.example.org")
    filed = submit_answers(civil.current_version, {"nom": "Martin", "prenom": "Camille", "motif": "naissance"},
                           channel=ServiceRequest.Channel.API, citizen=citizen, api_client=own)
    http = client_for(other_organisation)
    answer = http.post(f"{OPEN311}requests.json", report(api_key=own_secret, address_string="1 place de la Mairie"))
    assert answer.status_code in (200, 201), answer.content.decode()
    posted = json.loads(answer.content)[0]
    sheet = make_sheet(other_organisation, make_theme(other_organisation, name="Propreté"), roads,
                       question="Graffitis à Montclair ?", answer="<p>Montclair.</p>", is_public=True)
    return {"requests": [filed.tracking_code, posted["service_request_id"]], "token": posted["token"],
            "exposed": exposed, "only": only, "civil": civil, "sheet": sheet, "http": http, "secret": own_secret,
            "organisation": other_organisation}


def _snapshot():
    """What a refused call must not change."""
    return (ServiceRequest.objects.count(), RequestEvent.objects.count(),
            list(ServiceRequest.objects.order_by("pk").values_list("pk", "status", "lock_version")))


def _operations():
    """(method, path template, operation) of every operation of the REST API's OpenAPI document."""
    from guichet.api.core import api

    schema = api.get_openapi_schema()
    found = [(method.upper(), path, operation) for path, operations in schema["paths"].items()
             for method, operation in operations.items() if method in {"get", "post", "put", "patch", "delete"}]
    assert found
    return found


def _path(template, values):
    def value(match):
        name = match.group(1)
        assert name in values, f"path parameter {name!r} of {template}: add it to the test's values"
        return str(values[name])

    return re.sub(r"\{([^}]+)\}", value, template)


def _call(http, method, path, body, secret):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if method == "GET":
        return http.get(path, **headers)
    return http.generic(method, path, json.dumps(body), content_type="application/json", **headers)


def _bodies(montclair, lock_version=0):
    return {
        "submit_request": {"procedure": montclair["civil"].slug, "channel": "api",
                           "answers": {"nom": "Martin", "prenom": "Camille", "motif": "naissance"}},
        "post_request_message": {"text": "Bonjour, votre demande est traitée."},
        "press_request_action": {"lock_version": lock_version, "inputs": {}},
    }


def _montclair_values(montclair, tracking_code):
    return {"tracking_code": tracking_code, "slug": montclair["only"].slug, "sheet_id": montclair["sheet"].pk,
            "button_id": WORKFLOW["statuses"][0]["buttons"][0]["id"], "service_code": montclair["only"].slug}


def _is_problem(response, status):
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    data = json.loads(response.content)
    return data["status"] == status and data["detail"]


# --- REST API ----------------------------------------------------------------------------------------------------


def test_saint_aubin_s_secret_is_refused_on_every_rest_operation_of_montclair(saint_aubin, montclair):
    before = _snapshot()
    values = _montclair_values(montclair, montclair["requests"][0])
    tried = []
    for method, template, operation in _operations():
        body = _bodies(montclair).get(operation.get("operationId"), {})
        response = _call(montclair["http"], method, _path(template, values), body, saint_aubin["secret"])
        assert response.status_code == 401, (method, template, response.status_code, response.content[:500])
        assert _is_problem(response, 401)
        tried.append(f"{method} {template}")
    assert "GET /api/v1/me" in tried
    assert _snapshot() == before
    # Montclair's own client is answered there (the refusal is the secret's collectivité, not the call).
    assert montclair["http"].get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {montclair['secret']}").status_code == 200


def test_montclair_s_objects_are_404_through_saint_aubin_s_rest_api(saint_aubin, montclair):
    before = _snapshot()
    http, secret = saint_aubin["http"], saint_aubin["secret"]
    tried = []
    for tracking_code in montclair["requests"]:
        values = _montclair_values(montclair, tracking_code)
        lock = ServiceRequest.objects.get(tracking_code=tracking_code).lock_version
        for method, template, operation in _operations():
            if "{" not in template:
                continue
            body = _bodies(montclair, lock).get(operation.get("operationId"), {})
            response = _call(http, method, _path(template, values), body, secret)
            assert response.status_code == 404, (method, template, response.status_code, response.content[:500])
            assert _is_problem(response, 404)
            tried.append(f"{method} {template}")
    assert any("{tracking_code}" in name for name in tried), tried
    if "GET /api/v1/requests/{tracking_code}" in tried:  # the positive control: its own request is read
        assert http.get(f"/api/v1/requests/{saint_aubin['own']}", HTTP_AUTHORIZATION=f"Bearer {secret}"
                        ).status_code == 200
    assert _snapshot() == before


def test_montclair_s_objects_are_never_listed_by_saint_aubin_s_rest_api(saint_aubin, montclair):
    http, secret = saint_aubin["http"], saint_aubin["secret"]
    secrets = [montclair["secret"], montclair["civil"].slug, montclair["only"].slug, "Graffitis à Montclair",
               "Voirie", "habitant@montclair", *montclair["requests"]]
    listed = [(method, template) for method, template, _operation in _operations()
              if method == "GET" and "{" not in template]
    if any(template == "/api/v1/requests" for _method, template in listed):
        response = http.get("/api/v1/requests", HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert saint_aubin["own"] in response.content.decode()  # the positive control
    for _method, template in listed:
        for query in ("", f"?procedure={montclair['civil'].slug}", "?service=voirie", "?limit=100"):
            response = http.get(template + query, HTTP_AUTHORIZATION=f"Bearer {secret}")
            assert response.status_code in (200, 404, 422), (template, query, response.status_code)
            text = response.content.decode()
            for value in secrets:
                assert value not in text and json.dumps(value)[1:-1] not in text, (template, query, value)


def test_montclair_s_procedure_cannot_be_submitted_on_saint_aubin_s_host(saint_aubin, montclair):
    from guichet.api.core import api

    assert "submit_request" in json.dumps(api.get_openapi_schema())
    before = ServiceRequest.objects.filter(organisation=montclair["organisation"]).count()
    for slug in (montclair["civil"].slug, montclair["only"].slug):
        response = saint_aubin["http"].post(
            "/api/v1/requests", json.dumps({**_bodies(montclair)["submit_request"], "procedure": slug}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {saint_aubin['secret']}")
        assert response.status_code in (404, 422), response.content[:500]
        assert response["Content-Type"].startswith("application/problem+json")
    assert ServiceRequest.objects.filter(organisation=montclair["organisation"]).count() == before
    assert ServiceRequest.objects.filter(organisation=saint_aubin["client"].organisation).count() == 1


# --- Open311 -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_saint_aubin_s_api_key_is_refused_by_montclair_s_open311(saint_aubin, montclair, fmt):
    before = _snapshot()
    key, http, code = saint_aubin["secret"], montclair["http"], montclair["requests"][1]
    calls = [
        ("post", f"{OPEN311}requests.{fmt}", report(api_key=key)),
        ("post", f"{OPEN311}requests.{fmt}", report(api_key=key, service_code="montclair-seulement")),
        ("post", f"{OPEN311}servicerequestupdates.{fmt}",
         {"api_key": key, "service_request_id": code, "description": "Toujours là.", "status": "OPEN",
          "update_id": "42", "updated_datetime": "2026-12-01T10:00:00+01:00"}),
        ("get", f"{OPEN311}servicerequestupdates.{fmt}", {"api_key": key}),
    ]
    for method, path, data in calls:
        response = getattr(http, method)(path, data)
        assert response.status_code == 403, (method, path, response.status_code, response.content[:500])
        assert "api_key" in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_montclair_s_codes_and_tokens_are_404_on_saint_aubin_s_open311(saint_aubin, montclair, fmt):
    before = _snapshot()
    key, http = saint_aubin["secret"], saint_aubin["http"]
    for code in montclair["requests"]:
        for path in (f"{OPEN311}requests/{code}.{fmt}", f"{OPEN311}requests/{code.lower()}.{fmt}"):
            response = http.get(path, {"api_key": key})
            assert response.status_code == 404, (path, response.content[:500])
        response = http.post(f"{OPEN311}servicerequestupdates.{fmt}", {
            "api_key": key, "service_request_id": code, "description": "Message glissé", "status": "OPEN",
            "update_id": "7", "updated_datetime": "2026-12-01T10:00:00+01:00"})
        assert response.status_code == 404, response.content[:500]
    assert http.get(f"{OPEN311}tokens/{montclair['token']}.{fmt}").status_code == 404
    assert http.get(f"{OPEN311}services/montclair-seulement.{fmt}").status_code == 404
    response = http.post(f"{OPEN311}requests.{fmt}", report(api_key=key, service_code="montclair-seulement"))
    assert response.status_code == 404, response.content[:500]
    assert http.get(f"{OPEN311}discovery.{fmt}", {"jurisdiction_id": "montclair"}).status_code == 404
    assert http.get(f"{OPEN311}services.{fmt}", {"jurisdiction_id": "montclair.localhost"}).status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_montclair_s_requests_are_never_listed_by_saint_aubin_s_open311(saint_aubin, montclair, fmt):
    key, http = saint_aubin["secret"], saint_aubin["http"]
    codes = montclair["requests"]
    pages = [
        http.get(f"{OPEN311}requests.{fmt}", {"service_request_id": ",".join(codes)}),
        http.get(f"{OPEN311}requests.{fmt}"),
        http.get(f"{OPEN311}requests.{fmt}", {"service_code": "montclair-seulement"}),
        http.get(f"{OPEN311}requests.{fmt}", {"service_code": "nid-de-poule"}),
        http.get(f"{OPEN311}services.{fmt}"),
        http.get(f"{OPEN311}services/nid-de-poule.{fmt}"),
        http.get(f"{OPEN311}discovery.{fmt}"),
        http.get(f"{OPEN311}servicerequestupdates.{fmt}", {"api_key": key}),
    ]
    assert saint_aubin["own"] in pages[1].content.decode()  # the positive control
    for page in pages:
        assert page.status_code == 200, page.content[:500]
        text = page.content.decode()
        for value in (*codes, "montclair-seulement", "1 place de la Mairie", "montclair.localhost"):
            assert value not in text, (page.request["PATH_INFO"], value)
