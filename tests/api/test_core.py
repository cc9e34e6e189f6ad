"""The API's core: problem documents for every error, authentication (bearer, session with CSRF), rate limits,
the OpenAPI document (servers, security schemes, declared problems) and the local Swagger UI."""

import json

import pytest
from django.test import Client

from guichet.api_clients import services as clients
from tests.conftest import client_for, host_of

from .conftest import assert_problem, bearer, body, make_api_client

pytestmark = pytest.mark.django_db


def test_unknown_path_is_a_problem_not_the_html_page(anonymous):
    for path in ("/api/v1/nothing-here", "/api/v1/procedures/x/y/z", "/api/v1/"):
        data = assert_problem(anonymous.get(path), 404)
        assert data["code"] == "not_found"
        assert data["instance"] == path
    # Even for a POST without CSRF token (no HTML 403 from the middleware).
    assert_problem(Client(HTTP_HOST="saint-aubin.localhost", enforce_csrf_checks=True).post("/api/v1/nothing"), 404)


def test_wrong_method_is_a_405_problem_with_allow(anonymous, catalogue):
    response = anonymous.delete("/api/v1/procedures")
    data = assert_problem(response, 405)
    assert response["Allow"] == "GET"
    assert "GET" in data["detail"]
    assert_problem(anonymous.post("/api/v1/services", {}, content_type="application/json"), 405)


def test_validation_error_is_422_with_located_french_errors(anonymous, catalogue):
    data = assert_problem(anonymous.get("/api/v1/procedures", {"page": "abc", "page_size": "1000"}), 422)
    assert data["code"] == "validation"
    by_field = {tuple(error["location"]): error for error in data["errors"]}
    assert by_field[("query", "page")]["message"] == "Un nombre entier est attendu."
    assert by_field[("query", "page")]["type"] == "int_parsing"
    assert by_field[("query", "page_size")]["message"] == "Cette valeur est trop grande."
    assert_problem(anonymous.get("/api/v1/sheets/0"), 422)
    assert_problem(anonymous.get("/api/v1/procedures/bad%00slug"), 422)


def test_missing_authentication_is_401_with_www_authenticate(anonymous):
    response = anonymous.get("/api/v1/me")
    data = assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="Guichet"'
    assert "Authorization: Bearer" in data["detail"]
    assert data["code"] == "unauthenticated"


def test_wrong_revoked_or_other_collectivity_secret_is_401(organisation, other_organisation, anonymous):
    client, secret = make_api_client(organisation)
    _other, other_secret = make_api_client(other_organisation)
    assert body(anonymous.get("/api/v1/me", **bearer(secret))) == {
        "kind": "client", "name": "Logiciel état civil", "scopes": sorted(client.scopes), "rate_limit": 1000}
    for wrong in ("gapi_nope", other_secret, ""):
        response = anonymous.get("/api/v1/me", **bearer(wrong))
        data = assert_problem(response, 401)
        assert "WWW-Authenticate" in response
    clients.revoke_client(client)
    data = assert_problem(anonymous.get("/api/v1/me", **bearer(secret)), 401)
    assert "client actif" in data["detail"]
    # The other collectivité's secret works on its own host only.
    assert client_for(other_organisation).get("/api/v1/me", **bearer(other_secret)).status_code == 200


def test_public_endpoint_refuses_an_invalid_bearer_but_needs_none(anonymous, catalogue):
    assert anonymous.get("/api/v1/services").status_code == 200
    response = anonymous.get("/api/v1/services", **bearer("gapi_wrong"))
    assert_problem(response, 401)
    assert response["WWW-Authenticate"]
    assert_problem(anonymous.get("/api/v1/services", HTTP_AUTHORIZATION="Basic Zm9vOmJhcg=="), 401)


