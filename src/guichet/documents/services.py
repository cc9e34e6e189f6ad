"""« Dites-le nous une fois » : keeping checked documents for the citizen and offering them again.

- `keep_checked_attachment(attachment, document_type, valid_until, agent)`: an agent who checked a request's file
  keeps a COPY of it in the citizen's space (the request's attachment may later be anonymised);
- `offer_for(citizen, document_type, on=date)`: the citizen's checked documents of that type still valid on `on`;
- `offer_choices(citizen, document_type)`: the same as (document id, French label) pairs, for a form's
  `files_offered` (« Utiliser mon document déjà vérifié : … »);
- `attach_existing(request, field_id, document)`: a new Attachment of the request copying a kept document.
"""

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import CitizenDocument
from .types import is_document_type, label_of


class DocumentError(Exception):
    """A document operation that cannot be done; `message` is French."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def documents_of(citizen):
    """Every document of the citizen's space, by type then newest check first."""
    if citizen is None or not getattr(citizen, "is_authenticated", False):
        return CitizenDocument.objects.none()
    return CitizenDocument.objects.filter(organisation_id=citizen.organisation_id, citizen=citizen)


def offer_for(citizen, document_type, on=None):
    """The citizen's checked documents of `document_type` still valid on `on` (default today), latest first."""
    if not is_document_type(document_type):
        return CitizenDocument.objects.none()
    on = on or timezone.localdate()
    return (
        documents_of(citizen)
        .filter(document_type=document_type, checked_at__isnull=False)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by("-checked_at", "-pk")
    )


def offer_label(document):
    if document.valid_until:
        return _("Utiliser mon document déjà vérifié : %(type)s, valable jusqu'au %(date)s") % {
            "type": label_of(document.document_type), "date": date_format(document.valid_until, "j F Y"),
        }
    return _("Utiliser mon document déjà vérifié : %(type)s, vérifié le %(date)s") % {
        "type": label_of(document.document_type),
        "date": date_format(timezone.localtime(document.checked_at), "j F Y"),
    }


def offer_choices(citizen, document_type, on=None):
    """[(document id, « Utiliser mon document déjà vérifié : <type>, valable jusqu'au … »)] for a file field."""
    return [(document.pk, offer_label(document)) for document in offer_for(citizen, document_type, on=on)]


def _copy(stored_file):
    try:
        with stored_file.storage.open(stored_file.name, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, ValueError):
        raise DocumentError(_("Le fichier de ce document n'est plus disponible.")) from None


def attach_existing(request, field_id, document, *, on=None):
    """Attach a copy of the citizen's kept `document` to `request`'s file field `field_id` → the attachment id.

    Refused (DocumentError, French message) unless the document belongs to the request's citizen, is of the type
    the field asks for, and is still valid.
    """
    from guichet.formdefs import find_field
    from guichet.service_requests.files import create_attachment

    field = find_field(request.version.form, field_id) if request.version_id else None
    wanted = (field or {}).get("document_type") if isinstance(field, dict) and field.get("type") == "file" else None
    if (
        wanted is None
        or request.citizen_id is None
        or document.citizen_id != request.citizen_id
        or document.organisation_id != request.organisation_id
        or document.document_type != wanted
        or not offer_for(request.citizen, wanted, on=on).filter(pk=document.pk).exists()
    ):
        raise DocumentError(_("Ce document ne peut pas être utilisé pour cette pièce : joignez un fichier."))
    attachment = create_attachment(
        request, field_id, _copy(document.file), original_name=document.original_name,
        content_type=document.content_type, uploaded_by=request.citizen, source="citizen",
    )
    return attachment.pk


def keep_checked_attachment(attachment, document_type, valid_until, agent):
    """Keep a copy of a checked attachment in its citizen's document space → the CitizenDocument.

    Keeping the same attachment again only updates its validity. Refused (DocumentError) when the request has no
    citizen account, was anonymised, the type is unknown or the date already past.
    """
    from guichet.service_requests.services import add_event

    service_request = attachment.request
    if not is_document_type(document_type):
        raise DocumentError(_("Ce type de document n'existe pas."))
    if service_request.citizen_id is None:
        raise DocumentError(_(
            "Cette demande a été faite sans compte usager : la pièce ne peut pas être gardée dans un espace documents."
        ))
    if service_request.anonymised_at is not None:
        raise DocumentError(_("Cette demande a été anonymisée : ses pièces ne peuvent plus être gardées."))
    today = timezone.localdate()
    if valid_until is not None and valid_until < today:
        raise DocumentError(_("La date de fin de validité est déjà passée : indiquez une date à venir."))
    now = timezone.now()
    with transaction.atomic():
        document = CitizenDocument.objects.select_for_update().filter(
            organisation_id=attachment.organisation_id, source_attachment=attachment, document_type=document_type,
            citizen_id=service_request.citizen_id,
        ).first()
        if document is not None:
            document.valid_until, document.checked_by, document.checked_at = valid_until, agent, now
            document.save(update_fields=["valid_until", "checked_by", "checked_at"])
        else:
            document = CitizenDocument(
                organisation_id=attachment.organisation_id, citizen_id=service_request.citizen_id,
                document_type=document_type, original_name=attachment.original_name,
                content_type=attachment.content_type, size=attachment.size, valid_until=valid_until,
                checked_by=agent, checked_at=now, source_attachment=attachment,
            )
            document.file.save(attachment.original_name, ContentFile(_copy(attachment.file)), save=False)
            try:
                document.save()
            except Exception:
                document.file.storage.delete(document.file.name)
                raise
        if valid_until:
            text = _("%(type)s vérifié et gardé dans l'espace « Mes documents », valable jusqu'au %(date)s.") % {
                "type": label_of(document_type), "date": date_format(valid_until, "j F Y"),
            }
        else:
            text = _("%(type)s vérifié et gardé dans l'espace « Mes documents ».") % {
                "type": label_of(document_type)
            }
        add_event(
            service_request, "document_kept", actor=agent, visible_to_citizen=True, text=text,
            data={"attachment": attachment.pk, "document": document.pk, "document_type": document_type,
                  "valid_until": valid_until.isoformat() if valid_until else None},
        )
    return document


def delete_document(document):
    """Remove a document from the citizen's space (its file too)."""
    name, storage = document.file.name, document.file.storage
    document.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
