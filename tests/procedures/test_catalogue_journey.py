"""Each catalogue procedure, imported into a collectivité, is filled in and sent by a citizen in the browser
(pages, files, household, summary, "Envoyer"), and a page sent incomplete is refused with nothing saved."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape
from PIL import Image

from guichet.households.models import HouseholdMember
from guichet.households.services import add_member
from guichet.procedures import exchange
from guichet.service_requests.models import Attachment, ServiceRequest
from tests.conftest import client_for, make_citizen, make_service
from tests.procedures.test_catalogue import DEMO_SERVICES, KEYS, fill_page, load

pytestmark = pytest.mark.django_db

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def upload_for(field):
    if "pdf" in field.get("accept", ["pdf"]):
        return SimpleUploadedFile("piece.pdf", PDF_BYTES, content_type="application/pdf")
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def setting(organisation):
    for slug, name in DEMO_SERVICES.items():
        make_service(organisation, name=name, slug=slug)
    citizen = make_citizen(organisation, civility="mme", phone="0612345678", address_line="3 rue des Lilas",
                           postcode="54470", city="Saint-Aubin")
    add_member(citizen, relationship=HouseholdMember.Relationship.CHILD, first_name="Léa", last_name="Martin",
               birth_date="2018-05-02")
    add_member(citizen, relationship=HouseholdMember.Relationship.CHILD, first_name="Hugo", last_name="Martin",
               birth_date="2020-09-14")
    add_member(citizen, relationship=HouseholdMember.Relationship.SPOUSE, first_name="Karim", last_name="Martin")
    members = [{"id": member.pk, "relationship": member.relationship, "first_name": member.first_name,
                "last_name": member.last_name} for member in HouseholdMember.objects.filter(citizen=citizen)]
    return organisation, citizen, members


def page_of(url):
    match = re.search(r"/page/([^/]+)/$", url)
    return match.group(1) if match else None


@pytest.mark.parametrize("key", KEYS)
def test_citizen_fills_in_and_sends_the_procedure(key, setting):
    organisation, citizen, members = setting
    exchange.import_catalogue_procedure(organisation, key)
    defn = load(key)["form"]
    client = client_for(organisation, citizen)
    assert client.get(f"/demarches/{key}/").status_code == 200
    response = client.post(f"/demarches/{key}/commencer/")
    assert response.status_code == 302
    service_request = ServiceRequest.objects.of(organisation).get(citizen=citizen, procedure__slug=key)
    url = response["Location"]
    pages = {page["id"]: page for page in defn["pages"]}
    refused_once = False
    for _step in range(len(pages) + 2):
        page_id = page_of(url)
        if page_id is None:
            break
        page_html = client.get(url)
        assert page_html.status_code == 200
        assert escape(pages[page_id]["title"]) in page_html.content.decode()
        service_request.refresh_from_db()
        if not refused_once:
            # The first page sent empty is refused: French errors, nothing saved.
            before = dict(service_request.data)
            refused = client.post(url, {"action": "next"})
            assert refused.status_code == 400
            assert "obligatoire" in refused.content.decode() or "Choisissez" in refused.content.decode()
            service_request.refresh_from_db()
            assert service_request.data == before
            refused_once = True
        data, files = fill_page(defn, pages[page_id], service_request.data, "first", members)
        post = {"action": "next", **data}
        for field_id in files:
            post[field_id] = upload_for(next(f for f in pages[page_id]["fields"] if f["id"] == field_id))
        response = client.post(url, post)
        assert response.status_code == 302, (page_id, response.content.decode()[:3000])
        url = response["Location"]
    assert url.endswith("/recapitulatif/"), url
    assert client.get(url).status_code == 200
    response = client.post(f"/demandes/{service_request.tracking_code}/envoyer/")
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.state == ServiceRequest.State.SUBMITTED
    assert service_request.status == load(key)["workflow"]["definition"]["initial"]
    assert service_request.deadline is not None
    assert Attachment.objects.filter(request=service_request).count() >= sum(
        1 for field_id, value in service_request.data.items()
        if isinstance(value, list) and value and all(isinstance(item, int) for item in value)
        and any(f.get("id") == field_id and f["type"] == "file" for p in defn["pages"] for f in p["fields"]))
    assert client.get(f"/demandes/{service_request.tracking_code}/").status_code == 200
