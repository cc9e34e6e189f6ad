"""An intercommunal body keeps the mayor's office of the member commune a request is about informed of its
progress, when the request's procedure says so (`Procedure.inform_member_commune`).

The steps: the request sent (`submitted`), a change to a status the citizen sees (`status_changed`; the final
ones close the request), the written answer (`answer`), the citizen's withdrawal (`withdrawn`, which closes it),
a reopening (`reopened`). Internal statuses, notes and messages are not sent, nor the citizen's name or contact
details: the commune learns what is asked, where, and where it stands.

How it runs: every timeline event is written by `services.add_event`; the receiver below (post_save of
`RequestEvent`) enqueues `inform_member_commune` for a step event, in the transaction that wrote it (a rolled-back
change sends nothing). The job locks the request, gathers its steps not reported yet (several steps of one
transaction — sent, then its first status — make one e-mail), sends one e-mail to the commune, and records a
`commune_informed` event (agents only) naming the commune, the address and the steps. It is idempotent: the
reported events are listed in those `commune_informed` events, and a job that finds nothing new does nothing.

Which commune: a member commune (`Organisation.intercommunality` is the body, active) found, in this order, in
the request's district (`district`: the « quartier » answer or the city of the request's address), the city of its
address (« …, 54470 Saint-Aubin »), then the city of the citizen's account; matched by INSEE code (a 5-character
text equal to the commune's `insee_code`) or by name (accents, case, hyphens and « St »/« Ste » do not matter).
No member commune found (a commune outside the body, no place at all): nothing is sent or recorded.

Which address: the commune's `settings["mayor_office_email"]` when set, else its contact e-mail
(`Organisation.email`). A commune with neither: the step is recorded as not sent (« aucune adresse »), nothing
crashes, the next steps are tried again.
"""

import logging
import re

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.background.tasks import durable_task

from .models import RequestEvent, ServiceRequest

logger = logging.getLogger("guichet.service_requests")

MESSAGE_KEY = "request.commune_informed"
STEP_KINDS = frozenset({
    RequestEvent.Kind.SUBMITTED, RequestEvent.Kind.STATUS_CHANGED, RequestEvent.Kind.ANSWER,
    RequestEvent.Kind.WITHDRAWN, RequestEvent.Kind.REOPENED,
})
INSEE = re.compile(r"^(\d{5}|2[ABab]\d{3})$")
POSTCODE_CITY = re.compile(r"^\s*\d{5}\s+(.+)$")


# --- which commune, which address ---------------------------------------------------------------------------


def commune_key(name):
    """The name of a commune as compared: folded, words only, « St » and « Ste » spelled out."""
    from guichet.search.text import fold

    words = "".join(char if char.isalnum() else " " for char in fold(name)).split()
    return " ".join({"st": "saint", "ste": "sainte"}.get(word, word) for word in words)


def _address_city(address):
    """« Saint-Aubin » from « 3 rue des Lilas, 54470 Saint-Aubin »."""
    last = (address or "").rsplit(",", 1)[-1]
    match = POSTCODE_CITY.match(last)
    return match.group(1).strip() if match else ""


def member_commune_of(service_request):
    """(commune, source) — the member commune the request is about and where it was read (« district »,
    « address », « citizen »), or (None, "") when the request is not an intercommunal body's or names none."""
    from guichet.organisations.models import Organisation

    organisation = service_request.organisation
    if not organisation.is_intercommunal:
        return None, ""
    members = list(Organisation.objects.filter(
        intercommunality=organisation, kind=Organisation.Kind.COMMUNE, is_active=True))
    if not members:
        return None, ""
    by_code = {member.insee_code.upper(): member for member in members if member.insee_code}
    by_name = {commune_key(member.name): member for member in members}
    candidates = [("district", service_request.district), ("address", _address_city(service_request.address))]
    if service_request.citizen_id and not service_request.anonymised_at:
        candidates.append(("citizen", service_request.citizen.city))
    for source, text in candidates:
        text = (text or "").strip()
        if not text:
            continue
        if INSEE.match(text) and text.upper() in by_code:
            return by_code[text.upper()], source
        commune = by_name.get(commune_key(text))
        if commune is not None:
            return commune, source
    return None, ""


def mayor_office_email(commune):
    """The address the mayor's office of `commune` is written to, or "" (none, or not an e-mail address)."""
    settings = commune.settings if isinstance(commune.settings, dict) else {}
    for address in (settings.get("mayor_office_email"), commune.email):
        address = (address or "").strip() if isinstance(address, str) else ""
        if address:
            try:
                validate_email(address)
            except ValidationError:
                continue
            return address
    return ""


# --- when -------------------------------------------------------------------------------------------------


def is_step(event):
    if event.kind not in STEP_KINDS:
        return False
    return event.kind != RequestEvent.Kind.STATUS_CHANGED or event.visible_to_citizen


def procedure_asks(service_request):
    """True when the request is an intercommunal body's and its procedure keeps the member commune informed."""
    from guichet.procedures.models import Procedure

    if not service_request.procedure_id:
        return False
    # No query for most steps: the request's collectivité and procedure are usually already read.
    organisation_known = ServiceRequest.organisation.is_cached(service_request)
    if organisation_known and not service_request.organisation.is_intercommunal:
        return False
    if organisation_known and ServiceRequest.procedure.is_cached(service_request):
        return service_request.procedure.inform_member_commune
    return Procedure.objects.filter(pk=service_request.procedure_id, inform_member_commune=True,
                                    organisation__kind="intercommunal").exists()


