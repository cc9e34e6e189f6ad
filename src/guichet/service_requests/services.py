"""Business rules of requests: tracking codes, drafts, submission, the timeline."""

import contextlib
import contextvars

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.agents.permissions import is_verified_agent
from guichet.procedures.models import WhoMaySubmit

from .codes import new_tracking_code
from .location import apply_location
from .models import Attachment, RequestEvent, ServiceRequest

EVENT_FIELDS = {"status_from", "status_to", "text", "data", "at"}
# Session key listing the tracking codes this browser may see (shared with files.may_download).
FOLLOW_SESSION_KEY = "followed_requests"
MAX_FOLLOWED = 50


# Data every event appended in a block is written with (`events_written_with`): e.g. the API client acting.
_EVENT_DATA = contextvars.ContextVar("guichet_event_data", default=None)


@contextlib.contextmanager
def events_written_with(**data):
    """Inside this block, each event appended by `add_event` holds `data` in its `data` (below what the caller
    passes): who acted when it is not a user, such as the API client of guichet.api. The timeline stays
    append-only: the event is written with it, never stamped afterwards."""
    token = _EVENT_DATA.set({**(_EVENT_DATA.get() or {}), **data})
    try:
        yield
    finally:
        _EVENT_DATA.reset(token)


def add_event(request, kind, actor=None, visible_to_citizen=False, **fields):
    """Append one event to `request`'s timeline (the only way to write a `RequestEvent`).

    `fields` among status_from, status_to, text, data (JSON-serialisable dict), at. Unknown kinds or fields are
    programming errors (ValueError). The request's `updated_at` moves to now (« dernière mise à jour »).
    """
    if kind not in RequestEvent.Kind.values:
        raise ValueError(f"Unknown request event kind: {kind!r}")
    unknown = set(fields) - EVENT_FIELDS
    if unknown:
        raise ValueError(f"Unknown request event fields: {sorted(unknown)}")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    fields.setdefault("data", {})
    written_with = _EVENT_DATA.get()
    if written_with and isinstance(fields["data"], dict):
        fields["data"] = {**written_with, **fields["data"]}
    for name in ("status_from", "status_to", "text"):
        if fields.get(name) is None:
            fields[name] = ""
    event = RequestEvent.objects.create(
        organisation_id=request.organisation_id, request=request, kind=kind, actor=actor,
        visible_to_citizen=visible_to_citizen, **fields,
    )
    now = timezone.now()
    ServiceRequest.objects.filter(pk=request.pk).update(updated_at=now)
    request.updated_at = now
    return event


def unique_tracking_code():
    """A tracking code no request uses yet (the unique constraint stays the last word)."""
    while True:
        code = new_tracking_code()
        if not ServiceRequest.objects.filter(tracking_code=code).exists():
            return code


def create_request(**fields):
    """Insert a request with a fresh tracking code, trying again in the (astronomically rare) case of a clash."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ServiceRequest.objects.create(tracking_code=unique_tracking_code(), **fields)
        except IntegrityError:
            continue
    raise IntegrityError("Could not draw a unique tracking code.")


# ---------------------------------------------------------------------------------------------------------------
# Who may see a request from this browser


def session_codes(http_request):
    """Tracking codes this browser's session was given access to (anonymous submitter or follower)."""
    codes = http_request.session.get(FOLLOW_SESSION_KEY) or []
    return [code for code in codes if isinstance(code, str)]


def grant_session(http_request, service_request):
    """Let this browser's session see `service_request` (its anonymous author, or a follower who proved it)."""
    codes = session_codes(http_request)
    if service_request.tracking_code not in codes:
        codes = (codes + [service_request.tracking_code])[-MAX_FOLLOWED:]
        http_request.session[FOLLOW_SESSION_KEY] = codes


def session_may_follow(http_request, service_request):
    """True when this browser's session was given access to the request (used by files.may_download too)."""
    return service_request.citizen_id is None and service_request.tracking_code in session_codes(http_request)


def may_access(http_request, service_request, *, receipt=False):
    """Whether the visitor may see (and, while it is a draft, fill in) this request on the citizens' pages.

    Its citizen; for requests without a citizen, the browser session that made or followed it; the agent of the
    collectivité who entered it at the counter or on the phone (password and second factor): a request without a
    citizen always, a citizen's request while it is a draft and, once sent, its receipt only (`receipt=True`, the
    receipt pages) — the citizen's exchanges with the service are then read in the agents' space, under its
    permissions. Everybody else gets a 404 (the request's existence is not revealed).
    """
    user = http_request.user
    if service_request.organisation_id != getattr(http_request.organisation, "pk", None):
        return False
    if service_request.anonymised_at is not None:
        return False
    if user.is_authenticated:
        if (service_request.entered_by_id == user.pk and user.organisation_id == service_request.organisation_id
                and is_verified_agent(user)):
            # The agent who enters it at the counter or on the phone (also on a citizen's behalf).
            return service_request.citizen_id is None or service_request.is_draft or receipt
        if service_request.citizen_id is not None:
            return service_request.citizen_id == user.pk
    return session_may_follow(http_request, service_request)


