"""« Dites-le nous une fois » : checked documents are kept as copies, offered while valid, and reused."""

import datetime

import pytest
from django.utils import timezone

from guichet.documents.models import CitizenDocument
from guichet.documents.services import (
    DocumentError, attach_existing, keep_checked_attachment, offer_choices, offer_for,
)
from guichet.documents.types import DocumentType, add_months, default_valid_until, label_of
from guichet.service_requests.files import store_uploads
from guichet.service_requests.models import Attachment, RequestEvent
from tests.conftest import make_citizen
from tests.documents.builders import PDF_BYTES, make_request, make_version, pdf_file

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture
def version(organisation, service):
    return make_version(organisation, service)


@pytest.fixture
def attachment(version, citizen):
    service_request = make_request(version, citizen=citizen)
    ids, errors = store_uploads(service_request, "justificatif", [pdf_file("facture.pdf")], (("pdf",), 1, 1))
    assert errors == []
    return Attachment.objects.get(pk=ids[0])


def read(stored_file):
    with stored_file.storage.open(stored_file.name) as handle:
        return handle.read()


def keep(organisation, citizen, document_type="justificatif-domicile", valid_until=None, checked=True, **fields):
    return CitizenDocument.objects.create(
        organisation=organisation, citizen=citizen, document_type=document_type, file="x/documents/ab/fichier.pdf",
        original_name="fichier.pdf", content_type="application/pdf", valid_until=valid_until,
        checked_at=timezone.now() if checked else None, **fields,
    )


def test_document_types_have_french_labels_and_usual_validity():
    assert label_of("justificatif-domicile") == "Justificatif de domicile"
    assert label_of("piece-identite") == "Pièce d'identité"
    assert len(DocumentType.values) == 10
    assert default_valid_until("justificatif-domicile", TODAY) == datetime.date(2026, 6, 10)
    assert default_valid_until("piece-identite", TODAY) is None
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 11, 30), 3) == datetime.date(2027, 2, 28)


def test_only_valid_checked_documents_of_that_type_and_citizen_are_offered(organisation, other_organisation, citizen):
    valid = keep(organisation, citizen, valid_until=TODAY + datetime.timedelta(days=20))
    last_day = keep(organisation, citizen, valid_until=TODAY)
    keep(organisation, citizen, valid_until=TODAY - datetime.timedelta(days=1))  # expired
    keep(organisation, citizen, valid_until=None, checked=False)  # never checked by an agent
    keep(organisation, citizen, document_type="rib")  # another type
    keep(organisation, make_citizen(organisation, email="voisin@example.org"))  # another citizen
    montclair = make_citizen(other_organisation, email=citizen.email)
    keep(other_organisation, montclair)  # same e-mail, other collectivité
    assert set(offer_for(citizen, "justificatif-domicile", on=TODAY)) == {valid, last_day}
    assert list(offer_for(citizen, "justificatif-domicile", on=TODAY + datetime.timedelta(days=1))) == [valid]
    assert list(offer_for(citizen, "inconnu", on=TODAY)) == []
    assert list(offer_for(None, "justificatif-domicile", on=TODAY)) == []


def test_offer_choices_say_what_and_until_when(organisation, citizen):
    document = keep(organisation, citizen, valid_until=datetime.date(2026, 6, 10))
    no_end = keep(organisation, citizen, document_type="livret-famille")
    assert offer_choices(citizen, "justificatif-domicile", on=TODAY) == [
        (document.pk, "Utiliser mon document déjà vérifié : Justificatif de domicile, valable jusqu'au 10 juin 2026")
    ]
    [(pk, label)] = offer_choices(citizen, "livret-famille", on=TODAY)
    assert pk == no_end.pk and label.startswith("Utiliser mon document déjà vérifié : Livret de famille, vérifié le ")