@receiver(post_save, sender=RequestEvent, dispatch_uid="commune-updates-step")
def step_recorded(sender, instance, created, raw=False, **kwargs):
    if not created or raw or not is_step(instance):
        return
    if procedure_asks(instance.request):
        inform_member_commune.enqueue(instance.request_id)


# --- the job ----------------------------------------------------------------------------------------------


def pending_steps(service_request):
    """The step events of the request not reported to its commune yet, oldest first."""
    reported = set()
    for data in service_request.events.filter(kind=RequestEvent.Kind.COMMUNE_INFORMED).values_list("data", flat=True):
        reported.update(data.get("events", []) if isinstance(data, dict) else [])
    events = service_request.events.filter(kind__in=STEP_KINDS).exclude(pk__in=reported).order_by("at", "pk")
    return [event for event in events if is_step(event)]


def step_text(service_request, event):
    """« statut « Acceptée » (demande close) »: one step in words."""
    if event.kind == RequestEvent.Kind.SUBMITTED:
        return _("demande envoyée")
    if event.kind == RequestEvent.Kind.STATUS_CHANGED:
        status = service_request.status_definition(event.status_to) or {}
        label = status.get("label") or event.status_to
        if status.get("final"):
            return _("statut « %(status)s » (demande close)") % {"status": label}
        return _("statut « %(status)s »") % {"status": label}
    if event.kind == RequestEvent.Kind.ANSWER:
        return _("réponse écrite envoyée à l'usager")
    if event.kind == RequestEvent.Kind.WITHDRAWN:
        return _("demande retirée par l'usager (close)")
    if event.kind == RequestEvent.Kind.REOPENED:
        return _("demande rouverte")
    return event.get_kind_display()


def _when(moment):
    from guichet.letters.pdf import french_date

    local = timezone.localtime(moment)
    return _("%(date)s à %(hour)s h %(minute)02d") % {"date": french_date(local.date()), "hour": local.hour,
                                                       "minute": local.minute}


def message_texts(service_request, commune, steps):
    """The rendered e-mail (the collectivité's wording of MESSAGE_KEY, else the default one)."""
    from guichet.notifications.rendering import TemplateProblem, render_texts
    from guichet.notifications.services import default_texts, template_texts

    organisation = service_request.organisation
    lines = [f"- {_when(event.at)} : {step_text(service_request, event)}" for event in steps]
    status = service_request.status_definition() or {}
    context = {
        "collectivite": {"nom": organisation.name, "adresse": " ".join(organisation.address.split()),
                         "telephone": organisation.phone},
        "destinataire": {"civilite": "", "prenom": "", "nom": ""},
        "lien": "",
        "commune": {"nom": commune.name},
        "demande": {
            "code": service_request.tracking_code,
            "titre": service_request.version.title,
            "statut": (status.get("label") or service_request.status) if status.get("visible", True) else "",
            "service": service_request.service.name if service_request.service_id else "",
            "lieu": service_request.address or service_request.district,
        },
        "etape": step_text(service_request, steps[-1]),
        "etapes": "\n".join(lines),
    }
    try:
        return render_texts(template_texts(organisation, MESSAGE_KEY), context)
    except TemplateProblem as problem:
        logger.error("Template %s of %s cannot be rendered (%s): default wording used", MESSAGE_KEY,
                     organisation.slug, problem.message)
        return render_texts(default_texts(MESSAGE_KEY), context)


@durable_task
def inform_member_commune(request_id):
    """E-mail the steps of the request not reported yet to the mayor's office of its member commune, and record
    it (see the module's docstring). Idempotent."""
    from .services import add_event

    with transaction.atomic():
        service_request = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .select_related("organisation", "version", "service", "procedure", "citizen")
            .filter(pk=request_id).first()
        )
        if service_request is None or service_request.anonymised_at or not procedure_asks(service_request):
            return "nothing to do"
        steps = pending_steps(service_request)
        if not steps:
            return "up to date"
        commune, source = member_commune_of(service_request)
        if commune is None:
            return "no member commune"
        address = mayor_office_email(commune)
        data = {"commune_id": commune.pk, "commune": commune.name, "found_in": source, "email": address,
                "events": [event.pk for event in steps], "sent": bool(address)}
        words = ", ".join(step_text(service_request, event) for event in steps)
        if not address:
            add_event(service_request, RequestEvent.Kind.COMMUNE_INFORMED, data=data, text=_(
                "Mairie de %(commune)s non informée : la commune n'a pas d'adresse électronique de contact "
                "(étapes : %(steps)s).") % {"commune": commune.name, "steps": words})
            return "no address"
        texts = message_texts(service_request, commune, steps)
        EmailMessage(subject=texts.subject[:200], body=texts.body, from_email=service_request.organisation.from_email,
                     to=[address]).send()
        add_event(service_request, RequestEvent.Kind.COMMUNE_INFORMED, data=data, text=_(
            "Mairie de %(commune)s informée par courriel (%(address)s) : %(steps)s.")
            % {"commune": commune.name, "address": address, "steps": words})
    return "sent"
