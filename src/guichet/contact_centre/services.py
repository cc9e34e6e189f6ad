"""Business rules of the contact centre: the telephony secret, the incoming calls, the contacts agents log.

Public functions:
- `generate_secret(organisation, agent, label)` → (TelephonySecret, clear value shown once); `revoke_secret`;
- `authenticate(organisation, authorization_header)` → the active secret presented, or None (constant time);
- `receive_call(organisation, call_id=, caller=, extension=)` → (IncomingCall, created) — idempotent;
- `ringing_calls(agent, organisation)` → the calls ringing for this agent (their extension, or nobody's);
- `pop(agent, organisation)` → what the call screen shows: ringing calls with their citizens and open requests;
- `take_call(call, agent, citizen=None)`, `start_contact(organisation, agent, kind, ...)` → a Contact;
- `log_contact(contact, agent, **fields)` → the logged contact (and the CALL/VISIT event on the request).
"""

import datetime
import re

import phonenumbers
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.organisations.secrets import hash_secret, new_secret, presented_hash, same_hash
from guichet.agents.models import Service
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import add_event

from .models import Contact, IncomingCall, TelephonySecret

# A call still « ringing » after this long was not taken: it leaves the screen (and a periodic job marks it
# missed). Telephony systems usually give up after a minute or two.
RINGING_WINDOW = datetime.timedelta(minutes=5)
MAX_RINGING_SHOWN = 5
MAX_CALL_ID = 100
MAX_CALLER = 40
MAX_EXTENSION = 20
SECRET_PREFIX = "gtel_"


