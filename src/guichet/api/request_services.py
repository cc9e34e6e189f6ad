"""Business rules of the requests API: who sees which request, filters, cursor pagination, timelines, messages
and workflow buttons pressed by an integration. The views of requests.py only translate HTTP to these calls.

Callers (`request.auth`):
- an API client (`ApiClient`): the submitted requests of its collectivité in its services (none listed = all);
- a citizen (`User`, from their session): their own submitted requests only.
Anything else (another collectivité, a service outside the client's, another citizen's request, a draft, an
anonymised request) is not found: 404, never revealing it exists.
"""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from guichet.api_clients.models import ApiClient
from guichet.service_requests.models import RequestEvent, ServiceRequest

from .core import ApiError, forbidden, not_found

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
STATES = ("open", "closed", "withdrawn")
# Orders of the list: newest submitted first, or oldest change first (synchronisation with `updated_since`).
ORDERS = {
    "-submitted_at": ("submitted_at", True),
    "updated_at": ("updated_at", False),
}
# What an integration does not read of the timeline: the agents' internal notes.
CLIENT_HIDDEN_KINDS = (RequestEvent.Kind.NOTE,)


def is_client(caller):
    return isinstance(caller, ApiClient)


def reads_content(caller):
    """Whether `caller` is answered what a request holds (answers, place, applicant): a citizen their own, a
    client only with requests:read (not with requests:write, messages:write or workflow:act alone)."""
    return not is_client(caller) or caller.has_scope("requests:read")


def client_service_ids(client):
    """The ids of the services a client is limited to (cached on the client: one query), [] = every service."""
    if not hasattr(client, "_api_service_ids"):
        client._api_service_ids = sorted(client.services.values_list("pk", flat=True))
    return client._api_service_ids


def client_covers(client, service_id):
    ids = client_service_ids(client)
    return not ids or service_id in ids


def visible_requests(organisation, caller):
    """The submitted requests `caller` may read in `organisation` (a queryset)."""
    queryset = ServiceRequest.objects.filter(
        organisation=organisation, state=ServiceRequest.State.SUBMITTED, anonymised_at__isnull=True)
    if is_client(caller):
        if caller.organisation_id != getattr(organisation, "pk", None):
            return queryset.none()
        ids = client_service_ids(caller)
        if ids:
            queryset = queryset.filter(service_id__in=ids)
        return queryset
    if getattr(caller, "is_authenticated", False) and getattr(caller, "is_citizen", False):
        return queryset.filter(citizen=caller)
    return queryset.none()


def get_request(organisation, caller, tracking_code):
    """The request of this tracking code that `caller` may read, or a 404 ApiError."""
    from guichet.service_requests.codes import normalise_tracking_code

    code = normalise_tracking_code(tracking_code) if isinstance(tracking_code, str) and len(tracking_code) < 40 \
        else None
    found = None
    if code is not None:
        found = (visible_requests(organisation, caller).select_related("version", "procedure", "service", "citizen")
                 .filter(tracking_code=code).first())
    if found is None:
        raise not_found(_("Aucune demande de ce numéro de suivi ne vous est accessible."))
    return found


# ---------------------------------------------------------------------------------------------------------------
# Lists: filters and cursors

class BadQuery(ApiError):
    def __init__(self, parameter, message):
        super().__init__(400, _("Requête invalide"), message, code="bad_query",
                         errors=[{"location": ["query", parameter], "message": message, "type": "value_error"}])


@dataclass
class Filters:
    procedure: str = None
    status: str = None
    service: str = None
    state: str = None
    channel: str = None
    submitted_after: datetime.datetime = None
    submitted_before: datetime.datetime = None
    updated_since: datetime.datetime = None
    citizen: int = None


# Dates of the filters and cursors: outside these years a timezone shift overflows (0001-01-01T00:00+14:00).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _aware(moment):
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment, datetime.timezone.utc)
    return moment


def _bounded(parameter, moment):
    """The aware datetime of a date filter, or BadQuery when it is out of the years the API knows."""
    if moment is None:
        return None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise BadQuery(parameter, _("Date hors limites : l'année va de %(first)s à %(last)s.") % {
            "first": FIRST_YEAR, "last": LAST_YEAR})
    return _aware(moment)


