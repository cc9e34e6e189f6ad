"""/api/v1/requests: submitting and following requests (mounted by core.mount_routers). Guide: REQUESTS.md.

An API client (bearer) needs the scope of the operation (requests:write to submit, requests:read to read,
messages:write to write to the citizen, workflow:act for the buttons) and reads only the requests of its services;
a citizen's session reads and writes only their own requests. Business rules: request_services.py, submission.py.
"""

import datetime
from typing import List, Optional

from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status

from guichet.service_requests.models import RequestEvent
from guichet.service_requests.status import visible_status

from . import request_services as services
from .core import MAX_LISTED_ERRORS, ApiError, CitizenSession, ClientAuth, require_scope
from .request_schemas import (
    LINE, MAX_ID, SLUG, ActionIn, ActionsOut, MessageIn, RequestOut, RequestPage, RequestSummary, SubmitIn,
    TimelineEvent,
)
from .schemas import Problem
from .submission import ALL, SubmissionRefused

router = Router(tags=["Demandes"], auth=[ClientAuth(), CitizenSession()])
CODE = Path(..., max_length=40, description="Numéro de suivi (RQ-XXXX-XXXX).")
BUTTON = Path(..., max_length=80, pattern=r"^[-a-zA-Z0-9_]{1,80}$", description="Identifiant du bouton.")
LINKS = {
    "read": {"operationId": "read_request", "parameters": {"tracking_code": "$response.body#/tracking_code"},
             "description": "La demande déposée."},
    "timeline": {"operationId": "read_request_timeline",
                 "parameters": {"tracking_code": "$response.body#/tracking_code"},
                 "description": "Son historique."},
    "message": {"operationId": "post_request_message",
                "parameters": {"tracking_code": "$response.body#/tracking_code"},
                "description": "Écrire à son sujet."},
    "actions": {"operationId": "list_request_actions",
                "parameters": {"tracking_code": "$response.body#/tracking_code"},
                "description": "Les boutons du circuit disponibles."},
}


def _caller(request, scope):
    """request.auth, after checking the client's `scope` (a citizen's session needs none)."""
    caller = request.auth
    if services.is_client(caller):
        require_scope(request, scope)
    return caller


# --- serialisation ---------------------------------------------------------------------------------------------

def _url(service_request):
    return reverse("api:read_request", kwargs={"tracking_code": service_request.tracking_code})


def _summary(service_request, caller, status_events=None):
    service = service_request.service
    client = services.is_client(caller)
    if not client and status_events is None:
        status_events = services.citizen_events(service_request)
    return {
        "tracking_code": service_request.tracking_code,
        "url": _url(service_request),
        "procedure": {"slug": service_request.procedure.slug, "title": service_request.version.title},
        "status": services.status_of(service_request, caller, status_events),
        "state": services.state_of(service_request),
        "channel": service_request.channel,
        "channel_label": str(service_request.get_channel_display()),
        "service": {"id": service.pk, "slug": service.slug, "name": service.name} if service else None,
        "deadline": service_request.deadline,
        "waiting_for_citizen": service_request.waiting_for_citizen,
        "submitted_at": service_request.submitted_at,
        "updated_at": (service_request.updated_at if client
                       else services.citizen_updated_at(service_request, status_events)),
        "closed_at": service_request.closed_at,
        "withdrawn_at": service_request.withdrawn_at,
        "lock_version": service_request.lock_version if client else None,
    }


def _detail(service_request, caller):
    body = _summary(service_request, caller)
    client = services.is_client(caller)
    if not services.reads_content(caller):
        # A client without requests:read (it submits or presses buttons) is not answered what the request holds:
        # pre-filled from a citizen's profile, it would read any citizen's data by submitting for their id.
        body.update({"information_request": "", "place": {"address": "", "latitude": None, "longitude": None,
                                                          "district": ""},
                     "citizen": None, "contact": None, "answers": {}, "summary": []})
        return body
    body.update({
        "information_request": service_request.information_request,
        "place": {"address": service_request.address, "latitude": service_request.latitude,
                  "longitude": service_request.longitude, "district": service_request.district},
        "citizen": service_request.citizen_id if client else None,
        "contact": ({"name": service_request.contact_name, "email": service_request.contact_email,
                     "phone": service_request.contact_phone} if client and service_request.citizen_id is None
                    else None),
        "answers": service_request.data or {},
        "summary": services.summary_of(service_request),
    })
    return body