# ---------------------------------------------------------------------------------------------------------------
# Starting a request


class StartRefused(Exception):
    """This visitor may not make this procedure's request; `login` when signing in as a citizen would help."""

    def __init__(self, message, *, login=False):
        super().__init__(message)
        self.message = message
        self.login = login


def check_may_start(version, user):
    """Raise StartRefused (French message) unless `user` (possibly anonymous) may submit with this version.

    anyone: everybody, also without an account (contact details asked) — agents enter it at the counter;
    citizen: signed-in citizens only (anonymous visitors are sent to the sign-in page);
    agents: only agents (counter entry): citizens are told to come to the counter or call.
    """
    who = version.who_may_submit
    anonymous = not user.is_authenticated
    agent = user.is_authenticated and user.is_agent
    if who == WhoMaySubmit.AGENTS:
        if agent and is_verified_agent(user):
            return
        raise StartRefused(_(
            "Cette démarche ne se fait pas en ligne : adressez-vous à l'accueil de la mairie ou appelez-la, "
            "un agent l'enregistrera avec vous."
        ))
    if agent:
        if who == WhoMaySubmit.ANYONE and is_verified_agent(user):
            return
        raise StartRefused(_(
            "Cette démarche se fait depuis le compte d'un usager : un agent ne peut pas la déposer pour lui-même."
        ))
    if who == WhoMaySubmit.CITIZEN and anonymous:
        raise StartRefused(_("Connectez-vous à votre compte pour faire cette démarche."), login=True)
    if who not in WhoMaySubmit.values:
        raise StartRefused(_("Cette démarche n'est pas ouverte aux demandes en ligne."))


def send_refusal(user, service_request):
    """Why `user` may not send this draft themselves (French message), or None.

    A draft of an agents-only procedure (`WhoMaySubmit.AGENTS`) that an agent started on a citizen's behalf may be
    completed by the citizen online, but only a verified agent sends it (the procedure is not done online)."""
    if service_request.version.who_may_submit == WhoMaySubmit.AGENTS and not is_verified_agent(user):
        return _(
            "Cette démarche ne se fait pas en ligne : vos réponses sont enregistrées, un agent enverra la demande "
            "avec vous à l'accueil de la mairie ou au téléphone."
        )
    return None


def citizen_context(citizen):
    """(CitizenData or None, household members) of the request's citizen, for pre-fill and household fields."""
    if citizen is None:
        return None, []
    from guichet.households.services import citizen_data, members_of

    return citizen_data(citizen), list(members_of(citizen))


def start_draft(version, http_request):
    """Create a draft of `version`'s procedure for the visitor, with the answers pre-filled from their profile.

    A citizen owns the draft; a visitor without an account (or an agent entering it at the counter) gets it in
    their browser session. Raises StartRefused when the visitor may not submit this procedure.
    """
    user = http_request.user
    check_may_start(version, user)
    citizen = user if user.is_authenticated and user.is_citizen else None
    agent = user if user.is_authenticated and user.is_agent else None
    service_request = create_draft(
        version, citizen=citizen, entered_by=agent, actor=user,
        channel=ServiceRequest.Channel.COUNTER if agent else ServiceRequest.Channel.WEB,
    )
    if citizen is None and agent is None:
        grant_session(http_request, service_request)
    return service_request


def create_draft(version, *, citizen, entered_by, channel, actor, data=None, event_data=None, **fields):
    """The draft itself (no permission check: callers check who may start it): answers pre-filled from the
    citizen's profile then overridden by `data`, first step set, CREATED event (with `event_data`)."""
    import guichet.formdefs as formdefs

    profile, _members = citizen_context(citizen)
    answers = formdefs.prefill_values(version.form, profile) or {}
    answers.update(data or {})
    with transaction.atomic():
        service_request = create_request(
            organisation=version.organisation, version=version, procedure=version.procedure, citizen=citizen,
            entered_by=entered_by, channel=channel, service_id=version.service_id, data=answers, **fields,
        )
        service_request.current_page = first_step(service_request)
        service_request.save(update_fields=["current_page"])
        add_event(service_request, RequestEvent.Kind.CREATED, actor=actor, data=event_data or {})
    return service_request


