"""Messages between the service and the citizen about a request, and the written answer.

Every message is a visible event of the request's timeline (with the ids of the files attached to it) and is
delivered in the same transaction: to the citizen on their preferred channel (notification service; e-mail
to the contact address for a request made without an account), to the agents of the request's service for
the citizen's messages. The written answer is an agent's message of kind ANSWER; it sets `answered_at`, which
a final status requires (see guichet.answers).

A message form carries a one-time `token` (kept in the event's data): the same form posted twice (double click,
replayed POST) raises `AlreadyPosted` the second time instead of writing the message again. Messages are
serialised by the request's row lock, so two agents writing at once both land. A withdrawn request takes no more
messages; a closed one takes the service's messages only.

« Nouveau message du service »: a message or answer of the service newer than the citizen's last look at the
request (a VIEWED event of theirs, written by `record_citizen_view`) or their last message or complement.
"""

import re

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Attachment, RequestEvent, ServiceRequest
from .services import add_event

MAX_MESSAGE_LENGTH = 5000
# Files joined to a message: their `field_id` (not a possible form field id, see formdefs.schema.ID_PATTERN).
MESSAGE_FIELD_ID = "_message"
MESSAGE_FILE_RULES = (("pdf", "jpeg", "png", "odt", "docx"), 10, 5)
SERVICE_MESSAGE_KINDS = (RequestEvent.Kind.MESSAGE_AGENT, RequestEvent.Kind.ANSWER)
CITIZEN_SEEN_KINDS = (RequestEvent.Kind.VIEWED, RequestEvent.Kind.MESSAGE_CITIZEN,
                      RequestEvent.Kind.INFORMATION_ANSWERED)
TOKEN_PATTERN = re.compile(r"^[0-9a-f]{32}$")


class MessageRefused(Exception):
    """The message cannot be posted; `message` is French and meant for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class AlreadyPosted(Exception):
    """This form (its token) was posted before: `event` is the message it wrote."""

    def __init__(self, event):
        super().__init__(event.pk)
        self.event = event


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


def _data(ids, token):
    data = {"attachments": ids}
    if token and TOKEN_PATTERN.match(str(token)):
        data["token"] = str(token)
    return data


def _check_token(locked, kinds, data):
    """Raise AlreadyPosted when a message of this request was already written with this form's token."""
    if "token" not in data:
        return
    earlier = RequestEvent.objects.filter(request=locked, kind__in=kinds, data__token=data["token"]).first()
    if earlier is not None:
        raise AlreadyPosted(earlier)


def agent_refusal(service_request):
    """None when the service may write to the citizen about this request, else a French sentence."""
    if not service_request.is_submitted or service_request.anonymised_at is not None:
        return _("Cette demande ne peut plus recevoir de message.")
    if service_request.withdrawn_at is not None:
        return _("L'usager a retiré cette demande : elle ne reçoit plus de message.")
    return None


def citizen_refusal(service_request):
    """None when the citizen may write to the service about this request, else a French sentence."""
    if not service_request.is_submitted or service_request.anonymised_at is not None:
        return _("Cette demande ne peut plus recevoir de message.")
    if service_request.withdrawn_at is not None:
        return _("Vous avez retiré cette demande : elle ne reçoit plus de message.")
    if service_request.closed_at is not None:
        return _("Cette demande est close : donnez votre avis sur la réponse ou demandez sa réouverture.")
    return None


def post_agent_message(service_request, agent, text, attachment_ids=(), *, answer=False, token=None):
    """The service writes to the citizen (`answer=True`: the written answer) → the event.

    MessageRefused (French) when the request takes no message or the text is empty or too long; AlreadyPosted when
    the form's `token` was used before.
    """
    with transaction.atomic():
        locked = _lock(service_request)
        problem = agent_refusal(locked)
        if problem:
            raise MessageRefused(problem)
        text, ids = _clean(text, attachment_ids, locked)
        kind = RequestEvent.Kind.ANSWER if answer else RequestEvent.Kind.MESSAGE_AGENT
        data = _data(ids, token)
        _check_token(locked, SERVICE_MESSAGE_KINDS, data)
        event = add_event(locked, kind, actor=agent, visible_to_citizen=True, text=text, data=data)
        if answer:
            locked.answered_at = event.at
            ServiceRequest.objects.filter(pk=locked.pk).update(answered_at=event.at)
            service_request.answered_at = event.at
        tell_citizen(locked, "request.answer" if answer else "request.message", text, agent)
    return event


