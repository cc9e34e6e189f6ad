"""Malformed and edge inputs: never a 500, always the specification's error answer in the format asked."""

import json

import pytest
from django.utils import translation

from guichet.api_clients.models import ApiClient
from guichet.service_requests.models import ServiceRequest

from .conftest import report, xml

pytestmark = pytest.mark.django_db


def test_rate_limit_gives_429(http, exposed, api_key):
    ApiClient.objects.update(rate_limit=1)
    assert http.post("/open311/v2/requests.json", {"api_key": api_key, **report()}).status_code == 200
    response = http.post("/open311/v2/requests.xml", {"api_key": api_key, **report()})
    assert response.status_code == 429
    assert xml(response).findtext("error/code") == "429"


def test_control_characters_never_break_the_xml(http, exposed, api_key):
    response = http.post("/open311/v2/requests.json", {"api_key": api_key,
                                                       **report(description="Trou\x00\x07 profond\x1b")})
    assert response.status_code == 200, response.content
    body = http.get("/open311/v2/requests.xml")
    assert xml(body).findtext("request/description") == "Trou profond"


@pytest.mark.parametrize("body", ['{"attribute": {"nature": {"a": 1}}}', '{"lat": {"x": 1}}', '"texte"', "null",
                                  "\xff\xfe"])
def test_odd_json_bodies(http, exposed, body):
    response = http.post("/open311/v2/requests.json", body.encode("latin-1"), content_type="application/json")
    assert response.status_code in (400, 403)
    assert response.json()[0]["code"] == response.status_code


def test_too_long_parameter(http, exposed, api_key):
    response = http.post("/open311/v2/requests.json", {"api_key": api_key, **report(description="x" * 20_000)})
    assert response.status_code == 400


def test_odd_paths_and_methods(http, exposed):
    assert http.put("/open311/v2/requests.json").status_code == 405
    assert http.get("/open311/v2/requests/RQ-XXXX.json").status_code == 404
    assert http.get("/open311/v2/tokens/%00.json").status_code == 404
    assert http.get("/open311/v2/services/a.b.json").status_code == 404
    assert http.get("/open311/v2/requests.XML").status_code == 404
    assert http.get("/open311/v2/" + "services/" + "a" * 300 + ".json").status_code == 404


def test_odd_query_values(http, exposed):
    for params in ({"status": ""}, {"service_request_id": ",,,"}, {"service_code": "x" * 500},
                   {"start_date": "2026-02-30T00:00:00Z"}, {"start_date": "9999-12-31T23:59:59+14:00"},
                   {"end_date": "0001-01-01T00:00:00+00:00"}, {"service_request_id": ",".join(["RQ"] * 101)}):
        response = http.get("/open311/v2/requests.json", params)
        assert response.status_code in (200, 400), (params, response.status_code)


def test_multiple_service_request_ids_are_bounded(http, exposed):
    response = http.get("/open311/v2/requests.json", {"service_request_id": ",".join(["RQ"] * 101)})
    assert response.status_code == 400


def test_english_translation_exists():
    with translation.override("en"):
        from django.utils.translation import gettext

        assert gettext("api_key invalide ou révoqué.") == "Invalid or revoked api_key."


def test_a_refused_submission_leaves_nothing(http, exposed, api_key):
    http.post("/open311/v2/requests.json", {"api_key": api_key, **report(email="")})
    assert not ServiceRequest.objects.exists()


def test_jurisdiction_in_a_json_body(http, exposed, api_key):
    body = {"api_key": api_key, "jurisdiction_id": "montclair", **report()}
    response = http.post("/open311/v2/requests.json", json.dumps(body), content_type="application/json")
    assert response.status_code == 404
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("path", ["tokens/%00.json", "requests/RQ%00.xml", "services/nid%00.json",
                                  "services/%C3%A9t%C3%A9.json", "tokens/ABCDEF.json"])
def test_odd_path_identifiers_are_404(http, exposed, path):
    response = http.get(f"/open311/v2/{path}")
    assert response.status_code == 404


def test_nul_in_a_list_filter(http, exposed):
    assert http.get("/open311/v2/requests.json", {"service_request_id": "RQ\x00"}).json() == []
    assert http.get("/open311/v2/requests.json", {"service_code": "a\x00b"}).status_code == 200


def test_markup_is_escaped_in_xml(http, exposed, api_key):
    text = "<script>alert('x')</script> & </description><pwned/>"
    assert http.post("/open311/v2/requests.json", {"api_key": api_key, **report(description=text)}).status_code == 200
    root = xml(http.get("/open311/v2/requests.xml"))
    assert root.findtext("request/description") == text
    assert root.find(".//pwned") is None and root.find(".//script") is None
