"""POST requests, tokens, GET requests and requests/{id}: the specification's examples and bad inputs."""

import datetime
import json

import pytest
from django.utils import timezone

from guichet.open311.models import Open311Request
from guichet.service_requests.models import RequestEvent, ServiceRequest

from .conftest import report, xml

pytestmark = pytest.mark.django_db


def post(http, fmt="json", **data):
    return http.post(f"/open311/v2/requests.{fmt}", data)


def created(http, api_key, **extra):
    response = post(http, api_key=api_key, **report(**extra))
    assert response.status_code == 200, response.content.decode()
    return ServiceRequest.objects.get(tracking_code=response.json()[0]["service_request_id"])


def test_post_request_like_the_specification(http, exposed, api_key):
    response = post(http, api_key=api_key, **report(**{"attribute[danger]": "true",
                                                        "attribute[genres][]": ["pietons", "velos"],
                                                        "attribute[taille]": "30",
                                                        "attribute[constat]": "2026-11-30T08:00:00+01:00"}))
    assert response.status_code == 200, response.content
    (item,) = response.json()
    # The wiki: [{"service_request_id": …, "service_notice": …, "account_id": …}] (and the token).
    assert set(item) == {"service_request_id", "token", "service_notice", "account_id"}
    assert item["account_id"] == "fms-7"
    assert item["service_notice"] == "Délai de traitement : 30 jours."
    request = ServiceRequest.objects.get(tracking_code=item["service_request_id"])
    assert request.is_submitted and request.channel == ServiceRequest.Channel.API
    assert request.data["nature"] == "nid"
    assert request.data["danger"] is True
    assert request.data["genres"] == ["pietons", "velos"]
    assert request.data["taille"] == "30"
    assert request.data["constat"] == "2026-11-30"
    assert request.data["precisions"] == "Un trou profond devant l'école."
    assert request.data["nom"] == "Dupont" and request.data["prenom"] == "Alex"
    assert request.data["lieu"]["street"] == "12 rue des Lilas"
    assert request.data["lieu"]["postcode"] == "54470"
    assert (request.latitude, request.longitude) == (48.6921, 6.1844)
    assert request.contact_email == "alex.dupont@example.org" and request.contact_name == "Alex Dupont"
    extra = request.open311
    assert (extra.device_id, extra.account_id, extra.media_url) == (
        "tablet-42", "fms-7", "https://photos.example.org/1.jpg")
    assert extra.token == item["token"]


def test_post_request_xml_and_token(http, exposed, api_key):
    root = xml(post(http, "xml", api_key=api_key, **report()))
    assert root.tag == "service_requests"
    request = root.find("request")
    code, token = request.findtext("service_request_id"), request.findtext("token")
    assert code.startswith("RQ-")
    # tokens/{token_id}: [{"service_request_id", "token"}]
    assert http.get(f"/open311/v2/tokens/{token}.json").json() == [{"service_request_id": code, "token": token}]
    token_root = xml(http.get(f"/open311/v2/tokens/{token}.xml"))
    assert token_root.findtext("request/service_request_id") == code
    assert http.get("/open311/v2/tokens/0123456789abcdef0123456789abcdef.json").status_code == 404


