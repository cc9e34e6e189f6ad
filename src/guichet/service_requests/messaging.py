"""Messages between the service and the citizen about a request, and the written answer.

Every message is a visible event of the request's timeline (with the ids of the files attached to it) and is
delivered in the same transaction: to the citizen on their preferred channel (notification service; e-mail
to the contact address for a request made without an account), to the agents of the request's service for
the citizen's messages. The written answer is an agent's message of kind ANSWER; it sets `answered_at`, which
a final status requires (see guichet.answers).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Attachment, RequestEvent, ServiceRequest
from .services import add_event

MAX_MESSAGE_LENGTH = 5000


class MessageRefused(Exception):
    """The message cannot be posted; `message` is French and meant for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _run_notify(service_request, actor, key, text, to):
    from guichet.workflows.actions import run_notify
    from guichet.workflows.engine import RunContext

    run_notify(RunContext(request=service_request, actor=actor), {"message": key, "to": to}, text=text)


def tell_citizen(service_request, key, text, actor=None):
    """Send message kind `key` about the request to its citizen (preferred channel) or contact e-mail address;
    the notification is traced in the timeline."""
    _run_notify(service_request, actor, key, text, "citizen")


def tell_service(service_request, key, text, actor=None):
    """Send message kind `key` about the request to the agents of its service (traced in the timeline)."""
    _run_notify(service_request, actor, key, text, "service")


def _clean(text, attachment_ids, service_request):
    text = (text or "").strip()
    ids = [int(pk) for pk in attachment_ids or ()]
    if not text and not ids:
        raise MessageRefused(_("Écrivez un message ou joignez un fichier."))
    if len(text) > MAX_MESSAGE_LENGTH:
        raise MessageRefused(_("Le message est trop long (%(max)s caractères au plus).") % {"max": MAX_MESSAGE_LENGTH})
    if ids and Attachment.objects.filter(pk__in=ids).exclude(request=service_request).exists():
        raise MessageRefused(_("Une des pièces jointes n'appartient pas à cette demande."))
    return text, ids


def _lock(service_request):
    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("version", "organisation", "service", "citizen")
        .get(pk=service_request.pk)
    )


def post_agent_message(service_request, agent, text, attachment_ids=(), *, answer=False):
    """The service writes to the citizen (`answer=True`: the written answer) → the event."""
    with transaction.atomic():
        locked = _lock(service_request)
        if not locked.is_submitted or locked.anonymised_at is not None:
            raise MessageRefused(_("Cette demande ne peut plus recevoir de message."))
        text, ids = _clean(text, attachment_ids, locked)
        kind = RequestEvent.Kind.ANSWER if answer else RequestEvent.Kind.MESSAGE_AGENT
        event = add_event(locked, kind, actor=agent, visible_to_citizen=True, text=text, data={"attachments": ids})
        if answer:
            locked.answered_at = event.at
            ServiceRequest.objects.filter(pk=locked.pk).update(answered_at=event.at)
            service_request.answered_at = event.at
        tell_citizen(locked, "request.answer" if answer else "request.message", text, agent)
    return event


def post_citizen_message(service_request, citizen, text, attachment_ids=()):
    """The citizen (None for a request made without an account) writes to the service → the event."""
    with transaction.atomic():
        locked = _lock(service_request)
        if not locked.is_submitted or locked.anonymised_at is not None or locked.withdrawn_at is not None:
            raise MessageRefused(_("Cette demande ne peut plus recevoir de message."))
        if locked.closed_at is not None:
            raise MessageRefused(_(
                "Cette demande est close : donnez votre avis sur la réponse ou demandez sa réouverture."
            ))
        text, ids = _clean(text, attachment_ids, locked)
        event = add_event(locked, RequestEvent.Kind.MESSAGE_CITIZEN, actor=citizen, visible_to_citizen=True,
                          text=text, data={"attachments": ids})
        tell_service(locked, "request.citizen_message", text, citizen)
        ServiceRequest.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return event
