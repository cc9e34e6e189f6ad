"""« Mes documents » : the citizen lists, downloads and deletes their own documents, nobody else's."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from guichet.documents.models import CitizenDocument
from guichet.documents.services import keep_checked_attachment
from guichet.service_requests.files import store_uploads
from guichet.service_requests.models import Attachment
from tests.conftest import client_for, make_citizen
from tests.documents.builders import PDF_BYTES, make_request, make_version, pdf_file


@pytest.fixture
def document(organisation, service, citizen, agent):
    service_request = make_request(make_version(organisation, service), citizen=citizen)
    ids, errors = store_uploads(service_request, "justificatif", [pdf_file("quittance.pdf")], (("pdf",), 1, 1))
    assert errors == []
    valid_until = timezone.localdate() + datetime.timedelta(days=60)
    return keep_checked_attachment(Attachment.objects.get(pk=ids[0]), "justificatif-domicile", valid_until, agent)


def test_the_list_shows_type_validity_and_actions(citizen_client, document):
    response = citizen_client.get(reverse("documents:list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Mes documents" in page
    assert "Justificatif de domicile" in page and "quittance.pdf" in page
    assert "jusqu&#x27;au" in page or "jusqu'au" in page
    assert reverse("documents:delete", args=[document.pk]) in page
    assert "<caption>" in page and 'scope="col"' in page


def test_expired_documents_are_marked(organisation, citizen, citizen_client):
    CitizenDocument.objects.create(
        organisation=organisation, citizen=citizen, document_type="attestation-caf", file="1/documents/aa/x.pdf",
        original_name="caf.pdf", content_type="application/pdf", checked_at=timezone.now(),
        valid_until=timezone.localdate() - datetime.timedelta(days=3),
    )
    page = citizen_client.get(reverse("documents:list")).content.decode()
    assert "Expiré" in page and "caf.pdf" in page


def test_empty_space_says_how_documents_arrive(citizen_client):
    page = citizen_client.get(reverse("documents:list")).content.decode()
    assert "Aucun document n&#x27;est encore gardé" in page or "Aucun document n'est encore gardé" in page


def test_the_citizen_downloads_their_document(citizen_client, document):
    response = citizen_client.get(reverse("documents:file", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_delete_asks_then_removes_the_document_and_its_file(citizen_client, document):
    confirm = citizen_client.get(reverse("documents:delete", args=[document.pk]))
    assert confirm.status_code == 200 and "Supprimer le document" in confirm.content.decode()
    assert CitizenDocument.objects.filter(pk=document.pk).exists()
    response = citizen_client.post(reverse("documents:delete", args=[document.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("documents:list")
    assert not CitizenDocument.objects.filter(pk=document.pk).exists()


def test_delete_removes_the_file_once_committed(citizen, document, django_capture_on_commit_callbacks):
    from guichet.documents.services import delete_document

    storage, name = document.file.storage, document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        delete_document(document)
    assert not storage.exists(name)


def test_other_people_get_404_or_are_turned_away(organisation, other_organisation, citizen, document, agent):
    urls = [reverse("documents:file", args=[document.pk]), reverse("documents:delete", args=[document.pk])]
    neighbour = client_for(organisation, make_citizen(organisation, email="voisin@example.org"))
    for url in urls:
        assert neighbour.get(url).status_code == 404
        assert neighbour.post(url).status_code in (404, 405)
    assert client_for(organisation, agent).get(reverse("documents:list")).status_code == 403
    anonymous = client_for(organisation).get(reverse("documents:list"))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))
    montclair_citizen = make_citizen(other_organisation, email=citizen.email)
    montclair = client_for(other_organisation, montclair_citizen)
    for url in urls:
        assert montclair.get(url).status_code == 404
    assert CitizenDocument.objects.filter(pk=document.pk).exists()
    assert "quittance.pdf" not in montclair.get(reverse("documents:list")).content.decode()
