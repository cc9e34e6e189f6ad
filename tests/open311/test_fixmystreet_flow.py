"""A FixMyStreet-like client over real HTTP (the live server): it reads the services and their definition in XML,
posts a report form-encoded, follows it, fetches the service's updates and posts a comment — all in XML, as
FixMyStreet's Open311.pm does."""

import pytest
import requests
from lxml import etree

from guichet.service_requests.messaging import post_agent_message
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.workflows import engine

pytestmark = pytest.mark.django_db(transaction=True)


class Client:
    def __init__(self, live_server, organisation, api_key):
        self.base = f"{live_server.url}/open311/v2/"
        self.headers = {"Host": f"{organisation.slug}.localhost"}
        self.common = {"jurisdiction_id": organisation.slug}
        self.api_key = api_key

    def get(self, path, **params):
        response = requests.get(self.base + path, params={**self.common, **params}, headers=self.headers, timeout=10)
        return response.status_code, etree.fromstring(response.content)

    def post(self, path, data):
        response = requests.post(self.base + path, data={**self.common, "api_key": self.api_key, **data},
                                 headers=self.headers, timeout=10)
        return response.status_code, etree.fromstring(response.content)


def test_fixmystreet_round_trip(live_server, organisation, exposed, api_key, agent):
    client = Client(live_server, organisation, api_key)
    status, services = client.get("services.xml")
    assert status == 200
    codes = [service.findtext("service_code") for service in services.findall("service")]
    assert codes == ["nid-de-poule"]
    status, definition = client.get("services/nid-de-poule.xml")
    attributes = {a.findtext("code"): a for a in definition.findall("attributes/attribute")}
    nature = attributes["nature"]
    first_key = nature.find("values/value/key").text
    status, answer = client.post("requests.xml", {
        "service_code": "nid-de-poule", "lat": "48.6921", "long": "6.1844", "email": "camille@example.org",
        "first_name": "Camille", "last_name": "Martin", "description": "title: Trou\n\ndetail: profond",
        "media_url": "https://fms.example.org/photo/1.jpeg", f"attribute[{nature.findtext('code')}]": first_key,
        "attribute[fixmystreet_id]": "4242",
    })
    assert status == 200, etree.tostring(answer)
    code = answer.findtext("request/service_request_id")
    status, found = client.get("requests.xml", service_request_id=code)
    assert found.findtext("request/status") == "open"
    assert found.findtext("request/lat") == "48.6921"

    request = ServiceRequest.objects.get(tracking_code=code)
    engine.press(request, "instruire", agent)
    comment = {"service_request_id": code, "update_id": "77", "updated_datetime": "2026-12-01T14:05:00+01:00",
               "status": "OPEN", "description": "Le trou s'agrandit.", "email": "camille@example.org",
               "first_name": "Camille", "last_name": "Martin"}
    status, posted = client.post("servicerequestupdates.xml", comment)
    assert status == 200 and posted.tag == "service_request_updates"
    assert posted.findtext("request_update/update_id").isdigit()
    assert RequestEvent.objects.filter(request=request, kind=RequestEvent.Kind.MESSAGE_CITIZEN,
                                       text__contains="agrandit").count() == 1
    request.refresh_from_db()
    post_agent_message(request, agent, "Réparé ce matin.", answer=True)
    request.refresh_from_db()
    engine.press(request, "accepter", agent)

    status, updates = client.get("servicerequestupdates.xml", api_key=api_key)
    assert status == 200
    items = updates.findall("request_update")
    assert [item.findtext("status") for item in items] == ["OPEN", "IN_PROGRESS", "FIXED"]
    assert [item.findtext("description") for item in items][1] == "Réparé ce matin."
    assert all(item.findtext("service_request_id") == code for item in items)
    text = etree.tostring(updates, encoding="unicode")
    assert "Contrôle interne" not in text and "agrandit" not in text

    status, found = client.get(f"requests/{code}.xml")
    assert found.findtext("request/status") == "closed"
    status, refused = client.post("servicerequestupdates.xml", {**comment, "update_id": "78"})
    assert status == 400 and refused.tag == "errors"
