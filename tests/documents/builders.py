"""Builders of procedures, versions and requests straight from the models (no citizen journey), and test files."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from guichet.procedures.models import Procedure, ProcedureVersion
from guichet.service_requests.models import ServiceRequest
from guichet.service_requests.services import create_request

FORM = {"pages": [{
    "id": "demandeur", "title": "Vous", "condition": None,
    "fields": [
        {"id": "nom", "type": "text", "label": "Nom", "required": True},
        {"id": "justificatif", "type": "file", "label": "Justificatif de domicile", "required": True,
         "accept": ["pdf", "jpeg", "png"], "max_size_mb": 1, "max_files": 2, "document_type": "justificatif-domicile"},
        {"id": "photo", "type": "file", "label": "Photo", "required": False, "accept": ["jpeg", "png"],
         "max_size_mb": 5, "max_files": 1},
        {"id": "courrier", "type": "file", "label": "Courrier", "required": False, "accept": ["odt", "docx", "pdf"],
         "max_size_mb": 5, "max_files": 1},
    ],
}]}

WORKFLOW = {
    "initial": "recue",
    "statuses": [
        {"id": "recue", "label": "Reçue", "colour": "#1f4e8c", "visible": True, "final": False, "on_enter": [],
         "buttons": [
             {"id": "accepter", "label": "Accepter", "roles": ["agent", "manager"],
              "actions": [{"type": "goto", "status": "acceptee"}]},
             {"id": "completer", "label": "Demander un complément", "roles": ["agent", "manager"],
              "actions": [{"type": "request_info", "message_required": True, "then": "recue"}]},
         ], "timers": []},
        {"id": "acceptee", "label": "Acceptée", "colour": "#1d6b33", "visible": True, "final": True,
         "on_enter": [], "buttons": [], "timers": []},
    ],
}


def make_version(organisation, service=None, slug="acte-naissance", title="Demande d'acte de naissance",
                 form=None, workflow=None):
    procedure = Procedure.objects.create(
        organisation=organisation, title=title, slug=slug, short_description="Recevoir un acte.", service=service,
        state=Procedure.State.PUBLISHED,
    )
    version = ProcedureVersion.objects.create(
        organisation=organisation, procedure=procedure, number=1, form=form or FORM, workflow=workflow or WORKFLOW,
        workflow_name="Circuit simple", published_at=timezone.now(), title=title, service=service,
    )
    procedure.current_version = version
    procedure.save(update_fields=["current_version"])
    return version


def make_request(version, citizen=None, state=ServiceRequest.State.SUBMITTED, status="recue", **fields):
    fields.setdefault("data", {"nom": "Martin"})
    return create_request(
        organisation=version.organisation, version=version, procedure=version.procedure, state=state,
        citizen=citizen, service=version.service, status=status if state == ServiceRequest.State.SUBMITTED else "",
        submitted_at=timezone.now() if state == ServiceRequest.State.SUBMITTED else None, **fields,
    )


PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def pdf_file(name="justificatif.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def image_bytes(fmt="PNG", size=(40, 30), colour=(200, 30, 30), **save_options):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt, **save_options)
    return buffer.getvalue()


def png_file(name="plan.png", **kwargs):
    return SimpleUploadedFile(name, image_bytes("PNG", **kwargs), content_type="image/png")


def odt_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", "<manifest/>", zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docx_bytes(extra=()):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>'
        ))
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name, content in extra:
            archive.writestr(name, content)
    return buffer.getvalue()


def request_with_attachment(organisation, service, citizen, slug="demande-avec-piece"):
    """A submitted request of `citizen` with one PDF on its « justificatif » field → (request, attachment)."""
    from guichet.service_requests.files import store_uploads
    from guichet.service_requests.models import Attachment

    service_request = make_request(make_version(organisation, service, slug=slug), citizen=citizen)
    ids, errors = store_uploads(service_request, "justificatif", [pdf_file()], (("pdf",), 1, 1))
    assert errors == []
    return service_request, Attachment.objects.get(pk=ids[0])


def kept_document(organisation, service, citizen, agent=None):
    """A checked « justificatif de domicile » kept in `citizen`'s document space."""
    from guichet.documents.services import keep_checked_attachment

    _request, attachment = request_with_attachment(organisation, service, citizen, slug="justificatif-garde")
    return keep_checked_attachment(attachment, "justificatif-domicile", None, agent)