def test_post_request_with_a_json_body(http, exposed, api_key):
    body = {"api_key": api_key, "service_code": "nid-de-poule", "lat": 48.69, "long": 6.18,
            "email": "alex@example.org", "first_name": "Alex", "last_name": "Dupont",
            "attribute": {"nature": "eclairage", "genres": ["autos"], "danger": False}}
    response = http.post("/open311/v2/requests.json", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    request = ServiceRequest.objects.get(tracking_code=response.json()[0]["service_request_id"])
    assert request.data["nature"] == "eclairage" and request.data["genres"] == ["autos"]
    assert request.data["danger"] is False
    assert (request.latitude, request.longitude) == (48.69, 6.18)
    bad = http.post("/open311/v2/requests.json", "{nope", content_type="application/json")
    assert bad.status_code == 400 and "JSON" in bad.json()[0]["description"]
    not_object = http.post("/open311/v2/requests.json", "[1]", content_type="application/json")
    assert not_object.status_code == 400


@pytest.mark.parametrize("key_fixture", [None, "bad", "other_key", "revoked_key", "rest_only_key"])
def test_api_key_refused_with_403(request, http, exposed, key_fixture):
    data = report()
    if key_fixture == "bad":
        data["api_key"] = "gapi_not-a-key"
    elif key_fixture:
        data["api_key"] = request.getfixturevalue(key_fixture)
    for fmt in ("json", "xml"):
        response = post(http, fmt, **data)
        assert response.status_code == 403
        if fmt == "json":
            (error,) = response.json()
            assert error["code"] == 403 and "api_key" in error["description"]
        else:
            root = xml(response)
            assert root.tag == "errors" and root.findtext("error/code") == "403"
    assert not ServiceRequest.objects.exists()


def test_service_code_missing_unknown_or_not_ticked(http, exposed, hidden, api_key):
    assert post(http, api_key=api_key, **report(service_code=None)).status_code == 400
    assert post(http, api_key=api_key, **report(service_code="inconnu")).status_code == 404
    assert post(http, api_key=api_key, **report(service_code="acte-etat-civil")).status_code == 404
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("lat,lon", [("91", "6"), ("-90.5", "6"), ("48", "181"), ("48", "-180.01"),
                                     ("abc", "6"), ("48", "nan"), ("inf", "6"), ("48", "")])
def test_bad_coordinates(http, exposed, api_key, lat, lon):
    response = post(http, api_key=api_key, **report(lat=lat, long=lon, address_string=None))
    assert response.status_code == 400, response.content
    assert response.json()[0]["code"] == 400
    assert not ServiceRequest.objects.exists()


def test_location_is_required(http, exposed, api_key):
    response = post(http, "xml", api_key=api_key, **report(lat=None, long=None, address_string=None))
    assert response.status_code == 400
    assert "Lieu manquant" in xml(response).findtext("error/description")


def test_address_string_alone_or_address_id_alone(http, exposed, api_key):
    request = created(http, api_key, lat=None, long=None)
    assert request.address == "12 rue des Lilas, 54470 Saint-Aubin" and request.latitude is None
    other = created(http, api_key, lat=None, long=None, address_string=None, address_id="ban-54470-0012")
    assert other.open311.address_id == "ban-54470-0012"


def test_attributes_checked(http, exposed, api_key):
    missing = post(http, api_key=api_key, **report(**{"attribute[nature]": None}))
    assert missing.status_code == 400
    assert "attribute[nature]" in missing.json()[0]["description"]
    wrong = post(http, api_key=api_key, **report(**{"attribute[nature]": "volcan"}))
    assert wrong.status_code == 400 and "volcan" in wrong.json()[0]["description"]
    several = post(http, api_key=api_key, **report(**{"attribute[genres][]": ["pietons", "tracteurs"]}))
    assert several.status_code == 400
    boolean = post(http, api_key=api_key, **report(**{"attribute[danger]": "peut-être"}))
    assert boolean.status_code == 400
    number = post(http, api_key=api_key, **report(**{"attribute[taille]": "douze"}))
    assert number.status_code == 400
    date = post(http, api_key=api_key, **report(**{"attribute[constat]": "hier"}))
    assert date.status_code == 400
    assert not ServiceRequest.objects.exists()
    # Attributes the service does not declare (FixMyStreet sends some of its own) are ignored.
    extra = post(http, api_key=api_key, **report(**{"attribute[fixmystreet_id]": "123", "attribute[photo]": "x"}))
    assert extra.status_code == 200
    assert "fixmystreet_id" not in ServiceRequest.objects.get().data


def test_every_problem_is_listed(http, exposed, api_key):
    response = post(http, "xml", api_key=api_key, **report(lat="100", media_url="ftp://x", email="pas-un-mail",
                                                            **{"attribute[nature]": None}))
    assert response.status_code == 400
    assert len(xml(response).findall("error")) == 4


def test_media_url_must_be_http(http, exposed, api_key):
    for url in ("javascript:alert(1)", "ftp://example.org/a.jpg", "pas une adresse"):
        assert post(http, api_key=api_key, **report(media_url=url)).status_code == 400


def test_contact_email_is_needed_by_the_procedure(http, exposed, api_key):
    response = post(http, api_key=api_key, **report(email=None))
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("email : ")


def test_required_name_field_fed_by_last_name(http, exposed, api_key):
    response = post(http, api_key=api_key, **report(last_name=None, first_name=None))
    assert response.status_code == 400
    assert any(e["description"].startswith(("last_name", "first_name")) for e in response.json())


def test_get_requests_like_the_specification(http, exposed, api_key, django_assert_max_num_queries):
    for _index in range(3):
        created(http, api_key)
    with django_assert_max_num_queries(7):
        response = http.get("/open311/v2/requests.json")
    assert response.status_code == 200
    items = response.json()
    assert len(items) == 3
    item = items[0]
    assert list(item) == [
        "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
        "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
        "address", "address_id", "zipcode", "lat", "long", "media_url",
    ]
    assert item["status"] == "open" and item["status_notes"] == "Reçue"
    assert item["service_code"] == "nid-de-poule" and item["service_name"] == "Signaler un nid-de-poule"
    assert item["description"] == "Un trou profond devant l'école."
    assert item["zipcode"] == "54470" and item["lat"] == 48.6921 and item["long"] == 6.1844
    assert item["media_url"] == "https://photos.example.org/1.jpg"
    assert item["agency_responsible"] == "État civil"
    # W3C date-times with the offset of Europe/Paris, to the second.
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert datetime.datetime.fromisoformat(item[name]).utcoffset() == datetime.timedelta(hours=1)
        assert len(item[name]) == 25
    root = xml(http.get("/open311/v2/requests.xml"))
    assert root.tag == "service_requests"
    assert len(root.findall("request")) == 3
    assert root.find("request/long").text == "6.1844"


def test_query_count_does_not_grow_with_requests(http, exposed, api_key, django_assert_max_num_queries):
    for _index in range(8):
        created(http, api_key)
    with django_assert_max_num_queries(7):
        assert len(http.get("/open311/v2/requests.xml").content) > 0


def test_no_personal_data_in_public_answers(http, exposed, api_key):
    created(http, api_key)
    for path in ("/open311/v2/requests.json", "/open311/v2/requests.xml"):
        body = http.get(path).content.decode()
        for secret in ("Dupont", "Alex", "alex.dupont@example.org", "0612345678", "+33612345678", "tablet-42",
                       "fms-7", api_key):
            assert secret not in body


def test_requests_of_other_channels_are_listed_without_their_answers(http, exposed, api_key, organisation):
    from guichet.api.submission import submit_answers

    web = submit_answers(exposed.current_version, {"nature": "nid", "nom": "Martin", "precisions": "Mon voisin"},
                         channel="web", api_client=None, entered_by=None,
                         citizen=__import__("tests.conftest", fromlist=["make_citizen"]).make_citizen(organisation),
                         location={"address": "3 rue Haute, 54470 Saint-Aubin", "latitude": 48.7,
                                   "longitude": 6.2})
    (item,) = [i for i in http.get("/open311/v2/requests.json").json() if i["service_request_id"] ==
               web.tracking_code]
    assert item["description"] is None and item["media_url"] is None
    assert item["address"] == "3 rue Haute, 54470 Saint-Aubin"


def test_filters(http, exposed, api_key):
    first, second = created(http, api_key), created(http, api_key)
    ServiceRequest.objects.filter(pk=second.pk).update(closed_at=timezone.now())
    codes = lambda response: {item["service_request_id"] for item in response.json()}  # noqa: E731
    assert codes(http.get("/open311/v2/requests.json", {"status": "open"})) == {first.tracking_code}
    assert codes(http.get("/open311/v2/requests.json", {"status": "closed"})) == {second.tracking_code}
    assert codes(http.get("/open311/v2/requests.json", {"status": "open,closed"})) == {
        first.tracking_code, second.tracking_code}
    assert codes(http.get("/open311/v2/requests.json", {"service_request_id": second.tracking_code})) == {
        second.tracking_code}
    assert codes(http.get("/open311/v2/requests.json", {
        "service_request_id": f"{first.tracking_code},{second.tracking_code}"})) == {
        first.tracking_code, second.tracking_code}
    assert codes(http.get("/open311/v2/requests.json", {"service_code": "autre"})) == set()
    assert len(codes(http.get("/open311/v2/requests.json", {"service_code": "nid-de-poule"}))) == 2
    assert http.get("/open311/v2/requests.json", {"status": "ouvert"}).status_code == 400
    closed = http.get(f"/open311/v2/requests/{second.tracking_code}.json").json()[0]
    assert closed["status"] == "closed"


def test_date_window(http, exposed, api_key):
    request = created(http, api_key)
    now = timezone.localtime()
    inside = {"start_date": (now - datetime.timedelta(days=1)).isoformat(),
              "end_date": (now + datetime.timedelta(days=1)).isoformat()}
    assert len(http.get("/open311/v2/requests.json", inside).json()) == 1
    before = {"start_date": (now - datetime.timedelta(days=30)).isoformat(),
              "end_date": (now - datetime.timedelta(days=2)).isoformat()}
    assert http.get("/open311/v2/requests.json", before).json() == []
    too_wide = {"start_date": "2026-01-01T00:00:00+01:00", "end_date": "2026-06-01T00:00:00+02:00"}
    response = http.get("/open311/v2/requests.xml", too_wide)
    assert response.status_code == 400 and "90 jours" in xml(response).findtext("error/description")
    assert http.get("/open311/v2/requests.json", {"start_date": "hier"}).status_code == 400
    assert http.get("/open311/v2/requests.json", {"end_date": "2026-13-01T00:00:00Z"}).status_code == 400
    reversed_window = {"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"}
    assert http.get("/open311/v2/requests.json", reversed_window).status_code == 400
    # A request older than 90 days is not in the default window.
    ServiceRequest.objects.filter(pk=request.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=91))
    assert http.get("/open311/v2/requests.json").json() == []
    assert len(http.get("/open311/v2/requests.json", {"service_request_id": request.tracking_code}).json()) == 1
    # "Z" and an unescaped "+" (a space in a query string) are both understood.
    assert http.get("/open311/v2/requests.json?start_date=2026-11-01T00:00:00+01:00").status_code == 200


