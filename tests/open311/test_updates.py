"""FixMyStreet's servicerequestupdates: GET (the citizen-visible events) and POST (a comment → citizen message)."""

import datetime

import pytest
from django.utils import timezone

from guichet.service_requests.messaging import post_agent_message
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import add_event

from .conftest import report, xml

pytestmark = pytest.mark.django_db


def created(http, api_key, **extra):
    response = http.post("/open311/v2/requests.json", {"api_key": api_key, **report(**extra)})
    assert response.status_code == 200, response.content.decode()
    return ServiceRequest.objects.get(tracking_code=response.json()[0]["service_request_id"])


def test_get_updates(http, exposed, api_key, agent, django_assert_max_num_queries):
    request = created(http, api_key)
    add_event(request, RequestEvent.Kind.NOTE, actor=agent, text="Note interne : appeler M. Dupont")
    add_event(request, RequestEvent.Kind.STATUS_CHANGED, actor=agent, visible_to_citizen=True,
              status_from="recue", status_to="instruction")
    post_agent_message(request, agent, "Une équipe passe jeudi.")
    add_event(request, RequestEvent.Kind.STATUS_CHANGED, actor=agent, visible_to_citizen=True,
              status_from="instruction", status_to="acceptee")
    for _index in range(3):  # more requests, more events: the same number of queries
        other = created(http, api_key)
        post_agent_message(other, agent, "Vu.")
    with django_assert_max_num_queries(10):
        response = http.get("/open311/v2/servicerequestupdates.json", {"api_key": api_key})
    assert response.status_code == 200, response.content
    updates = [u for u in response.json() if u["service_request_id"] == request.tracking_code]
    assert [u["status"] for u in updates] == ["OPEN", "IN_PROGRESS", "FIXED"]
    assert [u["description"] for u in updates] == [
        "Nouveau statut : Reçue", "Une équipe passe jeudi.", "Nouveau statut : Acceptée"]
    assert set(updates[0]) == {"update_id", "service_request_id", "status", "updated_datetime", "description",
                               "media_url"}
    assert datetime.datetime.fromisoformat(updates[0]["updated_datetime"]).utcoffset() is not None
    body = response.content.decode()
    assert "Note interne" not in body and "Contrôle interne" not in body
    root = xml(http.get("/open311/v2/servicerequestupdates.xml", {"api_key": api_key}))
    assert root.tag == "service_request_updates"
    assert [u.findtext("status") for u in root.findall("request_update")
            if u.findtext("service_request_id") == request.tracking_code] == ["OPEN", "IN_PROGRESS", "FIXED"]
    assert root.find("request_update/update_id").text.isdigit()


def test_get_updates_needs_a_key_and_a_valid_window(http, exposed, api_key, other_key):
    assert http.get("/open311/v2/servicerequestupdates.json").status_code == 403
    assert http.get("/open311/v2/servicerequestupdates.xml", {"api_key": other_key}).status_code == 403
    wide = {"api_key": api_key, "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-12-01T00:00:00Z"}
    assert http.get("/open311/v2/servicerequestupdates.json", wide).status_code == 400
    window = {"api_key": api_key, "start_date": (timezone.now() + datetime.timedelta(hours=1)).isoformat()}
    created(http, api_key)
    assert http.get("/open311/v2/servicerequestupdates.json", window).json() == []


def test_withdrawn_and_merged(http, exposed, api_key, agent):
    request = created(http, api_key)
    add_event(request, RequestEvent.Kind.WITHDRAWN, visible_to_citizen=True, text="Mon adresse perso")
    updates = http.get("/open311/v2/servicerequestupdates.json", {"api_key": api_key}).json()
    assert updates[-1]["status"] == "CLOSED"
    assert "Mon adresse perso" not in str(updates)
    add_event(request, RequestEvent.Kind.MERGED, actor=agent, visible_to_citizen=True, text="Regroupée.")
    updates = http.get("/open311/v2/servicerequestupdates.json", {"api_key": api_key}).json()
    assert updates[-1]["status"] == "DUPLICATE"


def test_post_update_like_fixmystreet(http, exposed, api_key):
    request = created(http, api_key)
    data = {"api_key": api_key, "jurisdiction_id": "saint-aubin", "service_request_id": request.tracking_code,
            "update_id": "981", "updated_datetime": "2026-12-01T14:05:00+01:00", "status": "OPEN",
            "description": "Le trou s'agrandit.", "first_name": "Sam", "last_name": "Leroy",
            "email": "sam@example.org", "media_url": "https://photos.example.org/2.jpg"}
    response = http.post("/open311/v2/servicerequestupdates.xml", data)
    assert response.status_code == 200, response.content
    root = xml(response)
    assert root.tag == "service_request_updates"
    update_id = root.findtext("request_update/update_id")
    event = RequestEvent.objects.get(pk=int(update_id))
    assert event.kind == RequestEvent.Kind.MESSAGE_CITIZEN and event.visible_to_citizen
    assert "Le trou s'agrandit." in event.text and "https://photos.example.org/2.jpg" in event.text
    assert "sam@example.org" not in event.text
    # The same update posted again (FixMyStreet retries) is not written twice.
    again = http.post("/open311/v2/servicerequestupdates.json", data)
    assert again.json() == [{"update_id": update_id}]
    assert RequestEvent.objects.filter(request=request, kind=RequestEvent.Kind.MESSAGE_CITIZEN,
                                       text__contains="agrandit").count() == 1
    # The citizen's own comment is not sent back to FixMyStreet as an update.
    updates = http.get("/open311/v2/servicerequestupdates.json", {"api_key": api_key}).json()
    assert all("agrandit" not in u["description"] for u in updates)


def test_post_update_bad_inputs(http, exposed, api_key, other_key, hidden):
    request = created(http, api_key)
    base = {"api_key": api_key, "service_request_id": request.tracking_code, "description": "Texte"}
    url = "/open311/v2/servicerequestupdates.json"
    assert http.post(url, {**base, "api_key": ""}).status_code == 403
    assert http.post(url, {**base, "api_key": other_key}).status_code == 403
    assert http.post(url, {**base, "service_request_id": ""}).status_code == 400
    assert http.post(url, {**base, "service_request_id": "RQ-0000-0000"}).status_code == 404
    assert http.post(url, {**base, "description": ""}).status_code == 400
    assert http.post(url, {**base, "status": "PAS_UN_STATUT"}).status_code == 400
    assert http.post(url, {**base, "updated_datetime": "hier"}).status_code == 400
    assert http.post(url, {**base, "media_url": "file:///etc/passwd"}).status_code == 400
    ServiceRequest.objects.filter(pk=request.pk).update(closed_at=timezone.now())
    closed = http.post(url, base)
    assert closed.status_code == 400 and "close" in closed.json()[0]["description"]


def test_client_limited_to_other_services(http, exposed, api_key, organisation):
    from guichet.api_clients.services import create_client
    from tests.conftest import make_service

    request = created(http, api_key)
    voirie = make_service(organisation, name="Voirie", slug="voirie")
    _client, limited = create_client(organisation, name="Limité", scopes=["open311"], services=[voirie])
    assert http.post("/open311/v2/requests.json", {"api_key": limited, **report()}).status_code == 403
    assert http.get("/open311/v2/servicerequestupdates.json", {"api_key": limited}).json() == []
    response = http.post("/open311/v2/servicerequestupdates.json", {
        "api_key": limited, "service_request_id": request.tracking_code, "description": "Texte"})
    assert response.status_code == 403