# ---------------------------------------------------------------------------------------------------------------
# Filling in, page by page

CONTACT_STEP = "coordonnees"


def needs_contact(service_request):
    """Requests without a citizen account ask for the submitter's name and e-mail address."""
    return service_request.citizen_id is None


def has_contact(service_request):
    return bool(service_request.contact_name.strip() and service_request.contact_email.strip())


def visible_page_ids(service_request, answers=None):
    import guichet.formdefs as formdefs

    answers = service_request.data if answers is None else answers
    return [page["id"] for page in formdefs.visible_pages(service_request.version.form, answers)]


def first_step(service_request):
    """The contact step for requests without account, else the first visible page ("" when there is none)."""
    if needs_contact(service_request):
        return CONTACT_STEP
    pages = visible_page_ids(service_request)
    return pages[0] if pages else ""


def next_step(service_request, step):
    """The step after `step` ("" = the summary), with the current answers' conditions."""
    pages = visible_page_ids(service_request)
    if step == CONTACT_STEP:
        return pages[0] if pages else ""
    if step in pages:
        index = pages.index(step)
        return pages[index + 1] if index + 1 < len(pages) else ""
    # A page that is now hidden: the first visible page after it in the form.
    from guichet.formdefs.schema import pages as all_pages

    order = [page.get("id") for page in all_pages(service_request.version.form)]
    later = order[order.index(step) + 1:] if step in order else []
    return next((page for page in later if page in pages), "")


def previous_step(service_request, step):
    """The step before `step` (None when it is the first one)."""
    pages = visible_page_ids(service_request)
    steps = ([CONTACT_STEP] if needs_contact(service_request) else []) + pages
    if step == "":
        return steps[-1] if steps else None
    if step in steps:
        index = steps.index(step)
        return steps[index - 1] if index > 0 else None
    return None


def step_number(service_request, step):
    """(position, total) of the step among the steps of the request, the summary counted last."""
    steps = ([CONTACT_STEP] if needs_contact(service_request) else []) + visible_page_ids(service_request) + [""]
    return (steps.index(step) + 1 if step in steps else 1), len(steps)


def page_files(service_request, page):
    """{file field id: [attachment ids kept for it]} for the file fields of `page` (ids of this request only)."""
    from guichet.formdefs.schema import page_fields

    ids = {}
    stored = set(service_request.attachments.values_list("pk", flat=True))
    for field in page_fields(page):
        if field.get("type") == "file":
            kept = service_request.data.get(field["id"]) or []
            ids[field["id"]] = [pk for pk in kept if pk in stored] if isinstance(kept, list) else []
    return ids


def save_page(service_request, page_id, page_answers, *, next_page=None):
    """Store one page's answers in the draft (answers of fields now hidden are dropped) → the request."""
    from guichet.formdefs.cleaning import merge_page_answers

    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        if not locked.is_draft:
            raise AlreadySubmitted(locked)
        locked.data = merge_page_answers(locked.version.form, page_id, locked.data, page_answers)
        if next_page is not None:
            locked.current_page = next_page
        locked.save(update_fields=["data", "current_page", "updated_at"])
    service_request.data, service_request.current_page = locked.data, locked.current_page
    return service_request


def save_contact(service_request, *, name, email, phone=""):
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        if not locked.is_draft:
            raise AlreadySubmitted(locked)
        locked.contact_name, locked.contact_email, locked.contact_phone = name, email, phone
        locked.save(update_fields=["contact_name", "contact_email", "contact_phone", "updated_at"])
    service_request.contact_name, service_request.contact_email = name, email
    service_request.contact_phone = phone
    return service_request


def save_files(service_request, files):
    """Keep the files of a page that is not valid yet: `files` is {file field id: [attachment ids]}."""
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        if not locked.is_draft:
            raise AlreadySubmitted(locked)
        stored = set(locked.attachments.values_list("pk", flat=True))
        for field_id, ids in files.items():
            ids = [pk for pk in ids if pk in stored]
            if ids:
                locked.data[field_id] = ids
            else:
                locked.data.pop(field_id, None)
        locked.save(update_fields=["data", "updated_at"])
    service_request.data = locked.data
    return service_request


def set_current_page(service_request, step):
    ServiceRequest.objects.filter(pk=service_request.pk, state=ServiceRequest.State.DRAFT).update(current_page=step)
    service_request.current_page = step


class AlreadySubmitted(Exception):
    """The draft was sent meanwhile (another tab, a double click): nothing more to change."""

    def __init__(self, service_request):
        super().__init__(service_request.tracking_code)
        self.request = service_request