def test_request_detail(http, exposed, api_key, hidden):
    request = created(http, api_key)
    data = http.get(f"/open311/v2/requests/{request.tracking_code}.json").json()
    assert len(data) == 1 and data[0]["service_request_id"] == request.tracking_code
    root = xml(http.get(f"/open311/v2/requests/{request.tracking_code}.xml"))
    assert root.tag == "service_requests" and root.findtext("request/service_request_id") == request.tracking_code
    assert http.get("/open311/v2/requests/RQ-0000-0000.json").status_code == 404
    # A request of a procedure no longer ticked is no longer there.
    exposed.open311 = False
    exposed.save()
    assert http.get(f"/open311/v2/requests/{request.tracking_code}.json").status_code == 404


def test_status_notes_never_name_an_internal_status(http, exposed, api_key):
    request = created(http, api_key)
    ServiceRequest.objects.filter(pk=request.pk).update(status="instruction")
    item = http.get(f"/open311/v2/requests/{request.tracking_code}.json").json()[0]
    assert item["status_notes"] == "Reçue"
    assert "Contrôle interne" not in http.get("/open311/v2/requests.xml").content.decode()


def test_cross_collectivite_isolation(http, exposed, api_key, other_organisation, other_key):
    from tests.conftest import client_for

    request = created(http, api_key)
    other = client_for(other_organisation)
    assert other.get(f"/open311/v2/requests/{request.tracking_code}.json").status_code == 404
    assert other.get("/open311/v2/requests.json").json() == []
    assert other.get("/open311/v2/services.json").json() == []
    token = request.open311.token
    assert other.get(f"/open311/v2/tokens/{token}.json").status_code == 404
    # Saint-Aubin's key does not work on Montclair's host, and Montclair's not on Saint-Aubin's.
    assert other.post("/open311/v2/requests.json", {**report(), "api_key": api_key}).status_code in (403, 404)
    assert post(http, api_key=other_key, **report()).status_code == 403
    assert Open311Request.objects.count() == 1


