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
from django.db.models import BigIntegerField, F, Q, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.search.services import POSTGRESQL_CONFIG, PREFIX_MIN_LENGTH, SearchQueryError, parse_query, tsquery_text
from guichet.search.text import index_text, index_words, light_stem
from guichet.service_requests.codes import normalise_tracking_code
from guichet.service_requests.models import RequestEvent, ServiceRequest

from .models import IncomingMail

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
    """The citizen account (active, not anonymised) of the mail's collectivité with the sender's e-mail address, or
    None (`citizen_records.services.citizens_by_email`)."""
    from guichet.citizen_records.services import citizens_by_email

    found = citizens_by_email(mail.organisation, mail.sender_email)
    return found[0] if found else None


# ---------------------------------------------------------------------------------------------------------------
# Copying a message's files to a request


def usable_attachments(mail):
    """The message's files that were kept (not refused, with content), scans first."""
    return [item for item in mail.attachments.all() if not item.refused_reason and item.file]


def copy_files_to_request(mail, service_request, *, field_id, uploaded_by=None, source="citizen"):
    """Copy the message's kept files (e-mail attachments, scans) as `Attachment`s of the request → their ids. The
    message keeps its own copies (its record stays whole).

    Files added to a DRAFT are copied with source "agent": at submission, `service_requests.services.submit` drops
    the citizen's files that no file field of the form holds, and the mail-room agent is who joined them."""
    from guichet.service_requests.files import create_attachment

    ids = []
    for item in usable_attachments(mail):
        with item.file.storage.open(item.file.name, "rb") as handle:
            content = handle.read()
        attachment = create_attachment(
            service_request, field_id, content, original_name=item.original_name,
            content_type=item.content_type or "application/octet-stream", uploaded_by=uploaded_by, source=source,
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
    from guichet.service_requests.messaging import (
        MESSAGE_FIELD_ID,
        MessageRefused,
        citizen_refusal,
        post_citizen_message,
    )
    from guichet.service_requests.services import add_event

    problem = citizen_refusal(service_request)
    if problem:
        raise MessageRefused(problem)  # before any file is copied
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
        if locked.request_id and locked.request.service_id:
            locked.service_id = locked.request.service_id
        locked.processed_at = timezone.now()
        locked.lock_version += 1
        locked.save(update_fields=["citizen", "state", "request", "suggested_request", "processing_error",
                                   "service", "processed_at", "lock_version"])
        index_mail(locked)
    for name in ("citizen", "citizen_id", "state", "request", "request_id", "suggested_request", "suggested_request_id",
                 "processing_error", "service_id", "processed_at", "lock_version", "search_text"):
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


# ---------------------------------------------------------------------------------------------------------------
# Who sees the mail room


def mails_for_agent(user, organisation):
    """The messages of `organisation` that `user` (a verified agent of it) may see and handle: an administrator
    sees them all; another agent those of their services and those not given to any service yet (the to-qualify
    queue is the collectivité's shared front door)."""
    from guichet.agents.permissions import is_org_admin, is_verified_agent, services_of

    mails = IncomingMail.objects.of(organisation)
    if organisation is None or not is_verified_agent(user) or user.organisation_id != organisation.pk:
        return mails.none()
    if is_org_admin(user):
        return mails
    return mails.filter(Q(service__isnull=True) | Q(service__in=services_of(user).values("pk")))


# ---------------------------------------------------------------------------------------------------------------
# Agents' handling: each in one transaction, under the message's row lock, with its lock_version

PENDING_STATES = (IncomingMail.State.RECEIVED, IncomingMail.State.TO_QUALIFY)
# Files of a message copied to a draft made from it (not a form field: see copy_files_to_request).
MAIL_FIELD_ID = "_courrier"
SUBJECT_FIELD_WORDS = ("objet", "sujet", "titre", "intitule", "title", "subject")


def _lock_for_handling(mail, agent, lock_version, *, while_received=False):
    """The message locked for an agent's action: HandlingRefused (French) when it was changed meanwhile
    (`lock_version` differs) or is already handled.

    A message still RECEIVED (its e-mail not parsed yet, its scans not read yet) cannot be qualified, answered or
    filed: its text and attachments are not known yet, and the job that reads them leaves a message an agent has
    handled as it is (they would never reach the request). Only `assign_mail` (`while_received`) may act on it."""
    locked = _lock_mail(mail)
    if locked.state not in PENDING_STATES:
        raise HandlingRefused(_("Ce message a déjà été traité (%(state)s) : il ne peut pas l'être une seconde fois.")
                              % {"state": locked.get_state_display()})
    if locked.state == IncomingMail.State.RECEIVED and not while_received:
        raise HandlingRefused(_("Ce message est encore en cours de lecture (texte, pièces jointes ou reconnaissance "
                                "du texte) : attendez qu'il soit à qualifier pour le traiter."))
    if lock_version is not None and str(lock_version) != str(locked.lock_version):
        raise HandlingRefused(_("Ce message a été modifié par quelqu'un d'autre pendant que vous le lisiez : "
                                "vérifiez-le avant de recommencer."))
    return locked


def _finish(locked, agent, state, *, note="", request=None):
    locked.state = state
    locked.handled_by = agent if getattr(agent, "is_authenticated", False) else None
    locked.handled_at = timezone.now()
    locked.handling_note = note
    if request is not None:
        locked.request = request
        if request.service_id:
            locked.service_id = request.service_id
    locked.lock_version += 1
    locked.save()
    return locked


def published_versions(organisation):
    """The current versions of every published procedure of the collectivité (agent-only ones included), by title."""
    from guichet.procedures.models import Procedure, ProcedureVersion

    return (
        ProcedureVersion.objects.of(organisation)
        .filter(procedure__state=Procedure.State.PUBLISHED, procedure__current_version_id=F("pk"))
        .select_related("procedure").order_by("title", "pk")
    )


def _fits(field, value):
    """`value` cleaned as the answer of a text field (cut to its maximum length), or None when it does not fit."""
    from guichet.formdefs.cleaning import FieldError, clean_text
    from guichet.formdefs.schema import MAX_SHORT_TEXT_LENGTH, MAX_TEXT_LENGTH

    rules = field.get("validation") if isinstance(field.get("validation"), dict) else {}
    limit = MAX_TEXT_LENGTH if field.get("type") == "textarea" else MAX_SHORT_TEXT_LENGTH
    try:
        limit = min(int(rules.get("max_length") or limit), limit)
    except (TypeError, ValueError):
        pass
    value = str(value or "").strip()[:limit].strip()
    if not value:
        return None
    try:
        return clean_text(field, value)
    except FieldError:
        return None


def prefilled_answers(version, mail):
    """Answers pre-filled from the message: the first long-text field gets its text, the first short-text field
    whose id or label says « objet », « sujet » or « titre » its subject (top-level fields only)."""
    from guichet.formdefs.schema import iter_fields
    from guichet.search.text import fold

    answers, text_done, subject_done = {}, False, False
    for _page, field in iter_fields(version.form or {}):
        field_id = field.get("id")
        if not field_id:
            continue
        if field.get("type") == "textarea" and not text_done and mail.text:
            value = _fits(field, mail.text)
            if value is not None:
                answers[field_id], text_done = value, True
        elif field.get("type") == "text" and not subject_done and mail.subject:
            words = set(index_words(f"{field_id.replace('_', ' ')} {fold(field.get('label', ''))}"))
            if words & set(SUBJECT_FIELD_WORDS):
                value = _fits(field, mail.subject)
                if value is not None:
                    answers[field_id], subject_done = value, True
    return answers


def _citizen_or_contact(mail):
    """(citizen, contact fields) of the request made from the message."""
    from guichet.citizen_records.services import citizens

    citizen = None
    if mail.citizen_id:
        citizen = citizens(mail.organisation).filter(pk=mail.citizen_id).first()
    if citizen is not None:
        return citizen, {}
    return None, {
        "contact_name": (mail.sender_name or "")[:200], "contact_email": mail.sender_email or "",
        "contact_phone": (mail.sender_phone or "")[:30],
    }


REQUEST_CHANNELS = {IncomingMail.Channel.EMAIL: ServiceRequest.Channel.EMAIL,
                    IncomingMail.Channel.POSTAL: ServiceRequest.Channel.POSTAL}


def create_request_from_mail(mail, *, agent, version, lock_version, postal_address=None):
    """« Créer une demande »: a DRAFT of `version`'s procedure entered by `agent` for the message's citizen (or its
    sender as contact), channel e-mail or postal mail, answers pre-filled from the message, its files copied as
    the request's attachments, a MAIL_RECEIVED event holding its text (searchable once submitted). The message
    becomes QUALIFIED. Returns the draft (the agent then fills and submits it: `citizen_records.services.fill_url`).

    A letter from someone without account nor e-mail address: a minimal citizen record is made from
    `postal_address` (name required, address optional: the receipt then goes by post), since a request without
    account needs an e-mail address. HandlingRefused / service_requests.services.StartRefused (French) when it
    cannot be done."""
    from guichet.citizen_records.services import start_on_behalf
    from guichet.service_requests.services import add_event

    if version is None or version.organisation_id != mail.organisation_id:
        raise HandlingRefused(_("Choisissez une démarche de la collectivité."))
    with transaction.atomic():
        locked = _lock_for_handling(mail, agent, lock_version)
        citizen, contact = _citizen_or_contact(locked)
        if citizen is None and not locked.sender_email:
            citizen, contact = _postal_recipient(locked, postal_address, agent, require_address=False), {}
            locked.citizen = citizen
        draft = start_on_behalf(version=version, agent=agent, channel=REQUEST_CHANNELS[locked.channel],
                                citizen=citizen, data=prefilled_answers(version, locked), **contact)
        ids = copy_files_to_request(locked, draft, field_id=MAIL_FIELD_ID, uploaded_by=agent, source="agent")
        add_event(draft, RequestEvent.Kind.MAIL_RECEIVED, actor=agent, visible_to_citizen=False,
                  text=mail_event_text(locked), data=mail_event_data(locked, ids))
        _finish(locked, agent, IncomingMail.State.QUALIFIED, request=draft)
    return draft


def attach_to_request(mail, *, agent, code, lock_version):
    """« Ajouter à une demande existante »: the message is added to the submitted request of the collectivité whose
    tracking code the agent typed, as its citizen's message (files copied, MAIL_RECEIVED event, service told).
    State ATTACHED. HandlingRefused (French) for an unknown code, another collectivité's code or a request that
    takes no more messages."""
    from guichet.service_requests.messaging import AlreadyPosted, MessageRefused

    canonical = normalise_tracking_code(code or "")
    if canonical is None:
        raise HandlingRefused(_("Ce numéro de suivi n'est pas valide : vérifiez-le (il ressemble à RQ-7K4M-2P9X)."))
    target = (ServiceRequest.objects.of(mail.organisation_id).filter(tracking_code=canonical)
              .select_related("citizen").first())
    if target is None or not target.is_submitted:
        raise HandlingRefused(_("Aucune demande envoyée ne porte le numéro de suivi %(code)s dans la collectivité.")
                              % {"code": canonical})
    with transaction.atomic():
        locked = _lock_for_handling(mail, agent, lock_version)
        try:
            add_mail_to_request(locked, target, actor=agent)
        except AlreadyPosted:
            pass
        except MessageRefused as refusal:
            raise HandlingRefused(refusal.message) from refusal
        if locked.citizen_id is None and target.citizen_id is not None:
            locked.citizen = target.citizen
        _finish(locked, agent, IncomingMail.State.ATTACHED, request=target)
    return target


MAX_ANSWER_LENGTH = 5000


def answer_subject(mail):
    subject = (mail.subject or "").strip()
    if not subject:
        return _("Réponse à votre courrier n° %(number)s") % {"number": mail.registry_number}
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def answer_mail(mail, *, agent, text, lock_version, postal_address=None):
    """« Répondre directement »: a written answer sent to the sender, kept on the message (state ANSWERED).

    - the message's citizen account: notified (« Réponse à votre courrier », in their space too) by e-mail when
      the message came by e-mail, by post when it was a letter (their preferred channel when it has no address);
    - a sender without account with an e-mail address: a plain e-mail (durable job);
    - a letter's sender without account nor e-mail: `postal_address` (dict: name, address_line, postcode, city)
      is required; a minimal citizen record is made with that address (no e-mail), linked to the message, and the
      answer goes into the day's batch of letters (guichet.letters).
    HandlingRefused (French) when the text is empty or too long or nobody can be reached."""
    from guichet.accounts.models import is_placeholder_email
    from guichet.notifications.models import Channel
    from guichet.notifications.services import choose_channel, notify
    from guichet.workflows.actions import send_email_job

    text = (text or "").strip()
    if not text:
        raise HandlingRefused(_("Écrivez la réponse à envoyer."))
    if len(text) > MAX_ANSWER_LENGTH:
        raise HandlingRefused(_("La réponse est trop longue (%(max)s caractères au plus).") % {"max": MAX_ANSWER_LENGTH})
    with transaction.atomic():
        locked = _lock_for_handling(mail, agent, lock_version)
        citizen, _contact = _citizen_or_contact(locked)
        subject = answer_subject(locked)
        context = {"objet": subject, "message": text, "courrier": {"numero": locked.registry_number}}
        if citizen is None and not locked.sender_email:
            citizen = _postal_recipient(locked, postal_address, agent)
            locked.citizen = citizen
        if citizen is not None:
            channel = Channel.EMAIL if locked.channel == IncomingMail.Channel.EMAIL else Channel.LETTER
            chosen, address, _skipped = choose_channel(citizen, channel)
            if chosen is None or (chosen == Channel.EMAIL and is_placeholder_email(address)):
                raise HandlingRefused(_("L'usager n'a ni adresse électronique ni adresse postale : complétez sa fiche "
                                        "avant de lui répondre."))
            notify(citizen, "mail.answer", context, channel=chosen)
            sent_to = Channel(chosen).label
        else:
            texts = _plain_answer_texts(locked, context)
            send_email_job.enqueue(locked.organisation_id, locked.sender_email, texts.subject[:200], texts.body)
            sent_to = locked.sender_email
        note = _("Réponse envoyée (%(how)s) :") % {"how": sent_to} + "\n\n" + text
        _finish(locked, agent, IncomingMail.State.ANSWERED, note=note)
    return locked


def _plain_answer_texts(mail, context):
    """The texts of « mail.answer » for a sender without account (the collectivité's wording, else the default:
    `notifications.services.render_message`), greeted by the name the message gives."""
    from types import SimpleNamespace

    from guichet.notifications.services import render_message

    parts = sender_address_parts(mail)
    recipient = SimpleNamespace(civility="", get_civility_display=lambda: "", first_name=parts["first_name"],
                                last_name=parts["last_name"])
    return render_message(mail.organisation, recipient, "mail.answer", context)


ADDRESS_KEYS = ("first_name", "last_name", "address_line", "postcode", "city")


def sender_address_parts(mail):
    """The sender's name and postal address as the message gives them ({first_name, last_name, address_line,
    postcode, city}, "" when unknown), to pre-fill a minimal citizen record."""
    names = (mail.sender_name or "").split()
    lines = [line.strip() for line in (mail.sender_address or "").splitlines() if line.strip()]
    parts = dict.fromkeys(ADDRESS_KEYS, "")
    if names:
        parts["last_name"], parts["first_name"] = names[-1], " ".join(names[:-1])
    if lines:
        last = lines[-1].split(maxsplit=1)
        if len(last) == 2 and re.fullmatch(r"\d{5}", last[0]):
            parts["postcode"], parts["city"] = last
            lines = lines[:-1]
        if lines:
            parts["address_line"] = lines[-1]
    return parts


def _postal_recipient(mail, postal_address, agent, *, require_address=True):
    """A minimal citizen record (no e-mail: `citizen_records.services.create_citizen`, letters preferred) for the
    sender of a letter without account nor e-mail address, from the name and address the agent checked."""
    from guichet.citizen_records.services import create_citizen

    values = {key: str((postal_address or {}).get(key) or "").strip()[:150 if key != "address_line" else 250]
              for key in ADDRESS_KEYS}
    if not values["last_name"]:
        raise HandlingRefused(_("Ce courrier n'a pas d'adresse électronique : indiquez au moins le nom de "
                                "l'expéditeur (une fiche usager est créée pour lui)."))
    address = (values["address_line"], values["postcode"], values["city"])
    if require_address and not all(address):
        raise HandlingRefused(_("Ce courrier n'a pas d'adresse électronique : indiquez le nom et l'adresse postale "
                                "de l'expéditeur (adresse, code postal, commune) pour lui répondre par courrier."))
    if values["postcode"] and not re.fullmatch(r"\d{5}", values["postcode"]):
        raise HandlingRefused(_("Le code postal compte cinq chiffres."))
    if any(address) and not all(address):
        raise HandlingRefused(_("Complétez l'adresse postale (adresse, code postal et commune) ou laissez-la vide."))
    return create_citizen(mail.organisation, agent, **values)


def needs_postal_record(mail):
    """Whether handling the message needs the sender's name and address: a message without citizen account nor
    e-mail address (a letter from someone unknown)."""
    return mail.citizen_id is None and not mail.sender_email


MAX_NOTE_LENGTH = 2000


def file_mail(mail, *, agent, note, lock_version):
    """« Classer pour information »: the message is filed with the agent's note (state FILED)."""
    note = (note or "").strip()
    if not note:
        raise HandlingRefused(_("Écrivez une note : pourquoi ce message est classé, qui en a été informé."))
    if len(note) > MAX_NOTE_LENGTH:
        raise HandlingRefused(_("La note est trop longue (%(max)s caractères au plus).") % {"max": MAX_NOTE_LENGTH})
    with transaction.atomic():
        locked = _lock_for_handling(mail, agent, lock_version)
        _finish(locked, agent, IncomingMail.State.FILED, note=note)
    return locked


def sender_candidates(mail, text=None, limit=10):
    """Citizen records the agent may recognise as the sender of a message not linked to one: by the words of
    `text` (default: the sender's name), at most `limit`, ordered by name; [] without words."""
    from guichet.citizen_records.services import search_citizens

    text = mail.sender_name if text is None else text
    if not (text or "").strip():
        return []
    return list(search_citizens(mail.organisation, {"nom": text.strip()[:150]})[:limit])


def identify_sender(mail, *, agent, citizen, lock_version):
    """« C'est cet usager » : the message (still to handle) is from this citizen of the collectivité, so that the
    request made from it is theirs (no second record) and it shows in their history."""
    from guichet.citizen_records.services import citizens

    if citizen is None or not citizens(mail.organisation).filter(pk=citizen.pk).exists():
        raise HandlingRefused(_("Choisissez un usager de la collectivité."))
    with transaction.atomic():
        locked = _lock_for_handling(mail, agent, lock_version)
        locked.citizen = citizen
        locked.lock_version += 1
        locked.save(update_fields=["citizen", "lock_version"])
    return locked


def assign_mail(mail, *, agent, service, assigned_to, lock_version):
    """Give the message (still to handle) to a service and/or an agent of the collectivité."""
    if service is not None and service.organisation_id != mail.organisation_id:
        raise HandlingRefused(_("Choisissez un service de la collectivité."))
    if assigned_to is not None and (assigned_to.organisation_id != mail.organisation_id or not assigned_to.is_agent):
        raise HandlingRefused(_("Choisissez un agent de la collectivité."))
    with transaction.atomic():
        locked = _lock_for_handling(mail, agent, lock_version, while_received=True)
        locked.service, locked.assigned_to = service, assigned_to
        locked.lock_version += 1
        locked.save(update_fields=["service", "assigned_to", "lock_version"])
    return locked


__all__ = [
    "HandlingRefused", "process_mail", "search_mail", "index_mail", "quoted_codes", "mails_for_agent",
    "create_request_from_mail", "attach_to_request", "answer_mail", "file_mail", "assign_mail", "sender_candidates",
    "identify_sender",
]
