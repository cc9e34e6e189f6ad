"""The citizen's document space: supporting documents checked by an agent, reused by later procedures."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned
from guichet.service_requests.storage import get_private_storage, private_name

from .types import DocumentType


def document_upload_to(instance, filename):
    """`<collectivité id>/documents/<2 hex>/<uuid>.<ext>`: never the citizen's file name."""
    extension = filename.rpartition(".")[2] if "." in filename else ""
    return private_name(instance.organisation_id, "documents", extension[:10])


class CitizenDocument(OrganisationOwned):
    """A copy of a file an agent checked, kept for the citizen with its type and end of validity.

    The file is a copy, not a link: the request's attachment may later be anonymised or deleted.
    """

    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("usager"), on_delete=models.CASCADE, related_name="documents"
    )
    document_type = models.CharField(_("type de document"), max_length=40, choices=DocumentType.choices)
    file = models.FileField(_("fichier"), storage=get_private_storage, upload_to=document_upload_to, max_length=255)
    original_name = models.CharField(_("nom d'origine"), max_length=255)
    content_type = models.CharField(_("type de contenu"), max_length=100)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("vérifié par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    source_attachment = models.ForeignKey(
        "service_requests.Attachment", verbose_name=_("pièce d'origine"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="kept_documents",
    )
    created_at = models.DateTimeField(_("ajouté le"), auto_now_add=True)

    class Meta:
        verbose_name = _("document de l'usager")
        verbose_name_plural = _("documents des usagers")
        ordering = ["document_type", "-checked_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "citizen", "document_type"], name="document_citizen_type")]

    def __str__(self):
        return f"{self.get_document_type_display()} — {self.original_name}"