def _event(event, service_request, caller, titles):
    client = services.is_client(caller)
    data = event.data if isinstance(event.data, dict) else {}
    ids = data.get("attachments") if isinstance(data.get("attachments"), list) else []
    title = titles.get(event.kind, (str(event.get_kind_display()), ""))[0]
    label = None
    if event.kind == RequestEvent.Kind.STATUS_CHANGED and event.status_to:
        label = str(service_request.status_label(event.status_to))
        if not client:
            title = _("Nouveau statut : %(label)s") % {"label": label}
    actor_name = None
    if client:
        actor_name = data.get("api_client_name") or (event.actor.get_full_name() if event.actor_id else None)
    status_from = event.status_from or None
    if not client and status_from and visible_status(service_request, status_from) is None:
        status_from = None  # a citizen is never told the internal status their request left
    return {
        "id": event.pk, "at": event.at, "kind": event.kind, "title": str(title), "text": event.text,
        "author": services.actor_kind(event), "status_from": status_from,
        "status_to": event.status_to or None, "status_label": label,
        "attachments": [pk for pk in ids if isinstance(pk, int) and not isinstance(pk, bool)],
        "visible_to_citizen": event.visible_to_citizen if client else None, "actor_name": actor_name,
    }


def _titles(caller):
    if services.is_client(caller):
        return {}
    from guichet.service_requests.status import citizen_titles

    return citizen_titles()


# --- submitting ------------------------------------------------------------------------------------------------

def _error_location(key):
    if key == ALL or key == "files":
        return ["body"]
    if key in ("channel", "citizen", "location"):
        return ["body", key]
    if key.startswith("contact_"):
        return ["body", "contact", key.split("_", 1)[1]]
    return ["body", "answers", *[int(part) if part.isdigit() else part for part in key.split(".")]]


def _refused(errors):
    listed = [{"location": _error_location(key), "message": str(message), "type": "answer"}
              for key, message in list(errors.items())[:MAX_LISTED_ERRORS]]
    first = next(iter(errors.values()), "")
    return ApiError(422, _("Données invalides"), _("La demande n'a pas été déposée : %(first)s Voir « errors ».")
                    % {"first": first}, code="validation", errors=listed)


@router.post(
    "", response={201: RequestOut, 409: Problem, 413: Problem}, summary="Déposer une demande",
    operation_id="submit_request",
    description=(
        "Un client de l'API (permission requests:write) dépose pour le compte d'un usager (`citizen`) ou d'un "
        "demandeur sans compte (`contact`), avec le canal d'arrivée ; un usager connecté (sa session, jeton "
        "CSRF) dépose pour lui-même. Les réponses sont vérifiées comme sur le site, page par page ; toutes les "
        "erreurs sont rendues ensemble (422, `errors`)."),
    openapi_extra={"responses": {201: {"links": LINKS, "headers": {
        "Location": {"description": "Adresse de la demande créée.", "schema": {"type": "string"}}}}}},
)
def submit_request(request, payload: SubmitIn, response: HttpResponse):
    caller = _caller(request, "requests:write")
    contact = payload.contact.dict() if payload.contact else None
    location = payload.location.dict() if payload.location else None
    try:
        made = services.submit_for(request.organisation, caller, procedure=payload.procedure,
                                   answers=payload.answers, channel=payload.channel, citizen=payload.citizen,
                                   contact=contact, location=location)
    except SubmissionRefused as refusal:
        raise _refused(refusal.errors) from refusal
    response["Location"] = _url(made)
    return Status(201, _detail(made, caller))


# --- reading ---------------------------------------------------------------------------------------------------

class RequestFilters(Schema):
    procedure: Optional[str] = Field(None, pattern=SLUG, description="Slug de la démarche.")
    status: Optional[str] = Field(None, max_length=80, pattern=LINE,
                                  description="Identifiant du statut actuel (clients seulement).")
    service: Optional[str] = Field(None, pattern=SLUG, description="Slug du service.")
    state: Optional[str] = Field(None, pattern=r"^(open|closed|withdrawn)$",
                                 description="open (en cours), closed (close) ou withdrawn (retirée).")
    channel: Optional[str] = Field(None, max_length=10, pattern=r"^[a-z]{1,10}$", description="Canal d'arrivée.")
    submitted_after: Optional[datetime.datetime] = Field(None, description="Déposées à partir de (ISO 8601).")
    submitted_before: Optional[datetime.datetime] = Field(None, description="Déposées avant (ISO 8601).")
    updated_since: Optional[datetime.datetime] = Field(None, description=(
        "Modifiées depuis (ISO 8601) : avec order=updated_at pour synchroniser (clients seulement)."))
    citizen: Optional[int] = Field(None, ge=1, le=MAX_ID, description="Fiche de l'usager (clients seulement).")
    order: str = Field("-submitted_at", pattern=r"^(-submitted_at|updated_at)$", description=(
        "-submitted_at (plus récentes d'abord) ou updated_at (plus ancienne modification d'abord, clients "
        "seulement)."))
    cursor: Optional[str] = Field(None, max_length=200, pattern=r"^[A-Za-z0-9_-]*$",
                                  description="Curseur opaque de la page suivante (lien `next`).")
    limit: int = Field(services.DEFAULT_PAGE_SIZE, ge=1, le=services.MAX_PAGE_SIZE,
                       description=f"Demandes par page ({services.MAX_PAGE_SIZE} au plus).")