def test_method_not_allowed(http, exposed):
    assert http.post("/open311/v2/services.json").status_code == 405
    assert http.delete("/open311/v2/requests.json").status_code == 405


def test_events_of_the_open311_request(http, exposed, api_key):
    request = created(http, api_key)
    submitted = RequestEvent.objects.get(request=request, kind=RequestEvent.Kind.SUBMITTED)
    assert submitted.data["api_client_name"] == "FixMyStreet"


def test_anonymised_request_keeps_nothing_personal(http, exposed, api_key):
    from guichet.workflows.services import anonymise

    request = created(http, api_key)
    anonymise(request)
    extra = Open311Request.objects.get(request=request)
    assert (extra.device_id, extra.account_id, extra.media_url, extra.description) == ("", "", "", "")
    item = http.get(f"/open311/v2/requests/{request.tracking_code}.json").json()[0]
    assert item["description"] is None and item["address"] is None and item["lat"] is None


def test_phone_field_takes_phone_and_an_unreadable_number_is_dropped(organisation, service, http, api_key):
    from tests.service_requests.conftest import make_procedure

    form = {"pages": [{"id": "p", "title": "P", "condition": None, "fields": [
        {"id": "tel", "type": "phone", "label": "Téléphone", "required": False},
        {"id": "nom", "type": "text", "label": "Nom", "required": False, "prefill": "profile.last_name"},
    ]}]}
    procedure = make_procedure(organisation, service, slug="appel", who="anyone", form=form)
    procedure.open311 = True
    procedure.save()
    assert http.get("/open311/v2/services/appel.json").json()["attributes"] == []
    base = {"api_key": api_key, "service_code": "appel", "lat": "48.7", "long": "6.2", "email": "a@example.org",
            "first_name": "A", "last_name": "B"}
    french = http.post("/open311/v2/requests.json", {**base, "phone": "06 12 34 56 78"})
    assert french.status_code == 200
    request = ServiceRequest.objects.get(tracking_code=french.json()[0]["service_request_id"])
    assert request.data["tel"] == "+33612345678" and request.data["nom"] == "B"
    abroad = http.post("/open311/v2/requests.json", {**base, "phone": "+44 20 7946 0958 ext 12"})
    assert abroad.status_code == 200
    assert "tel" not in ServiceRequest.objects.get(tracking_code=abroad.json()[0]["service_request_id"]).data