def post_citizen_message(service_request, citizen, text, attachment_ids=(), *, token=None):
    """The citizen (None for a request made without an account) writes to the service → the event.

    MessageRefused (French) when the request takes no message (withdrawn, closed, anonymised) or the text is empty
    or too long; AlreadyPosted when the form's `token` was used before.
    """
    with transaction.atomic():
        locked = _lock(service_request)
        problem = citizen_refusal(locked)
        if problem:
            raise MessageRefused(problem)
        text, ids = _clean(text, attachment_ids, locked)
        data = _data(ids, token)
        _check_token(locked, (RequestEvent.Kind.MESSAGE_CITIZEN,), data)
        event = add_event(locked, RequestEvent.Kind.MESSAGE_CITIZEN, actor=citizen, visible_to_citizen=True,
                          text=text, data=data)
        tell_service(locked, "request.citizen_message", text, citizen)
        ServiceRequest.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return event


class FilesRefused(MessageRefused):
    """Files joined to a message are refused: `errors`, one French message per refused file."""

    def __init__(self, errors):
        super().__init__(" ".join(errors))
        self.errors = list(errors)


def post_with_files(service_request, author, text, files, *, from_agent, token=None):
    """Store the files uploaded with a message and post it (`post_agent_message` for an agent, else
    `post_citizen_message`; `author` None for a citizen without an account), in one transaction: a refused file
    (FilesRefused), a refused message (MessageRefused) or a replayed form (AlreadyPosted) keeps nothing."""
    from .files import store_uploads

    with transaction.atomic():
        ids, errors = store_uploads(service_request, MESSAGE_FIELD_ID, files, MESSAGE_FILE_RULES, uploaded_by=author,
                                    source="agent" if from_agent else "citizen")
        if errors:
            raise FilesRefused(errors)
        post = post_agent_message if from_agent else post_citizen_message
        return post(service_request, author, text, ids, token=token)


# ---------------------------------------------------------------------------------------------------------------
# « Nouveau message du service »


def _latest(queryset):
    return Subquery(queryset.order_by("-at", "-pk").values("at")[:1])


def with_message_dates(requests):
    """Annotate a queryset of requests (no extra query, one indexed sub-select per row and date):

    `last_service_message_at` (latest message or answer of the service), `last_seen_by_citizen_at` (the citizen's
    latest look at the request, message or complement) and `last_visible_at` (latest event the citizen sees:
    « dernière mise à jour » as they know it).
    """
    events = RequestEvent.objects.filter(request=OuterRef("pk"))
    return requests.annotate(
        last_service_message_at=_latest(events.filter(kind__in=SERVICE_MESSAGE_KINDS)),
        last_seen_by_citizen_at=_latest(events.filter(kind__in=CITIZEN_SEEN_KINDS, actor=OuterRef("citizen"))),
        last_visible_at=_latest(events.filter(visible_to_citizen=True)),
    )


def has_unread_message(service_request):
    """Whether a request annotated by `with_message_dates` has a message of the service the citizen has not seen."""
    message_at = getattr(service_request, "last_service_message_at", None)
    if message_at is None:
        return False
    seen_at = getattr(service_request, "last_seen_by_citizen_at", None)
    return seen_at is None or message_at > seen_at


def record_citizen_view(service_request, citizen, now=None):
    """Trace that the request's citizen opened it (an internal VIEWED event) when a message of the service was not
    seen yet, or at most once an hour otherwise → the event or None."""
    from .agent_services import VIEW_TRACE_INTERVAL

    if citizen is None or service_request.citizen_id != citizen.pk or not service_request.is_submitted:
        return None
    now = now or timezone.now()
    events = RequestEvent.objects.filter(request=service_request)
    latest_message = events.filter(kind__in=SERVICE_MESSAGE_KINDS).order_by("-at", "-pk").values_list(
        "at", flat=True).first()
    latest_view = events.filter(kind=RequestEvent.Kind.VIEWED, actor=citizen).order_by("-at", "-pk").values_list(
        "at", flat=True).first()
    unseen = latest_message is not None and (latest_view is None or latest_view < latest_message)
    if not unseen and latest_view is not None and latest_view > now - VIEW_TRACE_INTERVAL:
        return None
    return add_event(service_request, RequestEvent.Kind.VIEWED, actor=citizen, visible_to_citizen=False, at=now)