def test_rate_limit_is_429_with_retry_after(organisation, anonymous, catalogue):
    _client, secret = make_api_client(organisation, rate_limit=2)
    assert anonymous.get("/api/v1/me", **bearer(secret)).status_code == 200
    assert anonymous.get("/api/v1/services", **bearer(secret)).status_code == 200  # public ones count too
    response = anonymous.get("/api/v1/me", **bearer(secret))
    data = assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert data["code"] == "rate_limited"
    assert "réessayez dans" in data["detail"]
    response = anonymous.get("/api/v1/procedures", **bearer(secret))
    assert_problem(response, 429)
    assert response["Retry-After"]
    # Without the bearer, the public catalogue stays open.
    assert anonymous.get("/api/v1/procedures").status_code == 200


def test_citizen_session_is_accepted_on_its_own_host_only(organisation, other_organisation, citizen, agent):
    response = client_for(organisation, citizen).get("/api/v1/me")
    assert body(response) == {"kind": "citizen", "name": "Camille Martin", "scopes": [], "rate_limit": None}
    # The session cookie of one host is not a session on the other one.
    browser = client_for(organisation, citizen)
    browser.defaults["HTTP_HOST"] = host_of(other_organisation)
    assert_problem(browser.get("/api/v1/me"), 401)
    # An agent's session is not a citizen session.
    assert_problem(client_for(organisation, agent).get("/api/v1/me"), 401)


def test_unexpected_exception_is_a_logged_generic_500(anonymous, catalogue, monkeypatch, caplog):
    from guichet.api import catalogue as module

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(module, "workflow_statuses", broken)
    data = assert_problem(anonymous.get("/api/v1/statuses"), 500)
    assert "secret internals" not in json.dumps(data)
    assert "erreur inattendue" in data["detail"]
    assert any("secret internals" in (record.exc_text or "") or record.exc_info for record in caplog.records
               if record.name == "guichet.api")


def test_api_error_and_404_are_problems(anonymous, catalogue, other_catalogue):
    data = assert_problem(anonymous.get("/api/v1/procedures/montclair-only"), 404)
    assert data["detail"] == "Cet objet n'existe pas dans cette collectivité."
    data = assert_problem(anonymous.get("/api/v1/sheets", {"q": "a"}), 422)
    assert data["errors"][0]["location"] == ["query", "q"]


def test_english_problem_details(anonymous):
    """French by default, even for an English Accept-Language (as the site); English with the language cookie."""
    from django.conf import settings

    assert assert_problem(anonymous.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en"), 401)["title"] == (
        "Authentification requise")
    anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = assert_problem(anonymous.get("/api/v1/me"), 401)
    assert data["title"] == "Authentication required"
    assert data["detail"].startswith("This operation needs")


def test_openapi_document(organisation, anonymous):
    response = anonymous.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = body(response)
    assert schema["openapi"].startswith("3.")
    assert schema["servers"][0]["url"] == "http://saint-aubin.localhost"
    assert schema["servers"][0]["description"] == "Saint-Aubin"
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ClientAuth"] == {"type": "http", "scheme": "bearer", "description": schemes["ClientAuth"][
        "description"]}
    assert schemes["CitizenSession"]["in"] == "cookie"
    assert "Problem" in schema["components"]["schemas"]
    operations = [op for item in schema["paths"].values() for op in item.values()]
    assert len(operations) >= 8
    for operation in operations:
        for status in ("400", "401", "403", "404", "422", "429", "500"):
            response = operation["responses"].get(status) or operation["responses"].get(int(status))
            assert response, (operation["operationId"], status)
            assert list(response["content"]) == ["application/problem+json"]
    listing = schema["paths"]["/api/v1/procedures"]["get"]
    assert listing["security"] == [{}, {"ClientAuth": []}]
    assert schema["paths"]["/api/v1/me"]["get"]["security"] == [{"ClientAuth": []}, {"CitizenSession": []}]
    assert "Retry-After" in listing["responses"]["429"]["headers"]


def test_servers_is_each_hosts_own_url(other_organisation):
    schema = body(client_for(other_organisation).get("/api/v1/openapi.json"))
    assert schema["servers"][0]["url"] == "http://montclair.localhost"


def test_docs_use_local_swagger_assets(anonymous):
    response = anonymous.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "/api/v1/openapi.json" in html
    assert 'data-api-csrf="true"' in html  # Try it out with a citizen's session sends X-CSRFToken


