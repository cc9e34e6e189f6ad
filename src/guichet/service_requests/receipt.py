"""The receipt (accusé de réception) of a request: on screen, by notification and as a PDF.

What French law requires of it
------------------------------
Every request sent to an administration by electronic means gets an electronic acknowledgement of receipt
(Code des relations entre le public et l'administration — CRPA —, art. L. 112-11), sent to the e-mail address
the sender used or gave (art. R. 112-11-2). Guichet issues it instantly, on submission (art. R. 112-11-3 allows
up to seven days). Following art. R. 112-11-1, which refers to the mentions of art. R. 112-5, it carries:

1. the date the request was received (`received_on`);
2. the designation of the service in charge of the file, with its postal address, its e-mail address and its
   telephone number (`service_name`, `service_address_lines`, `service_email`, `service_phone`; the service's own
   e-mail and phone, else the collectivité's; the postal address is the collectivité's);
3. whether the request may give rise to an implicit decision, of acceptance or of refusal, and the date on
   which, failing an express decision, it will be deemed accepted or refused (`silence_means`,
   `implicit_decision_on`) — or that no implicit decision applies;
4. when silence means refusal: the time limits and means of appeal against that implicit decision (recours
   gracieux to the collectivité, recours contentieux before the tribunal administratif within two months,
   art. R. 421-1 and R. 421-2 of the code de justice administrative, Télérecours citoyens), and the right to
   ask for its reasons (art. L. 232-4 CRPA);
   when silence means acceptance: the possibility of obtaining a certificate of the implicit decision
   (art. L. 232-3 CRPA);
5. and, for the citizen's own use, the request's tracking code and the processing deadline configured for the
   procedure.

The implicit decision date is the procedure's deadline; a procedure whose silence has a meaning but no
deadline configured falls back on the general rule of two months (art. L. 231-1 and L. 231-4 CRPA).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from guichet.letters.pdf import french_date, logo_data_uri
from guichet.procedures.models import SilenceMeans

GENERAL_SILENCE_MONTHS = 2


def _add_months(day, months):
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


@dataclass(frozen=True)
class Receipt:
    tracking_code: str
    title: str
    received_at: datetime.datetime
    received_on: str  # « 3 mars 2026 »
    received_time: str  # « 14 h 05 »
    service_name: str
    service_address_lines: list
    service_email: str
    service_phone: str
    deadline: datetime.date | None
    deadline_text: str  # « 30 jours » / « 10 jours ouvrés » / ""
    deadline_on: str  # french date or ""
    silence_means: str
    implicit_decision_on: str  # french date or ""
    silence_text: str
    recourse_text: str
    submitter: str
    organisation_name: str


def receipt_for(service_request):
    """The legal mentions of the request's receipt (see the module's docstring)."""
    from guichet.procedures.services import deadline_in_words

    version = service_request.version
    organisation = service_request.organisation
    service = service_request.service or version.service
    received_at = timezone.localtime(service_request.submitted_at)
    received_day = received_at.date()
    deadline = service_request.deadline
    silence = version.silence_means
    implicit_on = None
    if silence in (SilenceMeans.ACCEPTANCE, SilenceMeans.REFUSAL):
        implicit_on = deadline or _add_months(received_day, GENERAL_SILENCE_MONTHS)
    if silence == SilenceMeans.ACCEPTANCE:
        silence_text = _(
            "Si aucune décision ne vous a été notifiée au plus tard le %(date)s, votre demande sera réputée "
            "acceptée (décision implicite d'acceptation)."
        ) % {"date": french_date(implicit_on)}
        recourse_text = _(
            "Vous pourrez alors obtenir, sur simple demande, une attestation de cette décision implicite "
            "d'acceptation (article L. 232-3 du code des relations entre le public et l'administration)."
        )
    elif silence == SilenceMeans.REFUSAL:
        silence_text = _(
            "Si aucune décision ne vous a été notifiée au plus tard le %(date)s, votre demande sera réputée "
            "rejetée (décision implicite de rejet)."
        ) % {"date": french_date(implicit_on)}
        recourse_text = _(
            "Voies et délais de recours : vous pourrez contester cette décision implicite de rejet dans un délai de "
            "deux mois à compter de la date à laquelle elle sera née, par un recours gracieux adressé à "
            "%(organisation)s ou par un recours contentieux devant le tribunal administratif territorialement "
            "compétent (articles R. 421-1 et R. 421-2 du code de justice administrative), y compris par "
            "l'application « Télérecours citoyens » sur www.telerecours.fr. Dans ce même délai, vous pouvez "
            "demander la communication des motifs de cette décision (article L. 232-4 du code des relations entre "
            "le public et l'administration)."
        ) % {"organisation": organisation.name}
    else:
        silence_text = _(
            "Cette demande ne donne pas lieu à une décision implicite : l'absence de réponse à l'issue du délai "
            "ne vaut ni acceptation ni refus."
        )
        recourse_text = ""
    contact = service_request.citizen
    if contact is not None:
        submitter = " ".join(part for part in (contact.first_name, contact.last_name) if part) or contact.email
    else:
        submitter = service_request.contact_name
    return Receipt(
        tracking_code=service_request.tracking_code,
        title=version.title,
        received_at=received_at,
        received_on=french_date(received_day),
        received_time=received_at.strftime("%H h %M"),
        service_name=service.name if service else organisation.name,
        service_address_lines=[line.strip() for line in organisation.address.splitlines() if line.strip()],
        service_email=(service.email if service and service.email else organisation.email),
        service_phone=(service.phone if service and service.phone else organisation.phone),
        deadline=deadline,
        deadline_text=deadline_in_words(version),
        deadline_on=french_date(deadline) if deadline else "",
        silence_means=silence,
        implicit_decision_on=french_date(implicit_on) if implicit_on else "",
        silence_text=silence_text,
        recourse_text=recourse_text,
        submitter=submitter,
        organisation_name=organisation.name,
    )


def notification_variables(service_request):
    """The variables of the `request.receipt` message (see notifications/catalogue.py)."""
    receipt = receipt_for(service_request)
    silence = receipt.silence_text + (" " + receipt.recourse_text if receipt.recourse_text else "")
    return {
        "demande": {
            "code": receipt.tracking_code,
            "titre": receipt.title,
            "service": receipt.service_name,
            "date": receipt.received_on,
            "delai": receipt.deadline_on,
            "silence": silence,
        }
    }


def request_link(service_request):
    return reverse("service_requests:detail", args=[service_request.tracking_code])


def send_receipt(service_request):
    """The receipt by notification to the citizen, or by e-mail to the contact address of a request without
    account (job queued in the caller's transaction)."""
    from guichet.notifications.services import notify

    if service_request.citizen_id is not None:
        notify(service_request.citizen, "request.receipt", notification_variables(service_request),
               link=request_link(service_request))
    elif service_request.contact_email:
        from .tasks import send_receipt_to_contact

        send_receipt_to_contact.enqueue(service_request.pk)


def receipt_pdf(service_request):
    """The receipt as a PDF on the collectivité's letterhead (bytes)."""
    organisation = service_request.organisation
    context = {
        "receipt": receipt_for(service_request),
        "organisation": organisation,
        "contact_lines": [line.strip() for line in organisation.address.splitlines() if line.strip()],
        "logo": logo_data_uri(organisation),
        "issued_on": french_date(timezone.localdate()),
    }
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("service_requests/receipt_pdf.html", context)
    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).render()
    document.metadata.title = _("Accusé de réception %(code)s") % {"code": service_request.tracking_code}
    document.metadata.authors = [organisation.name]
    document.metadata.lang = "fr"
    return document.write_pdf()