def apply_filters(queryset, filters, caller):
    if filters.procedure:
        queryset = queryset.filter(procedure__slug=filters.procedure)
    if filters.status:
        if not is_client(caller):
            # The current status may be internal (a citizen is shown the last visible one): filtering on it would
            # tell them which internal status their request is in.
            raise BadQuery("status", _("Ce filtre est réservé aux clients de l'API."))
        queryset = queryset.filter(status=filters.status)
    if filters.service:
        queryset = queryset.filter(service__slug=filters.service)
    if filters.state == "open":
        queryset = queryset.filter(closed_at__isnull=True, withdrawn_at__isnull=True)
    elif filters.state == "closed":
        queryset = queryset.filter(closed_at__isnull=False, withdrawn_at__isnull=True)
    elif filters.state == "withdrawn":
        queryset = queryset.filter(withdrawn_at__isnull=False)
    elif filters.state:
        raise BadQuery("state", _("État inconnu : open, closed ou withdrawn."))
    if filters.channel:
        if filters.channel not in ServiceRequest.Channel.values:
            raise BadQuery("channel", _("Canal inconnu : choisissez parmi %(channels)s.") % {
                "channels": ", ".join(ServiceRequest.Channel.values)})
        queryset = queryset.filter(channel=filters.channel)
    if filters.submitted_after:
        queryset = queryset.filter(submitted_at__gte=_bounded("submitted_after", filters.submitted_after))
    if filters.submitted_before:
        queryset = queryset.filter(submitted_at__lt=_bounded("submitted_before", filters.submitted_before))
    if filters.updated_since:
        if not is_client(caller):
            raise BadQuery("updated_since", _("Ce filtre est réservé aux clients de l'API."))
        queryset = queryset.filter(updated_at__gte=_bounded("updated_since", filters.updated_since))
    if filters.citizen is not None:
        if not is_client(caller):
            raise BadQuery("citizen", _("Ce filtre est réservé aux clients de l'API."))
        queryset = queryset.filter(citizen_id=filters.citizen)
    return queryset


