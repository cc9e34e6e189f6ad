"""The vocabulary of supporting documents (pièces justificatives) kept for « Dites-le nous une fois ».

A file field of a form names one of these slugs in `document_type`; an agent who checked such a file may keep it
in the citizen's document space, valid until a date (by default today + the type's usual validity).
"""

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentType(models.TextChoices):
    JUSTIFICATIF_DOMICILE = "justificatif-domicile", _("Justificatif de domicile")
    LIVRET_FAMILLE = "livret-famille", _("Livret de famille")
    PIECE_IDENTITE = "piece-identite", _("Pièce d'identité")
    ATTESTATION_CAF = "attestation-caf", _("Attestation de la CAF (quotient familial)")
    AVIS_IMPOSITION = "avis-imposition", _("Avis d'imposition")
    RIB = "rib", _("Relevé d'identité bancaire (RIB)")
    ATTESTATION_ASSURANCE = "attestation-assurance", _("Attestation d'assurance")
    CARNET_VACCINATION = "carnet-vaccination", _("Carnet de vaccination")
    STATUTS_ASSOCIATION = "statuts-association", _("Statuts de l'association")
    JUGEMENT_GARDE = "jugement-garde", _("Jugement relatif à la garde des enfants")


# Usual validity in months from the day an agent checks the document; None: no date of its own (an identity
# card's own expiry date is typed by the agent).
DEFAULT_VALIDITY_MONTHS = {
    DocumentType.JUSTIFICATIF_DOMICILE: 3,
    DocumentType.LIVRET_FAMILLE: None,
    DocumentType.PIECE_IDENTITE: None,
    DocumentType.ATTESTATION_CAF: 3,
    DocumentType.AVIS_IMPOSITION: 12,
    DocumentType.RIB: None,
    DocumentType.ATTESTATION_ASSURANCE: 12,
    DocumentType.CARNET_VACCINATION: 12,
    DocumentType.STATUTS_ASSOCIATION: None,
    DocumentType.JUGEMENT_GARDE: None,
}


def is_document_type(slug):
    return slug in DocumentType.values


def label_of(slug):
    """The French label of a document type (the slug itself when unknown)."""
    return DocumentType(slug).label if is_document_type(slug) else slug


def add_months(day, months):
    """`day` plus `months` months, on the last day of the month when the day does not exist (31 → 30…)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def default_valid_until(slug, on):
    """The usual end of validity of a document of this type checked on `on` (None: no end)."""
    months = DEFAULT_VALIDITY_MONTHS.get(slug)
    return add_months(on, months) if months else None
