"""Business rules of the mail room: automatic processing of a stored message, search, and the agents' handling.

`process_mail(mail)` runs once a stored message's text is known (e-mail parsed, letter OCR'd), inside the caller's
transaction (the e-mail and scan jobs):

- it finds the sender's citizen account (same collectivité, same e-mail address) → `mail.citizen`;
- when the subject or the text quotes the tracking code of a request of the SAME collectivité (`RQ-7K4M-2P9X`,
  also written `rq 7k4m 2p9x`, `RQ7K4M2P9X` or `7K4M-2P9X`) and the sender is that request's citizen, the message
  is added to the request as a citizen message (its files copied as the request's attachments), with a
  MAIL_RECEIVED event holding its whole text (searchable); the service is told as for any citizen message; state
  ATTACHED;
- otherwise (no code, unknown code, another collectivité's code, sender mismatch, request that takes no more
  messages) it waits in the to-qualify queue (TO_QUALIFY), the request it quotes kept as `suggested_request`.

Who is « the request's citizen »:
- an e-mail: its sender address is the request's citizen's account address or the request's contact address
  (case does not matter);
- a letter (no verifiable address): the mail-room agent may have linked it to the citizen (`mail.citizen`), else
  the request's citizen's (or contact's) last name must be written in the letter's sender name or in its text
  (the letter quotes both the code and the name of its author). A letter quoting a code under another name waits
  for an agent.

Idempotent: a message that is no longer RECEIVED (already processed or handled) is left as it is.
"""

import re
import uuid

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection, transaction
from django.db.models import BigIntegerField, Q, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.search.services import POSTGRESQL_CONFIG, PREFIX_MIN_LENGTH, SearchQueryError, parse_query, tsquery_text
from guichet.search.text import index_text, index_words, light_stem
from guichet.service_requests.codes import normalise_tracking_code
from guichet.service_requests.models import RequestEvent, ServiceRequest

from .models import IncomingMail, MailAttachment

# `RQ` then eight characters of the code, each possibly after spaces or dashes; or the two groups of four alone.
CODE_WITH_PREFIX = re.compile(r"(?<![0-9A-Za-z])RQ(?:[\s\-]*[0-9A-Za-z]){8}(?![0-9A-Za-z])", re.IGNORECASE)
CODE_ALONE = re.compile(r"(?<![0-9A-Za-z\-])[0-9A-Z]{4}[\-\s][0-9A-Z]{4}(?![0-9A-Za-z\-])")
REGISTRY_NUMBER = re.compile(r"^\s*([EC])[\s\-]*(\d{4})[\s\-]*(\d{1,6})\s*$", re.IGNORECASE)
# A citizen message is at most messaging.MAX_MESSAGE_LENGTH characters: a longer text is cut in the message (the
# MAIL_RECEIVED event and the message itself keep it whole).
MESSAGE_ROOM = 4500
TOKEN_NAMESPACE = uuid.UUID("6f1c2a4e-8f0b-4d1e-9a53-2b7c0d9e4a11")


class HandlingRefused(Exception):
    """An agent's action on a message cannot be done; `message` is French and meant for the agent."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------------------------------
# Tracking codes quoted by a message


def quoted_codes(*texts):
    """The valid tracking codes (canonical form) quoted in `texts`, in order of appearance, without repeats."""
    codes = []
    for text in texts:
        text = str(text or "")
        for pattern in (CODE_WITH_PREFIX, CODE_ALONE):
            for match in pattern.finditer(text):
                code = normalise_tracking_code(match.group(0))
                if code is not None and code not in codes:
                    codes.append(code)
    return codes


def quoted_request(mail):
    """The first request of the mail's collectivité whose tracking code the subject or text quotes, or None.

    Codes of other collectivités' requests are ignored (never revealed, never attached)."""
    codes = quoted_codes(mail.subject, mail.body, mail.ocr_text)
    if not codes:
        return None
    found = {
        request.tracking_code: request
        for request in ServiceRequest.objects.of(mail.organisation_id).filter(tracking_code__in=codes)
        .select_related("citizen")
    }
    for code in codes:
        if code in found:
            return found[code]
    return None


def _words(text):
    return set(index_words(text))


