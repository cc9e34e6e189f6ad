"""Review of issue 7: methods in the specification's error format, updates private to the client that sent the
request, FixMyStreet's `deviceid`."""

import datetime
import json

import pytest
from django.utils import timezone

from guichet.api_clients.services import create_client
from guichet.open311.models import Open311Request
from guichet.service_requests.messaging import post_agent_message
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import add_event

from .conftest import report, xml

pytestmark = pytest.mark.django_db


def created(http, api_key, **extra):
    response = http.post("/open311/v2/requests.json", {"api_key": api_key, **report(**extra)})
    assert response.status_code == 200, response.content.decode()
    return ServiceRequest.objects.get(tracking_code=response.json()[0]["service_request_id"])


def test_wrong_method_is_the_specifications_error_in_the_format_asked(http, exposed):
    response = http.put("/open311/v2/requests.xml")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert xml(response).findtext("error/code") == "405"
    response = http.delete("/open311/v2/services.json")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD, OPTIONS"
    assert response.json()[0]["code"] == 405 and "DELETE" in response.json()[0]["description"]
    assert http.post("/open311/v2/discovery.json").status_code == 405


def test_head_and_options(http, exposed):
    head = http.head("/open311/v2/services.xml")
    assert head.status_code == 200 and head["Content-Type"].startswith("text/xml") and head.content == b""
    missing = http.head("/open311/v2/services/inconnu.json")
    assert missing.status_code == 404 and missing.content == b""
    options = http.options("/open311/v2/servicerequestupdates.json")
    assert options.status_code == 204 and options["Allow"] == "GET, POST, HEAD, OPTIONS"


def test_service_messages_go_only_to_the_client_that_sent_the_request(http, organisation, exposed, api_key, agent):
    _client, second_key = create_client(organisation, name="Autre application", scopes=["open311"])
    mine = created(http, api_key)
    theirs = created(http, second_key)
    post_agent_message(mine, agent, "Madame Dupont, une équipe passe jeudi au 12 rue des Lilas.")
    post_agent_message(theirs, agent, "Monsieur Martin, merci pour votre signalement.")
    add_event(theirs, RequestEvent.Kind.REOPENED, visible_to_citizen=True, text="Je suis M. Martin, 06 12 34 56 78")
    add_event(theirs, RequestEvent.Kind.STATUS_CHANGED, actor=agent, visible_to_citizen=True, status_from="recue",
              status_to="acceptee")
    body = http.get("/open311/v2/servicerequestupdates.json", {"api_key": api_key}).content.decode()
    assert "Madame Dupont" in body
    assert "Monsieur Martin" not in body and "06 12 34 56 78" not in body
    window = {"start_date": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
              "end_date": (timezone.now() + datetime.timedelta(hours=1)).isoformat()}
    updates = http.get("/open311/v2/servicerequestupdates.json", {"api_key": api_key, **window}).json()
    about_theirs = [u for u in updates if u["service_request_id"] == theirs.tracking_code]
    assert [u["status"] for u in about_theirs][-1] == "FIXED"  # the statuses stay public
    assert "Demande rouverte" in [u["description"] for u in about_theirs]  # the kind, not the words
    # A request made online in an exposed procedure has no Open311 client: no client gets its messages.
    Open311Request.objects.filter(request=mine).update(api_client=None)
    body = http.get("/open311/v2/servicerequestupdates.json", {"api_key": api_key}).content.decode()
    assert "Madame Dupont" not in body


def test_fixmystreet_deviceid_is_the_device_id(http, exposed, api_key):
    request = created(http, api_key, device_id=None, deviceid="Signalement d'arbre")
    assert request.open311.device_id == "Signalement d'arbre"


@pytest.mark.parametrize("names", [{"first_name": "Alex", "last_name": ""}, {"first_name": None, "last_name": "Alex"}])
def test_a_one_word_name_from_fixmystreet_fills_the_required_name(http, exposed, api_key, names):
    # FixMyStreet: my ($first, $last) = $name =~ /(\w+)\.?\s+(.+)/ → a one-word name has no last name.
    request = created(http, api_key, **names)
    assert request.data["nom"] == "Alex"
    assert request.contact_name == "Alex"


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("extra", [
    {"service_code": "\ud800"}, {"jurisdiction_id": "\udfff"}, {"device_id": "x\ud800"}, {"account_id": "\ud800"},
    {"address_id": "\ud800"}, {"address_string": "12 rue \ud800, 54470 Saint-Aubin"}, {"attribute[nature]": "\ud800"},
    {"attribute[repere]": "\ud800"}, {"email": "a\ud800@b.fr"}, {"first_name": "\ud800", "last_name": "\ud800"},
    {"phone": "\ud800"}, {"media_url": "https://a.fr/\ud800"}, {"\ud800": {"x": 1}},
])
def test_lone_surrogates_in_a_json_body_are_never_a_500(http, exposed, api_key, fmt, extra):
    body = json.dumps({"api_key": api_key, **report(), **extra})  # json.dumps writes "\ud800" as an escape
    response = http.generic("POST", f"/open311/v2/requests.{fmt}", body.encode(), content_type="application/json")
    assert response.status_code in (200, 400, 404), (response.status_code, response.content[:300])
    if response.status_code == 200:
        record = Open311Request.objects.get()
        assert "\ud800" not in record.device_id + record.account_id + record.address_id


def test_lone_surrogates_in_an_update_are_never_a_500(http, exposed, api_key):
    request = created(http, api_key)
    body = json.dumps({"api_key": api_key, "service_request_id": request.tracking_code, "status": "\ud800X",
                       "description": "Vu \udfff", "update_id": "\ud800"})
    response = http.generic("POST", "/open311/v2/servicerequestupdates.xml", body.encode(),
                            content_type="application/json")
    assert response.status_code in (200, 400), response.content[:300]
    assert xml(response) is not None


def test_the_api_key_and_contact_details_never_reach_an_error_report(organisation, exposed, api_key):
    from django.test import RequestFactory
    from django.views.debug import SafeExceptionReporterFilter

    from guichet.open311 import views

    request = RequestFactory().post("/open311/v2/requests.json", {"api_key": api_key, **report()},
                                    HTTP_HOST="saint-aubin.localhost")
    request.organisation = organisation
    assert views.requests(request, fmt="json").status_code == 200
    shown = SafeExceptionReporterFilter().get_post_parameters(request)
    assert shown["api_key"] != api_key and shown["email"] != "alex.dupont@example.org"
    assert shown["service_code"] == "nid-de-poule"


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
                                  b'{"lat": 1' + b"0" * 5000 + b"}"])
def test_deeply_nested_or_huge_json_is_a_400(http, exposed, fmt, body):
    response = http.generic("POST", f"/open311/v2/requests.{fmt}", body, content_type="application/json")
    assert response.status_code == 400