def test_keeping_a_checked_attachment_copies_it_into_the_citizens_space(attachment, citizen, agent):
    valid_until = timezone.localdate() + datetime.timedelta(days=90)
    document = keep_checked_attachment(attachment, "justificatif-domicile", valid_until, agent)
    assert document.citizen == citizen and document.organisation == attachment.organisation
    assert document.document_type == "justificatif-domicile" and document.valid_until == valid_until
    assert document.checked_by == agent and document.checked_at is not None
    assert document.source_attachment == attachment and document.original_name == "facture.pdf"
    assert document.file.name != attachment.file.name
    # The request's file may be anonymised later: the document keeps its own copy.
    attachment.file.storage.delete(attachment.file.name)
    assert read(document.file) == PDF_BYTES
    event = RequestEvent.objects.get(kind="document_kept")
    assert event.actor == agent and event.visible_to_citizen
    assert "Justificatif de domicile vérifié et gardé" in event.text
    assert list(offer_for(citizen, "justificatif-domicile")) == [document]


def test_keeping_twice_updates_the_same_document(attachment, agent):
    first = keep_checked_attachment(attachment, "justificatif-domicile", None, agent)
    later = timezone.localdate() + datetime.timedelta(days=30)
    second = keep_checked_attachment(attachment, "justificatif-domicile", later, agent)
    assert first.pk == second.pk and CitizenDocument.objects.count() == 1
    assert CitizenDocument.objects.get().valid_until == later


def test_keeping_is_refused_without_account_past_date_or_unknown_type(version, attachment, agent):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(DocumentError, match="déjà passée"):
        keep_checked_attachment(attachment, "justificatif-domicile", yesterday, agent)
    with pytest.raises(DocumentError, match="n'existe pas"):
        keep_checked_attachment(attachment, "carte-de-fidelite", None, agent)
    anonymous_request = make_request(version, citizen=None, contact_name="Lou Bernard")
    ids, _errors = store_uploads(anonymous_request, "justificatif", [pdf_file()], (("pdf",), 1, 1))
    with pytest.raises(DocumentError, match="sans compte"):
        keep_checked_attachment(Attachment.objects.get(pk=ids[0]), "justificatif-domicile", None, agent)
    assert CitizenDocument.objects.count() == 0
    assert not RequestEvent.objects.filter(kind="document_kept").exists()


def test_attach_existing_copies_the_document_into_a_new_attachment(version, attachment, citizen, agent):
    document = keep_checked_attachment(attachment, "justificatif-domicile", None, agent)
    later_request = make_request(version, citizen=citizen, state="draft")
    attachment_id = attach_existing(later_request, "justificatif", document)
    copy = Attachment.objects.get(pk=attachment_id)
    assert copy.request == later_request and copy.field_id == "justificatif"
    assert copy.original_name == "facture.pdf" and copy.content_type == "application/pdf"
    assert copy.file.name not in (document.file.name, attachment.file.name)
    assert read(copy.file) == PDF_BYTES
    assert copy.uploaded_by == citizen
    # Removing the document from the space later leaves the request's copy intact.
    document.file.storage.delete(document.file.name)
    assert read(copy.file) == PDF_BYTES


def test_attach_existing_refuses_what_is_not_offered(organisation, version, attachment, citizen, agent):
    document = keep_checked_attachment(attachment, "justificatif-domicile", None, agent)
    other = make_citizen(organisation, email="voisin@example.org")
    with pytest.raises(DocumentError):
        attach_existing(make_request(version, citizen=other, state="draft"), "justificatif", document)
    own_draft = make_request(version, citizen=citizen, state="draft")
    with pytest.raises(DocumentError):
        attach_existing(own_draft, "photo", document)  # this field asks for no document type
    with pytest.raises(DocumentError):
        attach_existing(own_draft, "nom", document)  # not a file field
    expired = keep(organisation, citizen, valid_until=timezone.localdate() - datetime.timedelta(days=1))
    with pytest.raises(DocumentError):
        attach_existing(own_draft, "justificatif", expired)
    assert Attachment.objects.filter(request=own_draft).count() == 0