def sender_is_requester(mail, service_request):
    """Whether the message comes from the request's citizen (see the module's docstring for the rule)."""
    citizen = service_request.citizen
    if mail.channel == IncomingMail.Channel.EMAIL:
        sender = (mail.sender_email or "").strip().lower()
        if not sender:
            return False
        addresses = {(service_request.contact_email or "").strip().lower()}
        if citizen is not None:
            addresses.add((citizen.email or "").strip().lower())
        return sender in addresses - {""}
    if citizen is not None and mail.citizen_id == citizen.pk:
        return True
    names = []
    if citizen is not None and citizen.last_name:
        names.append(citizen.last_name)
    if service_request.contact_name:
        names.append(service_request.contact_name.split()[-1])
    written = _words(mail.sender_name) | _words(mail.text)
    for name in names:
        name_words = index_words(name)
        if name_words and all(word in written for word in name_words):
            return True
    return False


def match_citizen(mail):
    """The citizen account of the mail's collectivité with the sender's e-mail address, or None."""
    from guichet.accounts.models import User

    sender = (mail.sender_email or "").strip().lower()
    if not sender:
        return None
    return User.objects.filter(organisation_id=mail.organisation_id, kind=User.Kind.CITIZEN,
                               email__iexact=sender, is_active=True).first()


# ---------------------------------------------------------------------------------------------------------------
# Copying a message's files to a request


def usable_attachments(mail):
    """The message's files that were kept (not refused, with content), scans first."""
    return [item for item in mail.attachments.all() if not item.refused_reason and item.file]


def copy_files_to_request(mail, service_request, *, field_id, uploaded_by=None):
    """Copy the message's kept files (e-mail attachments, scans) as `Attachment`s of the request (source citizen)
    → their ids. The message keeps its own copies (its record stays whole)."""
    from guichet.service_requests.files import create_attachment

    ids = []
    for item in usable_attachments(mail):
        with item.file.storage.open(item.file.name, "rb") as handle:
            content = handle.read()
        attachment = create_attachment(
            service_request, field_id, content, original_name=item.original_name,
            content_type=item.content_type or "application/octet-stream", uploaded_by=uploaded_by, source="citizen",
        )
        ids.append(attachment.pk)
    return ids


def mail_event_data(mail, attachment_ids=()):
    return {
        "mail": mail.pk, "registry_number": mail.registry_number, "channel": mail.channel,
        "attachments": list(attachment_ids),
    }


def mail_event_text(mail):
    """The whole message as the request's MAIL_RECEIVED event keeps it (searchable): subject, then text."""
    return "\n\n".join(part for part in (mail.subject, mail.text) if part)


def message_text(mail):
    """The citizen message written for the message: the subject and text, cut to what a message holds."""
    header = _("%(channel)s n° %(number)s") % {"channel": mail.get_channel_display(), "number": mail.registry_number}
    text = "\n\n".join(part for part in (header, mail.subject, mail.text) if part)
    if len(text) > MESSAGE_ROOM:
        text = text[:MESSAGE_ROOM].rstrip() + "…\n\n" + _(
            "(Suite dans le message d'origine n° %(number)s.)") % {"number": mail.registry_number}
    return text


def add_mail_to_request(mail, service_request, *, actor=None):
    """Add the message to the request as its citizen's message (files copied), with a MAIL_RECEIVED event: the
    service is told as for any citizen message. Raises messaging.MessageRefused when the request takes no more
    messages (withdrawn, closed, anonymised): the caller's transaction must then be rolled back (or the call
    wrapped in a savepoint)."""
    from guichet.service_requests.messaging import MESSAGE_FIELD_ID, post_citizen_message
    from guichet.service_requests.services import add_event

    author = service_request.citizen
    ids = copy_files_to_request(mail, service_request, field_id=MESSAGE_FIELD_ID, uploaded_by=author)
    token = uuid.uuid5(TOKEN_NAMESPACE, f"mail-{mail.pk}").hex
    post_citizen_message(service_request, author, message_text(mail), ids, token=token)
    add_event(service_request, RequestEvent.Kind.MAIL_RECEIVED, actor=actor, visible_to_citizen=False,
              text=mail_event_text(mail), data=mail_event_data(mail, ids))


# ---------------------------------------------------------------------------------------------------------------
# Automatic processing


def _lock_mail(mail):
    return IncomingMail.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=mail.pk)


