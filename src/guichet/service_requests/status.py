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


def visible_status(service_request, status_id):
    """The CitizenStatus of `status_id` in the request's workflow, or None when it is unknown or internal."""
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
    current = visible_status(service_request, service_request.status)
    if current is not None:
        return current
    for event in reversed(list(status_events)):
        if event.kind == RequestEvent.Kind.STATUS_CHANGED:
            status = visible_status(service_request, event.status_to)
            if status is not None:
                return status
    return None


@dataclass(frozen=True)
class TimelineEntry:
    at: object
    title: str
    text: str
    attachments: list
    kind: str = ""
    # "service" (a message or answer of the service), "citizen" (the citizen's own words) or "" (an event).
    author: str = ""


def citizen_titles():
    """{event kind: (title the citizen reads, author: "service", "citizen" or "")}."""
    kind = RequestEvent.Kind
    return {
        kind.SUBMITTED: (_("Demande envoyée"), ""),
        kind.INFORMATION_REQUESTED: (_("Le service vous demande un complément"), "service"),
        kind.INFORMATION_ANSWERED: (_("Vous avez apporté un complément"), "citizen"),
        kind.MESSAGE_AGENT: (_("Message du service"), "service"),
        kind.MESSAGE_CITIZEN: (_("Votre message"), "citizen"),
        kind.ANSWER: (_("Réponse du service"), "service"),
        kind.WITHDRAWN: (_("Vous avez retiré votre demande"), "citizen"),
        kind.MERGED: (_("Demande regroupée avec une autre"), ""),
        kind.REOPENED: (_("Demande rouverte par le service"), ""),
        kind.REOPEN_REQUESTED: (_("Vous avez demandé la réouverture"), "citizen"),
        kind.REOPEN_REFUSED: (_("Réouverture refusée par le service"), "service"),
        kind.RATED: (_("Votre avis sur la réponse"), "citizen"),
    }


def visible_timeline(service_request, events, attachments=None):
    """The events shown to the citizen (visible_to_citizen only), each with a French title.

    `attachments`: {pk: Attachment} of the request (already loaded): each entry then lists the Attachment objects
    of its message (ids of other requests or of deleted files are dropped); without it, their ids.
    """
    titles = citizen_titles()
    entries = []
    for event in events:
        if not event.visible_to_citizen:
            continue
        title, author = titles.get(event.kind, (str(event.get_kind_display()), ""))
        text = event.text
        if event.kind == RequestEvent.Kind.STATUS_CHANGED:
            status = visible_status(service_request, event.status_to)
            if status is None:
                continue
            title = _("Nouveau statut : %(label)s") % {"label": status.label}
        ids = (event.data or {}).get("attachments") if isinstance(event.data, dict) else None
        ids = ids if isinstance(ids, list) else []
        if attachments is not None:
            ids = [attachments[pk] for pk in ids if isinstance(pk, int) and pk in attachments]
        entries.append(TimelineEntry(at=event.at, title=title, text=text, attachments=ids, kind=event.kind,
                                     author=author))
    return entries


# Former private names (kept for callers not yet updated).
_status = visible_status
_titles = citizen_titles