def first_incomplete_step(service_request, answers=None):
    """(step, French message) of the first step that lacks a required answer, or None when all is there.

    Checked again on submission, whatever the browser sent: pages never shown, answers dropped by a changed
    condition, a summary posted directly.
    """
    from guichet.formdefs.conditions import evaluate, is_empty, visible_answers
    from guichet.formdefs.schema import holds_value, page_fields

    if needs_contact(service_request) and not has_contact(service_request):
        return CONTACT_STEP, _("Indiquez vos nom et adresse électronique pour que le service puisse vous répondre.")
    defn = service_request.version.form
    answers = visible_answers(defn, service_request.data if answers is None else answers)
    import guichet.formdefs as formdefs

    for page in formdefs.visible_pages(defn, answers):
        for field in page_fields(page):
            if not holds_value(field) or field.get("type") == "computed" or not evaluate(field.get("condition"), answers):
                continue
            value = answers.get(field.get("id"))
            missing = field.get("required") and is_empty(value)
            if field.get("type") == "block" and field.get("min_items"):
                count = len(value) if isinstance(value, list) else 0
                missing = missing or count < int(field.get("min_items") or 0)
            if missing:
                return page["id"], _(
                    "Il manque des réponses obligatoires sur la page « %(page)s » : complétez-la avant d'envoyer "
                    "votre demande."
                ) % {"page": page.get("title") or page["id"]}
    return None


# ---------------------------------------------------------------------------------------------------------------
# Submission


class Incomplete(Exception):
    def __init__(self, step, message):
        super().__init__(message)
        self.step = step
        self.message = message


def submit(service_request, actor=None):
    """Send a draft → (request, True), exactly once: a second call (double click, replayed POST, another tab)
    finds it submitted and returns (request, False) without doing anything.

    Under a row lock, the answers are checked again (Incomplete names the step to complete), the answers of
    hidden fields dropped, the deadline computed, the `submitted` event written, the workflow started, and the
    receipt sent to the citizen (notification) or to the contact address (e-mail).
    """
    from guichet.formdefs.conditions import visible_answers
    from guichet.procedures.services import deadline_for

    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        locked = (
            ServiceRequest.objects.select_for_update()
            .select_related("version", "organisation")
            .get(pk=service_request.pk)
        )
        if not locked.is_draft:
            return locked, False
        problem = first_incomplete_step(locked)
        if problem:
            raise Incomplete(*problem)
        version = locked.version
        now = timezone.now()
        locked.data = visible_answers(version.form, locked.data)
        locked.state = ServiceRequest.State.SUBMITTED
        locked.submitted_at = now
        locked.current_page = ""
        locked.service_id = version.service_id
        locked.deadline = deadline_for(version, timezone.localdate(now))
        apply_location(locked, citizen_context(locked.citizen)[1] if locked.citizen_id else ())
        locked.lock_version += 1
        locked.save()
        _drop_unused_attachments(locked)
        add_event(locked, RequestEvent.Kind.SUBMITTED, actor=actor, visible_to_citizen=True,
                  text=_("Demande envoyée."))
        start_workflow(locked, actor)
        from .receipt import send_receipt

        send_receipt(locked)
    return locked, True


def _drop_unused_attachments(service_request):
    """Files uploaded to fields that are no longer part of the answers (replaced, hidden) are deleted."""
    from guichet.formdefs.schema import iter_fields

    kept = set()
    for _page, field in iter_fields(service_request.version.form):
        if field.get("type") == "file":
            value = service_request.data.get(field.get("id"))
            if isinstance(value, list):
                kept.update(pk for pk in value if isinstance(pk, int))
    unused = list(service_request.attachments.filter(source=Attachment.Source.CITIZEN).exclude(pk__in=kept))
    for attachment in unused:
        name, storage = attachment.file.name, attachment.file.storage
        attachment.delete()
        if name:
            transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))


def start_workflow(service_request, actor):
    """Enter the workflow's initial status (the workflows app's engine)."""
    try:
        from guichet.workflows import engine
    except ImportError:
        engine = None
    if engine is not None and hasattr(engine, "start"):
        engine.start(service_request, actor)
    elif not service_request.status:
        initial = (service_request.version.workflow or {}).get("initial") or ""
        ServiceRequest.objects.filter(pk=service_request.pk).update(status=initial)
        service_request.status = initial


def delete_draft(service_request):
    """Delete a draft and its files (a submitted request is never deleted here)."""
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        if not locked.is_draft:
            raise AlreadySubmitted(locked)
        names = [(a.file.storage, a.file.name) for a in locked.attachments.all() if a.file.name]
        locked.delete()
        for storage, name in names:
            transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
