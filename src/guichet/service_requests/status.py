"""What the citizen sees of a request's progress: the last visible status and the visible timeline."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import RequestEvent


@dataclass(frozen=True)
class CitizenStatus:
    id: str
    label: str
    colour: str
    final: bool


def _status(service_request, status_id):
    definition = service_request.status_definition(status_id)
    if not definition or not definition.get("visible", True):
        return None
    return CitizenStatus(
        id=definition.get("id", ""), label=definition.get("label") or definition.get("id", ""),
        colour=definition.get("colour") or "", final=bool(definition.get("final")),
    )


def citizen_status(service_request, status_events=()):
    """The status the citizen is shown: the current one when visible, else the last visible status the request
    went through (internal statuses are never named), else None (just « Envoyée »).

    `status_events`: the request's status_changed events in order (prefetched by lists: no extra query).
    """
    current = _status(service_request, service_request.status)
    if current is not None:
        return current
    for event in reversed(list(status_events)):
        if event.kind == RequestEvent.Kind.STATUS_CHANGED:
            status = _status(service_request, event.status_to)
            if status is not None:
                return status
    return None


@dataclass(frozen=True)
class TimelineEntry:
    at: object
    title: str
    text: str
    attachments: list


def visible_timeline(service_request, events):
    """The events shown to the citizen (visible_to_citizen only), each with a French title."""
    entries = []
    for event in events:
        if not event.visible_to_citizen:
            continue
        title = str(event.get_kind_display())
        text = event.text
        if event.kind == RequestEvent.Kind.STATUS_CHANGED:
            status = _status(service_request, event.status_to)
            if status is None:
                continue
            title = _("Nouveau statut : %(label)s") % {"label": status.label}
        elif event.kind == RequestEvent.Kind.INFORMATION_REQUESTED:
            title = _("Le service vous demande un complément")
        elif event.kind == RequestEvent.Kind.INFORMATION_ANSWERED:
            title = _("Vous avez apporté un complément")
        elif event.kind == RequestEvent.Kind.MESSAGE_AGENT:
            title = _("Message du service")
        elif event.kind == RequestEvent.Kind.SUBMITTED:
            title = _("Demande envoyée")
        ids = (event.data or {}).get("attachments") if isinstance(event.data, dict) else None
        entries.append(TimelineEntry(at=event.at, title=title, text=text,
                                     attachments=ids if isinstance(ids, list) else []))
    return entries