def test_description_without_a_field_and_the_photo_reach_the_agents(organisation, service, http, api_key):
    from tests.service_requests.conftest import make_procedure

    form = {"pages": [{"id": "p", "title": "P", "condition": None, "fields": [
        {"id": "nom", "type": "text", "label": "Nom", "required": False, "prefill": "profile.last_name"}]}]}
    procedure = make_procedure(organisation, service, slug="simple", who="anyone", form=form)
    procedure.open311 = True
    procedure.save()
    response = http.post("/open311/v2/requests.json", {
        "api_key": api_key, "service_code": "simple", "lat": "48.7", "long": "6.2", "email": "a@example.org",
        "first_name": "A", "last_name": "B", "description": "Lampadaire éteint.",
        "media_url": "https://photos.example.org/9.jpg"})
    assert response.status_code == 200, response.content
    request = ServiceRequest.objects.get(tracking_code=response.json()[0]["service_request_id"])
    message = RequestEvent.objects.get(request=request, kind=RequestEvent.Kind.MESSAGE_CITIZEN)
    assert message.text == "Lampadaire éteint.\n\nPhoto : https://photos.example.org/9.jpg"
    # Not sent back to FixMyStreet as an update (the reporter's own words).
    updates = http.get("/open311/v2/servicerequestupdates.json", {"api_key": api_key}).json()
    assert all("Lampadaire" not in update["description"] for update in updates)