def test_citizen_session_writes_need_the_csrf_token(organisation, citizen, catalogue):
    from guichet.service_requests.models import ServiceRequest

    browser = Client(HTTP_HOST=host_of(organisation), enforce_csrf_checks=True)
    browser.force_login(citizen, backend="guichet.accounts.backends.OrganisationBackend")
    payload = json.dumps({"procedure": "acte-etat-civil",
                          "answers": {"nom": "Martin", "prenom": "Camille", "motif": "naissance"}})
    data = assert_problem(browser.post("/api/v1/requests", payload, content_type="application/json"), 403)
    assert data["code"] == "csrf" and "CSRF" in data["detail"]
    assert not ServiceRequest.objects.exists()
    # Reading needs no token; writing with the token works.
    assert browser.get("/api/v1/me").status_code == 200
    token = "a" * 32
    browser.cookies["csrftoken"] = token
    response = browser.post("/api/v1/requests", payload, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content.decode()
    # Without any session cookie, a write is a 401 (not a CSRF 403).
    assert_problem(Client(HTTP_HOST=host_of(organisation), enforce_csrf_checks=True).post(
        "/api/v1/requests", payload, content_type="application/json"), 401)


def test_the_guides_examples(organisation, anonymous, catalogue, secret):
    """docs/api.md's curl examples, in order, against the final endpoints."""
    auth = bearer(secret)
    assert slugs_of(anonymous.get("/api/v1/procedures?theme=etat-civil&q=acte&page_size=10")) == ["acte-etat-civil"]
    assert slugs_of(anonymous.get("/api/v1/procedures?open311=true")) == ["signalement"]
    form = body(anonymous.get("/api/v1/procedures/acte-etat-civil"))["form"]
    assert [field["id"] for field in form["pages"][0]["fields"]] == ["nom", "prenom", "motif"]
    response = anonymous.post("/api/v1/requests", json.dumps({
        "procedure": "acte-etat-civil", "channel": "phone",
        "contact": {"name": "Alex Dupont", "email": "alex.dupont@example.org"},
        "answers": {"nom": "Dupont", "prenom": "Alex", "motif": "naissance"}}),
        content_type="application/json", **auth)
    assert response.status_code == 201, response.content.decode()
    made = body(response)
    code = made["tracking_code"]
    assert response["Location"] == f"/api/v1/requests/{code}"
    assert made["channel"] == "phone" and made["status"] and made["lock_version"] is not None
    assert body(anonymous.get(f"/api/v1/requests/{code}", **auth))["tracking_code"] == code
    assert body(anonymous.get(f"/api/v1/requests/{code}/timeline", **auth))
    listed = body(anonymous.get("/api/v1/requests?state=open&procedure=acte-etat-civil&limit=50", **auth))
    assert [item["tracking_code"] for item in listed["items"]] == [code] and listed["next"] is None
    message = json.dumps({"text": "Votre acte est prêt, vous pouvez venir le retirer.",
                          "token": "0123456789abcdef0123456789abcdef"})
    first = anonymous.post(f"/api/v1/requests/{code}/messages", message, content_type="application/json", **auth)
    assert first.status_code == 201, first.content.decode()
    again = anonymous.post(f"/api/v1/requests/{code}/messages", message, content_type="application/json", **auth)
    assert again.status_code == 200 and body(again)["id"] == body(first)["id"]
    actions = body(anonymous.get(f"/api/v1/requests/{code}/actions", **auth))
    assert "instruire" in [button["id"] for button in actions["buttons"]]
    pressed = anonymous.post(f"/api/v1/requests/{code}/actions/instruire",
                             json.dumps({"lock_version": actions["lock_version"], "inputs": {}}),
                             content_type="application/json", **auth)
    assert pressed.status_code == 200, pressed.content.decode()
    stale = anonymous.post(f"/api/v1/requests/{code}/actions/accepter",
                           json.dumps({"lock_version": actions["lock_version"], "inputs": {}}),
                           content_type="application/json", **auth)
    assert_problem(stale, 409)


def slugs_of(response):
    assert response.status_code == 200, response.content.decode()[:2000]
    return [item["slug"] for item in body(response)["items"]]