@router.get("", response=RequestPage, summary="Lister les demandes", operation_id="list_requests",
            description="Client (requests:read) : les demandes de ses services ; usager : les siennes. Pagination "
                        "par curseur : suivre `next`.")
def list_requests(request, filters: Query[RequestFilters]):
    caller = _caller(request, "requests:read")
    chosen = services.Filters(**{name: getattr(filters, name) for name in (
        "procedure", "status", "service", "state", "channel", "submitted_after", "submitted_before",
        "updated_since", "citizen")})
    rows, next_cursor = services.page_of_requests(request.organisation, caller, chosen, order=filters.order,
                                                  cursor=filters.cursor or None, limit=filters.limit)
    next_url = None
    if next_cursor:
        params = {key: value for key, value in request.GET.items() if key != "cursor"}
        params["cursor"] = next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(params)}")
    items = [_summary(row, caller, getattr(row, "status_events", None)) for row in rows]
    return {"items": items, "next": next_url, "next_cursor": next_cursor, "limit": filters.limit}


@router.get("/{tracking_code}", response=RequestOut, summary="Lire une demande", operation_id="read_request",
            description="Client (requests:read) : une demande de ses services, avec le demandeur ; usager : la "
                        "sienne (le dernier statut qui lui est visible). Ni brouillon ni demande anonymisée.")
def read_request(request, tracking_code: str = CODE):
    caller = _caller(request, "requests:read")
    return _detail(services.get_request(request.organisation, caller, tracking_code), caller)


@router.get("/{tracking_code}/timeline", response=List[TimelineEvent], summary="Historique d'une demande",
            operation_id="read_request_timeline",
            description="Usager : les événements qui lui sont visibles (les statuts internes ne sont pas nommés) ; "
                        "client (requests:read) : tous, sauf les notes internes des agents.")
def read_timeline(request, tracking_code: str = CODE):
    caller = _caller(request, "requests:read")
    found = services.get_request(request.organisation, caller, tracking_code)
    titles = _titles(caller)
    return [_event(event, found, caller, titles) for event in services.timeline_of(found, caller)]


# --- writing ---------------------------------------------------------------------------------------------------

@router.post("/{tracking_code}/messages", response={200: TimelineEvent, 201: TimelineEvent, 409: Problem},
             summary="Écrire un message", operation_id="post_request_message",
             description="Client (messages:write) : la collectivité écrit à l'usager (answer=true : la réponse "
                         "écrite) ; usager : il écrit au service. 200 : ce jeton a déjà servi (rien de nouveau).")
def post_message(request, payload: MessageIn, tracking_code: str = CODE):
    caller = _caller(request, "messages:write")
    found = services.get_request(request.organisation, caller, tracking_code)
    event, created = services.post_message(found, caller, payload.text, answer=payload.answer, token=payload.token)
    return Status(201 if created else 200, _event(event, found, caller, _titles(caller)))


def _buttons_body(found, client):
    return {
        "lock_version": found.lock_version,
        "status": services.status_of(found, client),
        "buttons": [{"id": button.id, "label": str(button.label),
                     "inputs": [{"name": name, "label": str(label)} for name, label in button.inputs]}
                    for button in services.buttons_for(found, client)],
    }


@router.get("/{tracking_code}/actions", response=ActionsOut, auth=ClientAuth(),
            summary="Boutons du circuit disponibles", operation_id="list_request_actions",
            description="Client (workflow:act) : les boutons du statut actuel qu'il peut presser (rôle « agent » "
                        "sur les demandes de ses services).")
def list_actions(request, tracking_code: str = CODE):
    caller = _caller(request, "workflow:act")
    return _buttons_body(services.get_request(request.organisation, caller, tracking_code), caller)


@router.post("/{tracking_code}/actions/{button_id}", response={200: RequestOut, 409: Problem}, auth=ClientAuth(),
             summary="Presser un bouton du circuit", operation_id="press_request_action",
             description="Client (workflow:act). `lock_version` est celui lu sur la demande : si elle a changé "
                         "entre-temps, 409 et rien n'est fait.")
def press_action(request, payload: ActionIn, tracking_code: str = CODE, button_id: str = BUTTON):
    caller = _caller(request, "workflow:act")
    found = services.get_request(request.organisation, caller, tracking_code)
    pressed = services.press_button(found, caller, button_id, lock_version=payload.lock_version,
                                    inputs=payload.inputs)
    return _detail(pressed, caller)