def process_mail(mail):
    """Add a stored message to the request it quotes, or put it in the to-qualify queue (module's docstring).

    Runs in the caller's transaction (its own savepoint); returns the message, updated. A message already
    processed (state other than RECEIVED) is returned unchanged."""
    from guichet.service_requests.messaging import AlreadyPosted, MessageRefused

    with transaction.atomic():
        locked = _lock_mail(mail)
        if locked.state != IncomingMail.State.RECEIVED:
            return locked
        if locked.citizen_id is None:
            locked.citizen = match_citizen(locked)
        target = quoted_request(locked)
        locked.state = IncomingMail.State.TO_QUALIFY
        locked.suggested_request = None
        locked.processing_error = ""
        if target is not None:
            if target.is_submitted and sender_is_requester(locked, target):
                try:
                    with transaction.atomic():
                        add_mail_to_request(locked, target)
                except AlreadyPosted:
                    locked.state, locked.request = IncomingMail.State.ATTACHED, target
                except MessageRefused as refusal:
                    locked.suggested_request = target
                    locked.processing_error = refusal.message
                else:
                    locked.state, locked.request = IncomingMail.State.ATTACHED, target
                    if locked.citizen_id is None and target.citizen_id is not None:
                        locked.citizen = target.citizen
            else:
                locked.suggested_request = target
                locked.processing_error = _(
                    "Le message cite le numéro de suivi %(code)s, mais son expéditeur n'est pas le demandeur : "
                    "vérifiez avant de l'ajouter à la demande."
                ) % {"code": target.tracking_code}
        locked.processed_at = timezone.now()
        locked.lock_version += 1
        locked.save(update_fields=["citizen", "state", "request", "suggested_request", "processing_error",
                                   "processed_at", "lock_version"])
        index_mail(locked)
    for name in ("citizen", "citizen_id", "state", "request", "request_id", "suggested_request", "suggested_request_id",
                 "processing_error", "processed_at", "lock_version", "search_text"):
        setattr(mail, name, getattr(locked, name))
    return mail


# ---------------------------------------------------------------------------------------------------------------
# Search


def mail_search_text(mail):
    return index_text(mail.registry_number, mail.sender_name, mail.sender_email, mail.sender_address, mail.subject,
                      mail.body, mail.ocr_text)


def index_mail(mail):
    """Bring the message's search columns up to date (call after changing its sender, subject, body or OCR text;
    `process_mail` does)."""
    text = mail_search_text(mail)
    mail.search_text = text
    fields = {"search_text": text}
    if connection.vendor == "postgresql":
        fields["search_vector"] = SearchVector(Value(text, output_field=TextField()), config=POSTGRESQL_CONFIG)
    IncomingMail.objects.filter(pk=mail.pk).update(**fields)


def _bigint(value):
    return Cast(Value(value), output_field=BigIntegerField())


def search_mail(organisation, text, *, states=None):
    """The messages of `organisation` (in `states` when given) matching `text`: a registry number gives that
    message; otherwise every word must be found in the registry number, sender, subject, text or OCR text
    (PostgreSQL: French full text on the GIN index; SQLite: the folded words start words of the indexed text).
    A text that cannot be searched gives no message. Most recent first."""
    mails = IncomingMail.objects.of(organisation)
    if states:
        mails = mails.filter(state__in=list(states))
    number = REGISTRY_NUMBER.match(str(text or ""))
    if number:
        prefix, year, count = number.groups()
        exact = mails.filter(registry_number=f"{prefix.upper()}-{year}-{int(count):06d}")
        if exact.exists():
            return exact
    try:
        terms = parse_query(text)
    except SearchQueryError:
        return mails.none()
    if not terms.words:
        return mails.none()
    if connection.vendor == "postgresql":
        query = SearchQuery(tsquery_text(terms.words), search_type="raw", config=POSTGRESQL_CONFIG)
        return mails.filter(organisation_id=_bigint(organisation.pk), search_vector=query)
    matches = Q()
    for word in terms.words:
        pattern = f" {light_stem(word)}" if len(word) >= PREFIX_MIN_LENGTH else f" {word} "
        matches &= Q(search_text__contains=pattern)
    return mails.filter(matches)


__all__ = ["HandlingRefused", "MailAttachment", "process_mail", "search_mail", "index_mail", "quoted_codes"]
