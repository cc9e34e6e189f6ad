"""Deleting a citizen's account erases their data in every app; the collectivité keeps anonymised requests."""

import pytest

from guichet.accounts.services import erase_citizen
from guichet.documents.models import CitizenDocument
from guichet.notifications.models import Delivery, Notification
from guichet.notifications.services import notify
from guichet.service_requests.models import ServiceRequest
from tests.conftest import make_agent
from tests.documents.builders import kept_document, make_request, make_version, request_with_attachment

pytestmark = pytest.mark.django_db(transaction=True)  # files are deleted after commit


def test_erasure_reaches_documents_notifications_drafts_and_requests(organisation, service, citizen):
    agent = make_agent(organisation, services=[service])
    document = kept_document(organisation, service, citizen, agent)
    storage, document_file = document.file.storage, document.file.name
    assert storage.exists(document_file)
    submitted, attachment = request_with_attachment(organisation, service, citizen)
    attachment_storage, attachment_file = attachment.file.storage, attachment.file.name
    draft = make_request(make_version(organisation, service, slug="brouillon"), citizen=citizen,
                         state=ServiceRequest.State.DRAFT)
    notify(citizen, "message.free", {"objet": "Votre dossier Martin", "message": "Camille Martin, c'est complet."})

    erase_citizen(citizen)

    assert not CitizenDocument.objects.filter(citizen=citizen).exists()
    assert not storage.exists(document_file)
    assert not ServiceRequest.objects.filter(pk=draft.pk).exists()
    submitted.refresh_from_db()
    assert submitted.citizen is None and submitted.data == {} and submitted.anonymised_at is not None
    assert not attachment_storage.exists(attachment_file)
    assert submitted.events.filter(kind="anonymised", text__contains="supprimé son compte").exists()
    for notification in Notification.objects.filter(recipient=citizen):
        assert "Martin" not in notification.subject + notification.body
    for delivery in Delivery.objects.filter(notification__recipient=citizen):
        assert delivery.address == "" and delivery.content == ""