def encode_cursor(order, moment, pk):
    raw = json.dumps([order, moment.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor, order):
    """(moment, pk) of a cursor given by a previous page, or BadQuery."""
    message = _("Curseur invalide : reprenez le lien « next » d'une page précédente, avec le même ordre.")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_order, moment, pk = json.loads(raw.decode())
        moment = parse_datetime(moment) if isinstance(moment, str) else None
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise BadQuery("cursor", message) from None
    if (cursor_order != order or moment is None or not isinstance(pk, int) or isinstance(pk, bool)
            or not 0 < pk < 2**63 or not FIRST_YEAR <= moment.year <= LAST_YEAR):
        raise BadQuery("cursor", message)
    return _aware(moment), pk


def page_of_requests(organisation, caller, filters, *, order="-submitted_at", cursor=None, limit=DEFAULT_PAGE_SIZE):
    """(requests of the page, cursor of the next page or None): keyset pagination on (date, id) — the same
    number of queries whatever the page (one), stable while requests are added or change."""
    from django.db.models import Q

    if order not in ORDERS:
        raise BadQuery("order", _("Ordre inconnu : %(orders)s.") % {"orders": ", ".join(ORDERS)})
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise BadQuery("limit", _("La taille de page va de 1 à %(max)s.") % {"max": MAX_PAGE_SIZE})
    if order == "updated_at" and not is_client(caller):
        # updated_at moves with the agents' internal work (notes, internal statuses): not a citizen's order.
        raise BadQuery("order", _("Cet ordre est réservé aux clients de l'API."))
    column, descending = ORDERS[order]
    queryset = apply_filters(visible_requests(organisation, caller), filters, caller)
    if cursor:
        moment, pk = decode_cursor(cursor, order)
        if descending:
            queryset = queryset.filter(Q(**{f"{column}__lt": moment}) | Q(**{column: moment, "pk__lt": pk}))
        else:
            queryset = queryset.filter(Q(**{f"{column}__gt": moment}) | Q(**{column: moment, "pk__gt": pk}))
    ordering = [f"-{column}", "-pk"] if descending else [column, "pk"]
    # The answers are not listed, and each version's form and workflow is fetched once per page rather than copied
    # into each row (bench/api.py).
    queryset = (queryset.defer("data").select_related("service").prefetch_related("version", "procedure")
                .order_by(*ordering))
    if not is_client(caller):
        # A citizen is shown the last status visible to them: their status changes, one query for the page.
        from django.db.models import Prefetch

        queryset = queryset.prefetch_related(Prefetch("events", queryset=citizen_events_query(),
                                                      to_attr="status_events"))
    rows = list(queryset[:limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(order, getattr(last, column), last.pk)
    return rows, next_cursor


# ---------------------------------------------------------------------------------------------------------------
# What a request looks like through the API

def state_of(service_request):
    if service_request.withdrawn_at is not None:
        return "withdrawn"
    if service_request.closed_at is not None:
        return "closed"
    return "open"


def citizen_events_query():
    """The events a citizen's view of a request is made of: its status changes (for the last visible status)
    and the events visible to them (for the date of their last change), in order."""
    from django.db.models import Q

    return (RequestEvent.objects.filter(Q(kind=RequestEvent.Kind.STATUS_CHANGED) | Q(visible_to_citizen=True))
            .only("request", "at", "kind", "status_to", "visible_to_citizen").order_by("at", "pk"))


def citizen_events(service_request):
    return list(citizen_events_query().filter(request=service_request))


def citizen_updated_at(service_request, events):
    """When the request last changed for its citizen: their last visible event (never the agents' internal work:
    a note, an internal status, a consultation), else its submission."""
    visible = [event.at for event in events if event.visible_to_citizen]
    return max([moment for moment in (service_request.submitted_at, *visible) if moment is not None],
               default=service_request.updated_at)


def status_of(service_request, caller, status_events=None):
    """{"id", "label", "final"} of the status the caller is shown: the current one for a client; for a citizen the
    last status visible to them (internal statuses are never named, `service_requests.status.citizen_status`)."""
    if is_client(caller):
        definition = service_request.status_definition() or {}
        if not service_request.status:
            return None
        return {"id": service_request.status, "label": str(definition.get("label") or service_request.status),
                "final": bool(definition.get("final"))}
    from guichet.service_requests.status import citizen_status

    if status_events is None:
        status_events = citizen_events(service_request)
    shown = citizen_status(service_request, status_events)
    return None if shown is None else {"id": shown.id, "label": shown.label, "final": shown.final}


def summary_of(service_request):
    """The answers as the agents read them: [{"page", "answers": [{"label", "value"}]}]."""
    import guichet.formdefs as formdefs
    from guichet.service_requests.services import citizen_context

    _profile, members = citizen_context(service_request.citizen) if service_request.citizen_id else (None, [])
    return [{"page": str(title), "answers": [{"label": str(label), "value": str(value)} for label, value in rows]}
            for title, rows in formdefs.summary(service_request.version.form, service_request.data or {},
                                                members=members)]


def actor_kind(event):
    data = event.data if isinstance(event.data, dict) else {}
    if data.get("api_client"):
        return "api_client"
    if event.actor_id is None:
        return "system"
    return "agent" if getattr(event.actor, "is_agent", False) else "citizen"


def timeline_of(service_request, caller):
    """The events of the request the caller may read, oldest first: a citizen the ones visible to them (internal
    statuses left out, as on their page), an integration all of them except the internal notes."""
    events = service_request.events.select_related("actor").order_by("at", "pk")
    if is_client(caller):
        return [event for event in events.exclude(kind__in=CLIENT_HIDDEN_KINDS)]
    from guichet.service_requests.status import visible_status

    shown = []
    for event in events.filter(visible_to_citizen=True):
        if event.kind == RequestEvent.Kind.STATUS_CHANGED and visible_status(service_request, event.status_to) is None:
            continue
        shown.append(event)
    return shown


# ---------------------------------------------------------------------------------------------------------------
# Submitting

def find_procedure_version(organisation, slug):
    """The current version of the published procedure `slug` of the collectivité, or None."""
    from guichet.procedures.models import Procedure

    if not isinstance(slug, str) or not slug or len(slug) > 100:
        return None
    procedure = (Procedure.objects.filter(organisation=organisation, slug=slug, state=Procedure.State.PUBLISHED)
                 .select_related("current_version", "current_version__procedure").first())
    if procedure is None or procedure.current_version is None:
        return None
    return procedure.current_version


def body_error(field, message):
    """A 422 problem about one member of the body."""
    return ApiError(422, _("Données invalides"), message, code="validation",
                    errors=[{"location": ["body", field], "message": str(message), "type": "value_error"}])


def submit_for(organisation, caller, *, procedure, answers, channel=None, citizen=None, contact=None,
               location=None):
    """Submit a request of the published procedure `procedure` (slug) through the API → the request, loaded as
    the caller reads it.

    A client (its scope already checked) submits in its services only (else 403), for the citizen record
    `citizen` (an id) or for `contact` ({"name", "email", "phone"}); a citizen's session submits for themselves
    (neither `citizen` nor `contact`). Raises ApiError, or SubmissionRefused with every refusal of the answers.
    """
    from .submission import submit_answers

    version = find_procedure_version(organisation, procedure)
    if version is None:
        raise body_error("procedure", _("Aucune démarche publiée n'a cet identifiant dans la collectivité."))
    contact = contact or {}
    kwargs = {"contact_name": contact.get("name") or "", "contact_email": contact.get("email") or "",
              "contact_phone": contact.get("phone") or ""}
    if is_client(caller):
        if not client_covers(caller, version.service_id):
            raise forbidden(_("Ce client n'est pas habilité pour le service de cette démarche."))
        found = None
        if citizen is not None:
            found = find_citizen(organisation, citizen)
            if found is None:
                raise body_error("citizen", _("Aucun usager actif de la collectivité n'a cet identifiant."))
        kwargs.update(citizen=found, api_client=caller)
    else:
        if citizen not in (None, caller.pk) or contact:
            raise body_error("citizen", _("Un usager connecté dépose pour lui-même : n'envoyez ni `citizen` ni "
                                          "`contact`."))
        kwargs.update(citizen=caller)
    made = submit_answers(version, answers, channel=channel, location=location, **kwargs)
    return visible_requests(organisation, caller).select_related(
        "version", "procedure", "service", "citizen").get(pk=made.pk)


def find_citizen(organisation, citizen_id):
    from guichet.citizen_records.services import citizens

    if citizen_id is None or isinstance(citizen_id, bool) or not 0 < citizen_id < 2**63:
        return None
    return citizens(organisation).filter(pk=citizen_id).first()


def client_data(client):
    """What the events written for an API client hold in their `data` (read by `actor_kind` and the timeline)."""
    return {"api_client": client.pk, "api_client_name": client.name}


def acting_client(client):
    """Context in which the events written by other apps' services (messaging, workflow engine, submission) are
    written with the client in their data — the timeline is append-only, nothing is stamped afterwards."""
    from guichet.service_requests.services import events_written_with

    return events_written_with(**client_data(client))


# ---------------------------------------------------------------------------------------------------------------
# Messages

def post_message(service_request, caller, text, *, answer=False, token=None):
    """A message as the collectivité (client with messages:write) or as the citizen (their session) → (event,
    created). The same `token` posted again gives the first message back, created False."""
    from guichet.service_requests import messaging

    try:
        with transaction.atomic():
            if is_client(caller):
                with acting_client(caller):
                    event = messaging.post_agent_message(service_request, None, text, answer=answer, token=token)
            else:
                if answer:
                    raise ApiError(422, _("Données invalides"),
                                   _("Seul le service donne la réponse écrite (answer) à une demande."),
                                   code="validation")
                event = messaging.post_citizen_message(service_request, caller, text, token=token)
    except messaging.AlreadyPosted as replay:
        return replay.event, False
    except messaging.MessageRefused as refusal:
        raise ApiError(409, _("Conflit"), refusal.message, code="message_refused") from refusal
    return event, True


# ---------------------------------------------------------------------------------------------------------------
# Workflow buttons

class ClientActor:
    """An API client acting in the workflow engine: role « agent » on the requests of its services when it holds
    `workflow:act` (`engine.roles_of` asks `workflow_roles`). Not a user: events have no actor (the client is
    written in their data)."""

    is_authenticated = False
    is_agent = False
    pk = None

    def __init__(self, client):
        self.client = client

    def workflow_roles(self, service_request):
        client = self.client
        if (client.is_active and client.has_scope("workflow:act")
                and client.organisation_id == service_request.organisation_id
                and client_covers(client, service_request.service_id)):
            return {"agent"}
        return set()


def buttons_for(service_request, client):
    from guichet.workflows import engine

    return engine.available_buttons(service_request, ClientActor(client))


def press_button(service_request, client, button_id, *, lock_version, inputs=None):
    """Press a workflow button as an integration → the request (reloaded). 409 when the request changed since
    `lock_version` or the button is not available in its status, 422 when the workflow refuses (input missing,
    final status without written answer…)."""
    from django.core.exceptions import PermissionDenied

    from guichet.workflows import engine

    if button_id not in {button.id for button in buttons_for(service_request, client)}:
        if service_request.lock_version != lock_version:
            raise changed(service_request)
        raise ApiError(409, _("Conflit"), _("Ce bouton n'est pas disponible dans le statut actuel de la demande : "
                                            "voir /actions."), code="button_unavailable")
    try:
        with transaction.atomic(), acting_client(client):
            engine.press(service_request, button_id, ClientActor(client), form_data=dict(inputs or {}),
                         lock_version=lock_version)
    except engine.RequestChanged:
        service_request.refresh_from_db(fields=["lock_version"])
        raise changed(service_request) from None
    except PermissionDenied:
        raise forbidden(_("Ce client ne peut pas agir sur cette demande.")) from None
    except engine.WorkflowError as refusal:
        raise ApiError(422, _("Données invalides"), refusal.message, code="workflow_refused") from refusal
    return ServiceRequest.objects.select_related("version", "procedure", "service", "citizen").get(
        pk=service_request.pk)


def changed(service_request):
    return ApiError(409, _("Conflit"), _(
        "La demande a changé entre-temps (quelqu'un d'autre vient d'agir dessus) : rien n'a été fait. Relisez-la "
        "puis recommencez avec son nouveau lock_version."), code="changed", lock_version=service_request.lock_version)
