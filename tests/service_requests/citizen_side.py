"""Helpers of the citizen-side tests (« Mes demandes », messages, withdrawal): requests sent through the real
submission service, test files."""

import copy

from django.core.files.uploadedfile import SimpleUploadedFile

from guichet.service_requests import services
from guichet.service_requests.models import ServiceRequest

from .conftest import WORKFLOW, fill_all, fill_contact, make_procedure, send, start

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00"
       b"\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def png(name="photo.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def pdf(name="piece.pdf", size=None):
    content = PDF if size is None else PDF + b"%" * (size - len(PDF))
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def sent_request(procedure, citizen, **fields):
    """A request of `citizen` answered and sent through `services.submit` (workflow started, receipt sent)."""
    version = procedure.current_version
    draft = services.create_request(
        organisation=procedure.organisation, version=version, procedure=procedure, citizen=citizen,
        service_id=version.service_id, data={"nom": "Martin", "prenom": "Camille", "motif": "naissance"},
    )
    sent, _done = services.submit(draft, actor=citizen)
    if fields:
        ServiceRequest.objects.filter(pk=sent.pk).update(**fields)
    return ServiceRequest.objects.select_related("version", "citizen", "service").get(pk=sent.pk)


def anonymous_request(client, procedure):
    """A request sent without an account from `client` (whose session may then follow it)."""
    draft = start(client, procedure)
    fill_contact(client, draft)
    fill_all(client, draft)
    send(client, draft)
    return ServiceRequest.objects.select_related("version").get(pk=draft.pk)


def workflow_with_timer():
    """The requests tests' workflow with a timer on the initial status (30 days → final)."""
    definition = copy.deepcopy(WORKFLOW)
    definition["statuses"][0]["timers"] = [{"after_days": 30, "goto": "instruction"}]
    return definition


def timed_procedure(organisation, service):
    return make_procedure(organisation, service, slug="avec-delai", title="Demande avec relance",
                          workflow=workflow_with_timer())