class ContactRefused(Exception):
    """A contact (or a call) that cannot be taken or logged; `message` is French, `field` the form field."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- the telephony secret --------------------------------------------------------------------------------------


def generate_secret(organisation, agent=None, label=""):
    """A new secret for the collectivité's telephony system → (TelephonySecret, clear value). Only the hash is
    stored; the clear value is shown once to the administrator who generated it."""
    clear = new_secret(SECRET_PREFIX)
    secret = TelephonySecret.objects.create(
        organisation=organisation, label=(label or "").strip()[:100], secret_hash=hash_secret(clear),
        hint=clear[:8], created_by=agent if getattr(agent, "is_authenticated", False) else None,
    )
    return secret, clear


def install_secret(organisation, clear, label=""):
    """Store a secret whose clear value is known in advance (the demo) → the TelephonySecret (idempotent)."""
    secret, _created = TelephonySecret.objects.get_or_create(
        secret_hash=hash_secret(clear),
        defaults={"organisation": organisation, "label": label, "hint": clear[:8]},
    )
    return secret


def active_secrets(organisation):
    return TelephonySecret.objects.of(organisation).filter(revoked_at__isnull=True)


def revoke_secret(secret):
    if secret.revoked_at is None:
        secret.revoked_at = timezone.now()
        secret.save(update_fields=["revoked_at"])
    return secret


def authenticate(organisation, authorization):
    """The active secret of `organisation` presented as `Authorization: Bearer <secret>`, or None.

    The presented value's hash is compared with every active hash of the collectivité in constant time (no
    early exit, no lookup by the presented value), so that timing tells nothing about the stored hashes.
    """
    presented = presented_hash(authorization)
    if organisation is None or presented is None:
        return None
    found = None
    for secret in active_secrets(organisation):
        if same_hash(secret.secret_hash, presented):
            found = secret
    if found is not None and (found.last_used_at is None
                              or timezone.now() - found.last_used_at > datetime.timedelta(minutes=1)):
        TelephonySecret.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found


# --- incoming calls ----------------------------------------------------------------------------------------------


def normalise_number(raw):
    """The E.164 form of a phone number as a telephony system sends it ("0612345678", "+33 6 12…", "0033…"),
    French by default; "" when it is not a possible number (hidden caller, "anonymous"…).

    A French number is read as citizens' phones are stored (`accounts.validators.parse_french_phone`: overseas
    ones too, « 0692 12 34 56 » is La Réunion's +262…), so that the caller is matched; any other possible number
    is kept as it is (a foreign caller)."""
    from guichet.accounts.validators import parse_french_phone

    text = str(raw or "").strip()
    if not text:
        return ""
    if text.startswith("00"):
        text = "+" + text[2:]
    french = parse_french_phone(text)
    if french is not None:
        return french.as_e164
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_number(e164_or_raw):
    """A number written the French way for the screen: « 06 12 34 56 78 », « +44 20 7946 0958 »."""
    text = str(e164_or_raw or "")
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return text
    if number.country_code == 33:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def agent_for_extension(organisation, extension):
    """The active agent of `organisation` whose extension this is (None when nobody, or several, have it)."""
    if not extension:
        return None
    agents = list(User.objects.filter(
        organisation=organisation, kind=User.Kind.AGENT, is_active=True, phone_extension=extension,
    )[:2])
    return agents[0] if len(agents) == 1 else None


EXTENSION_PATTERN = re.compile(r"^[0-9A-Za-z*#+\-]{1,20}$")


def set_extension(organisation, agent, extension):
    """Give the agent this phone extension ("" to take it away) → the agent. Refused (ContactRefused) when it is
    not an extension (digits, letters, * # + -, 20 at most) or another active agent of the collectivité has it."""
    extension = (extension or "").strip()
    if agent.organisation_id != organisation.pk or not agent.is_agent:
        raise ContactRefused(_("Cette personne n'est pas un agent de la collectivité."))
    if extension and not EXTENSION_PATTERN.match(extension):
        raise ContactRefused(_("Un poste s'écrit avec des chiffres (et éventuellement des lettres, *, #, + ou -), "
                               "20 caractères au plus."), "extension")
    if extension:
        holder = User.objects.filter(organisation=organisation, kind=User.Kind.AGENT, is_active=True,
                                     phone_extension=extension).exclude(pk=agent.pk).first()
        if holder is not None:
            raise ContactRefused(_("Le poste %(extension)s est déjà celui de %(name)s.") % {
                "extension": extension, "name": holder.get_full_name() or holder.email}, "extension")
    if agent.phone_extension != extension:
        agent.phone_extension = extension
        agent.save(update_fields=["phone_extension"])
    return agent


def receive_call(organisation, *, call_id, caller="", extension=""):
    """Record the call the telephony system announces → (IncomingCall, created).

    The same `call_id` delivered again (the system retries) gives back the call already recorded: never a second
    one. An unknown caller (no citizen with that number, hidden number) or an unknown extension (nobody's: shown
    to every agent as an unassigned call) is accepted.
    """
    existing = IncomingCall.objects.of(organisation).filter(call_id=call_id).first()
    if existing is not None:
        return existing, False
    call = IncomingCall(
        organisation=organisation, call_id=call_id, caller_raw=caller, caller=normalise_number(caller),
        extension=extension, agent=agent_for_extension(organisation, extension),
    )
    try:
        with transaction.atomic():
            call.save()
    except IntegrityError:  # the same call delivered twice at the same moment
        return IncomingCall.objects.of(organisation).get(call_id=call_id), False
    return call, True


def ringing_calls(agent, organisation, now=None):
    """The calls ringing now for this agent: on their extension, or on no agent's (unassigned), most recent
    first (at most MAX_RINGING_SHOWN)."""
    now = now or timezone.now()
    return list(
        IncomingCall.objects.of(organisation)
        .filter(state=IncomingCall.State.RINGING, received_at__gte=now - RINGING_WINDOW)
        .filter(Q(agent=agent) | Q(agent__isnull=True))
        .order_by("-received_at", "-pk")[:MAX_RINGING_SHOWN]
    )


def citizens_for_numbers(organisation, numbers):
    """{E.164 number: [citizens with that phone]} in one query (citizen_records' rules of who may be looked up)."""
    from guichet.citizen_records.services import citizens

    numbers = sorted({number for number in numbers if number})
    found = {number: [] for number in numbers}
    if not numbers:
        return found
    for citizen in citizens(organisation).filter(phone__in=numbers).order_by("last_name", "first_name", "pk"):
        found.setdefault(citizen.phone.as_e164, []).append(citizen)
    return found


def open_requests_of(organisation, citizens):
    """{citizen pk: [open requests]} of these citizens in this collectivité, in one query, by deadline."""
    pks = [citizen.pk for citizen in citizens]
    found = {pk: [] for pk in pks}
    if not pks:
        return found
    requests = (
        ServiceRequest.objects.of(organisation)
        .filter(citizen_id__in=pks, state=ServiceRequest.State.SUBMITTED, closed_at__isnull=True,
                withdrawn_at__isnull=True, merged_into__isnull=True)
        .select_related("version")
        .order_by("deadline", "-submitted_at", "pk")
    )
    for service_request in requests:
        found[service_request.citizen_id].append(service_request)
    return found


def pop(agent, organisation, now=None):
    """What the call screen pops: [{"call", "number", "citizens": [{"citizen", "requests"}]}] (3 queries)."""
    calls = ringing_calls(agent, organisation, now=now)
    by_number = citizens_for_numbers(organisation, [call.caller for call in calls])
    everyone = {citizen.pk: citizen for group in by_number.values() for citizen in group}
    requests = open_requests_of(organisation, everyone.values())
    return [{
        "call": call,
        "number": format_number(call.caller or call.caller_raw),
        "citizens": [{"citizen": citizen, "requests": requests.get(citizen.pk, [])}
                     for citizen in by_number.get(call.caller, [])],
    } for call in calls]


def mark_missed(now=None):
    """Calls still ringing after RINGING_WINDOW are missed (periodic job) → how many."""
    now = now or timezone.now()
    return IncomingCall.objects.filter(
        state=IncomingCall.State.RINGING, received_at__lt=now - RINGING_WINDOW,
    ).update(state=IncomingCall.State.MISSED)


# --- contacts --------------------------------------------------------------------------------------------------------


def citizen_of(organisation, pk):
    """The citizen of this collectivité with this pk (None when not one of its citizens)."""
    from guichet.citizen_records.services import citizens

    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2**63:
        return None
    return citizens(organisation).filter(pk=pk).first()


def take_call(call, agent, citizen=None):
    """The agent takes the ringing call → a call Contact linked to it and to the caller's citizen (the one given,
    which must have the caller's number, else the only citizen with that number)."""
    if call.agent_id is not None and call.agent_id != agent.pk:
        raise ContactRefused(_("Cet appel sonne sur le poste d'un autre agent."))
    candidates = citizens_for_numbers(call.organisation, [call.caller]).get(call.caller, []) if call.caller else []
    if citizen is not None and citizen.pk not in {candidate.pk for candidate in candidates}:
        raise ContactRefused(_("Cet usager n'a pas le numéro de l'appelant."))
    if citizen is None and len(candidates) == 1:
        citizen = candidates[0]
    with transaction.atomic():
        taken = IncomingCall.objects.filter(pk=call.pk, state=IncomingCall.State.RINGING).update(
            state=IncomingCall.State.TAKEN, taken_by=agent)
        if not taken:
            raise ContactRefused(_("Cet appel a déjà été pris ou n'est plus en ligne."))
        call.state, call.taken_by = IncomingCall.State.TAKEN, agent
        return Contact.objects.create(
            organisation=call.organisation, kind=Contact.Kind.CALL, agent=agent, citizen=citizen,
            caller_number=call.caller, incoming_call=call,
        )


def start_contact(organisation, agent, kind, citizen=None, caller_number=""):
    """A call or a visit at the counter started by hand (no telephony system) → the Contact."""
    if kind not in Contact.Kind.values:
        raise ContactRefused(_("Type de contact inconnu."))
    number = normalise_number(caller_number)
    if citizen is None and number:
        found = citizens_for_numbers(organisation, [number]).get(number, [])
        citizen = found[0] if len(found) == 1 else None
    return Contact.objects.create(
        organisation=organisation, kind=kind, agent=agent, citizen=citizen,
        caller_number=number if kind == Contact.Kind.CALL else "",
    )


def attach_citizen(contact, citizen):
    """Name the citizen of a contact started without one (hidden number, visit) → the contact."""
    if citizen is None or citizen.organisation_id != contact.organisation_id or not citizen.is_citizen:
        raise ContactRefused(_("Cet usager n'est pas un usager de la collectivité."))
    if contact.citizen_id is not None and contact.citizen_id != citizen.pk:
        raise ContactRefused(_("Ce contact concerne déjà un autre usager."))
    contact.citizen = citizen
    contact.save(update_fields=["citizen"])
    return contact


def contacts_of_agent_open(agent, organisation):
    """The agent's contacts not logged yet (started today or before), most recent first."""
    return (Contact.objects.of(organisation).filter(agent=agent, logged_at__isnull=True)
            .select_related("citizen").order_by("-started_at", "-pk")[:20])


def requests_of_citizen(organisation, citizen, limit=30):
    """The citizen's requests in this collectivité an agent may link a contact to (sent ones and drafts, whoever
    started them; not anonymised ones), most recent first."""
    if citizen is None:
        return ServiceRequest.objects.none()
    return (ServiceRequest.objects.of(organisation).filter(citizen=citizen, anonymised_at__isnull=True)
            .select_related("version").order_by("-created_at", "-pk")[:limit])


def transfer_services(organisation):
    return Service.objects.filter(organisation=organisation, is_active=True).order_by("name")


def transfer_agents(organisation):
    return User.objects.filter(organisation=organisation, kind=User.Kind.AGENT, is_active=True).order_by(
        "last_name", "first_name", "pk")


def parse_duration(text):
    """« 12:30 » (minutes:seconds), « 1:02:03 », « 5 » or « 5 min » (minutes) → timedelta; ValueError else."""
    text = (text or "").strip().lower().replace(" ", "")
    for suffix in ("minutes", "minute", "mins", "min", "mn"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    if not text:
        raise ValueError(_("Indiquez la durée."))
    parts = text.split(":")
    if len(parts) > 3 or not all(part.isdigit() and len(part) <= 4 for part in parts):
        raise ValueError(_("Écrivez la durée en minutes (« 5 ») ou en minutes et secondes (« 4:30 »)."))
    numbers = [int(part) for part in parts]
    if len(numbers) == 1:
        seconds = numbers[0] * 60
    elif len(numbers) == 2:
        if numbers[1] >= 60:
            raise ValueError(_("Les secondes vont de 00 à 59."))
        seconds = numbers[0] * 60 + numbers[1]
    else:
        if numbers[1] >= 60 or numbers[2] >= 60:
            raise ValueError(_("Les minutes et les secondes vont de 00 à 59."))
        seconds = numbers[0] * 3600 + numbers[1] * 60 + numbers[2]
    if seconds > 12 * 3600:
        raise ValueError(_("Une durée de plus de 12 heures n'est pas plausible."))
    return datetime.timedelta(seconds=seconds)


def format_duration(duration):
    """timedelta → « 4:05 » (or « 1:02:03 » beyond an hour); "" for None."""
    if duration is None:
        return ""
    seconds = max(0, int(duration.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


def log_contact(contact, agent, *, reason, outcome, duration=None, notes="", transferred_to_service=None,
                transferred_to_agent=None, created_request=None, related_request=None, now=None):
    """Log (or correct) the contact → the contact. The rules: the transfer's service and agent, and the requests,
    belong to the contact's collectivité (and the requests to its citizen); a transfer names a service or an agent;
    « request created » names the request. A contact about a request adds a CALL (or VISIT) event, seen by agents
    only, on that request the first time it is linked (and on the request created, if another one)."""
    organisation = contact.organisation
    now = now or timezone.now()
    if outcome not in Contact.Outcome.values:
        raise ContactRefused(_("Choisissez l'issue du contact."), "outcome")
    if transferred_to_service is not None and transferred_to_service.organisation_id != organisation.pk:
        raise ContactRefused(_("Ce service n'est pas un service de la collectivité."), "transferred_to_service")
    if transferred_to_agent is not None and (
            transferred_to_agent.organisation_id != organisation.pk or not transferred_to_agent.is_agent):
        raise ContactRefused(_("Cette personne n'est pas un agent de la collectivité."), "transferred_to_agent")
    for field, service_request in (("created_request", created_request), ("related_request", related_request)):
        if service_request is not None and (
                service_request.organisation_id != organisation.pk or contact.citizen_id is None
                or service_request.citizen_id != contact.citizen_id):
            raise ContactRefused(_("Cette demande n'est pas une demande de cet usager."), field)
    if outcome == Contact.Outcome.TRANSFERRED and transferred_to_service is None and transferred_to_agent is None:
        raise ContactRefused(_("Indiquez le service ou l'agent vers qui le contact a été transféré."),
                             "transferred_to_service")
    if outcome == Contact.Outcome.REQUEST_CREATED and created_request is None:
        raise ContactRefused(_("Choisissez la demande créée pendant le contact."), "created_request")
    if outcome != Contact.Outcome.TRANSFERRED:
        transferred_to_service = transferred_to_agent = None
    if outcome != Contact.Outcome.REQUEST_CREATED:
        created_request = None
    with transaction.atomic():
        previous = Contact.objects.select_for_update().get(pk=contact.pk)
        already_traced = {previous.related_request_id, previous.created_request_id} - {None}
        if contact.ended_at is None:
            contact.ended_at = now
        if duration is None:
            duration = contact.ended_at - contact.started_at
        contact.duration = max(duration, datetime.timedelta(0))
        contact.reason = reason.strip()[:300]
        contact.outcome = outcome
        contact.notes = notes.strip()
        contact.transferred_to_service = transferred_to_service
        contact.transferred_to_agent = transferred_to_agent
        contact.created_request = created_request
        contact.related_request = related_request
        contact.logged_at = now
        contact.save()
        kind = RequestEvent.Kind.CALL if contact.kind == Contact.Kind.CALL else RequestEvent.Kind.VISIT
        for service_request in (related_request, created_request):
            if service_request is None or service_request.pk in already_traced:
                continue
            already_traced.add(service_request.pk)
            add_event(
                service_request, kind, actor=agent, visible_to_citizen=False, text=contact.reason, at=now,
                data={"contact_id": contact.pk, "outcome": outcome,
                      "duration_seconds": int(contact.duration.total_seconds())},
            )
    return contact


def outcome_detail(contact):
    """The outcome in one French line: « Transféré : Voirie (Dominique Agent) », « Demande créée : AB12… »."""
    if not contact.outcome:
        return _("En cours")
    label = contact.get_outcome_display()
    if contact.outcome == Contact.Outcome.TRANSFERRED:
        targets = [name for name in (
            contact.transferred_to_service.name if contact.transferred_to_service_id else "",
            (contact.transferred_to_agent.get_full_name() or contact.transferred_to_agent.email)
            if contact.transferred_to_agent_id else "",
        ) if name]
        return f"{label} : {' — '.join(targets)}" if targets else label
    if contact.outcome == Contact.Outcome.REQUEST_CREATED and contact.created_request_id:
        return f"{label} : {contact.created_request.tracking_code}"
    return label


def journal(organisation):
    """The collectivité's contacts, most recent first, with what their rows show (no query per row)."""
    return (Contact.objects.of(organisation)
            .select_related("agent", "citizen", "transferred_to_service", "transferred_to_agent", "created_request",
                            "related_request")
            .order_by("-started_at", "-pk"))
