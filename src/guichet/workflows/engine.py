"""The workflow engine: moves requests through the statuses of their workflow.

The engine always reads the workflow SNAPSHOT of the request's procedure version (`request.version.workflow`),
never the editable `Workflow`, so a submitted request keeps the workflow it was made with.

Every change runs in one transaction with the request row locked (`select_for_update`) and its `lock_version`
checked then incremented: two agents pressing a button at the same time never both act — the second one is
refused with a clear message (`RequestChanged`) and nothing of theirs is recorded.

    start(request, actor)                                   # enter the initial status (after submission)
    available_buttons(request, user)                        # buttons of the current status for this user
    press(request, button_id, user, form_data=None)         # run a button's actions
    enter_status(request, status_id, actor, reason="")      # go to a status (on-enter actions run)
    run_timers(now=None)                                    # periodic: due timers move their requests
    answer_information_request(request, citizen, message, files)

A final status is entered only when the citizen has had a written answer since the request was (re)opened
(`answered_at`; see guichet.answers): otherwise WorkflowError, whatever the path (button, enter_status, timer).
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .actions import ACTIONS, InputRequired, inputs_of

logger = logging.getLogger("guichet.workflows")

# A chain of automatic status changes longer than this is an endless loop: it is refused.
MAX_DEPTH = 20
SAVED_FIELDS = ["status", "waiting_for_citizen", "information_request", "closed_at", "service", "assigned_to",
                "deadline", "lock_version", "updated_at", "answered_at"]


class WorkflowError(Exception):
    """Something the engine refuses; `message` is French and meant for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class RequestChanged(WorkflowError):
    def __init__(self):
        super().__init__(_("La demande a changé entre-temps (quelqu'un d'autre vient d'agir dessus) : rien n'a été "
                           "fait. Vérifiez son nouvel état avant de recommencer."))


class WorkflowLoop(WorkflowError):
    pass


@dataclass
class Button:
    id: str
    label: str
    inputs: list  # [(name, label)] the agent must fill in
    actions: list


@dataclass
class RunContext:
    request: object
    actor: object = None
    form_data: dict = None
    reason: str = ""
    depth: int = 0
    path: list = field(default_factory=list)


def workflow_of(request):
    return request.version.workflow or {}


def find_status(defn, status_id):
    for index, status in enumerate(defn.get("statuses") or []):
        if isinstance(status, dict) and status.get("id") == status_id:
            return index, status
    return None, None


def _lock(request):
    from guichet.service_requests.models import ServiceRequest

    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("version", "organisation", "procedure")
        .get(pk=request.pk)
    )


def _commit(ctx, original):
    """Save the locked request with its new lock version and copy the outcome into the caller's instance."""
    locked = ctx.request
    locked.lock_version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=SAVED_FIELDS)
    if original is not None and original is not locked:
        for name in SAVED_FIELDS + ["closed_at"]:
            attname = locked._meta.get_field(name).attname
            setattr(original, attname, getattr(locked, attname))
        for relation in ("service", "assigned_to"):
            if locked._meta.get_field(relation).is_cached(locked):
                setattr(original, relation, getattr(locked, relation))
            else:
                original._state.fields_cache.pop(locked._meta.get_field(relation).cache_name, None)


def run_actions(ctx, actions, base_path):
    for index, action in enumerate(actions or []):
        kind = ACTIONS.get(action.get("type")) if isinstance(action, dict) else None
        if kind is None:
            raise WorkflowError(_("Action inconnue dans le circuit : le circuit de cette démarche est invalide."))
        previous_path = ctx.path
        ctx.path = [*base_path, index]
        try:
            kind.run(ctx, action)
        finally:
            ctx.path = previous_path


def enter_locked(ctx, status_id, *, reason=""):
    """Enter `status_id` for the locked `ctx.request` (inside the engine's transaction)."""
    from guichet.service_requests.services import add_event

    from .models import PendingTimer

    if ctx.depth >= MAX_DEPTH:
        raise WorkflowLoop(_("Le circuit tourne en boucle (plus de %(n)s changements de statut automatiques à la "
                             "suite) : rien n'a été fait. Corrigez le circuit.") % {"n": MAX_DEPTH})
    defn = workflow_of(ctx.request)
    index, status = find_status(defn, status_id)
    if status is None:
        raise WorkflowError(_("Le statut « %(id)s » n'existe pas dans le circuit de cette démarche.") % {"id": status_id})
    request = ctx.request
    now = timezone.now()
    previous = request.status
    request.status = status_id
    request.waiting_for_citizen = False
    request.information_request = ""
    request.closed_at = now if status.get("final") else None
    PendingTimer.objects.filter(request=request).delete()
    for timer_index, timer in enumerate(status.get("timers") or []):
        PendingTimer.objects.create(
            organisation_id=request.organisation_id, request=request, status=status_id, index=timer_index,
            goto=timer["goto"], on_deadline=bool(timer.get("on_deadline")),
            due_at=now + datetime.timedelta(days=timer["after_days"]) if timer.get("after_days") else None,
        )
    add_event(
        request, "status_changed", actor=ctx.actor, visible_to_citizen=bool(status.get("visible", True)),
        status_from=previous, status_to=status_id, text=reason,
    )
    ctx.depth += 1
    try:
        run_actions(ctx, status.get("on_enter"), ["statuses", index, "on_enter"])
    finally:
        ctx.depth -= 1
    if request.status == status_id:
        # A final status needs a written answer to the citizen (guichet.answers): refused, nothing recorded.
        from guichet.answers.services import check_final_status

        check_final_status(request, status)


def start(request, actor):
    """Enter the initial status of the request's workflow (called once the request is submitted)."""
    defn = workflow_of(request)
    with transaction.atomic():
        locked = _lock(request)
        if locked.status:
            raise WorkflowError(_("Le traitement de cette demande a déjà commencé."))
        ctx = RunContext(request=locked, actor=actor, reason="")
        enter_locked(ctx, defn.get("initial"), reason="")
        _commit(ctx, request)
    return request


def roles_of(request, user):
    """The roles `user` holds on `request`: agent/manager of its service, admin of its collectivité."""
    from guichet.agents.models import Membership

    acting_roles = getattr(user, "workflow_roles", None)
    if callable(acting_roles):  # an API client acting through the REST API (guichet.api.request_services)
        return set(acting_roles(request))
    if not (user and user.is_authenticated and getattr(user, "is_agent", False) and user.is_active):
        return set()
    if user.organisation_id != request.organisation_id:
        return set()
    verified = getattr(user, "is_verified", None)
    if callable(verified) and not verified():
        return set()
    roles = set()
    if request.service_id:
        roles |= set(
            Membership.objects.filter(
                user=user, service_id=request.service_id,
                role__in=[Membership.Role.AGENT, Membership.Role.MANAGER],
            ).values_list("role", flat=True)
        )
    if user.is_org_admin:
        roles.add("admin")
    return roles


def _buttons_for(request, roles):
    if not request.is_submitted or request.anonymised_at or request.withdrawn_at or request.merged_into_id or not roles:
        return []
    _index, status = find_status(workflow_of(request), request.status)
    if status is None:
        return []
    return [
        Button(id=button["id"], label=button["label"], inputs=inputs_of(button.get("actions")),
               actions=button.get("actions") or [])
        for button in status.get("buttons") or []
        if roles & set(button.get("roles") or [])
    ]


def available_buttons(request, user):
    """The buttons of the request's current status that `user` may press."""
    return _buttons_for(request, roles_of(request, user))


def press(request, button_id, user, *, form_data=None, lock_version=None):
    """Run the actions of a button, in order, in one transaction.

    Raises PermissionDenied when the user may not press it, RequestChanged when the request changed since
    `lock_version` (default: the caller's `request.lock_version`), WorkflowError (with a French `message`)
    when a needed input is missing or the workflow cannot run. Nothing is recorded when it raises.
    """
    expected = request.lock_version if lock_version is None else int(lock_version)
    if not roles_of(request, user):
        raise PermissionDenied
    with transaction.atomic():
        locked = _lock(request)
        if locked.lock_version != expected:
            raise RequestChanged()
        defn = workflow_of(locked)
        index, status = find_status(defn, locked.status)
        buttons = {button.id: button for button in _buttons_for(locked, roles_of(locked, user))}
        if button_id not in buttons:
            raise PermissionDenied
        button_index = next(i for i, b in enumerate(status.get("buttons") or []) if b.get("id") == button_id)
        ctx = RunContext(request=locked, actor=user, form_data=form_data or {},
                         reason=_("Bouton « %(label)s »") % {"label": buttons[button_id].label})
        try:
            run_actions(ctx, buttons[button_id].actions, ["statuses", index, "buttons", button_index, "actions"])
        except InputRequired as missing:
            raise WorkflowError(missing.message) from missing
        _commit(ctx, request)
    return request


def enter_status(request, status_id, actor, *, reason=""):
    """Move the request to `status_id` (its on-enter actions run), in its own locked transaction."""
    with transaction.atomic():
        locked = _lock(request)
        ctx = RunContext(request=locked, actor=actor, reason=reason)
        try:
            enter_locked(ctx, status_id, reason=reason)
        except InputRequired as missing:
            raise WorkflowError(missing.message) from missing
        _commit(ctx, request)
    return request


def run_timers(now=None):
    """Move the requests whose timer is due (`after_days` elapsed, or the deadline passed); returns how many.

    Idempotent: a timer belongs to the status it was created for and disappears when the request leaves it.
    """
    from guichet.service_requests.services import add_event

    from .models import PendingTimer

    now = now or timezone.now()
    today = timezone.localdate(now)
    due = PendingTimer.objects.filter(
        Q(due_at__lte=now) | Q(on_deadline=True, request__deadline__lt=today),
        request__state="submitted", request__anonymised_at__isnull=True,
    ).values_list("pk", "request_id")
    moved = 0
    for timer_id, request_id in list(due[:5000]):
        try:
            with transaction.atomic():
                timer = PendingTimer.objects.filter(pk=timer_id).first()
                if timer is None:
                    continue
                locked = _lock(timer.request)
                timer = PendingTimer.objects.filter(pk=timer_id, status=locked.status).first()
                if timer is None:
                    continue
                label = _("Délai dépassé") if timer.on_deadline else _("Délai écoulé")
                ctx = RunContext(request=locked, actor=None, reason=label)
                enter_locked(ctx, timer.goto, reason=label)
                _commit(ctx, None)
                moved += 1
        except (WorkflowError, InputRequired) as error:
            logger.error("Timer %s of request %s failed: %s", timer_id, request_id, error)
            with transaction.atomic():
                timer = PendingTimer.objects.select_related("request").filter(pk=timer_id).first()
                if timer is not None:
                    add_event(timer.request, "action", text=_("Délai automatique non appliqué : %(error)s") % {
                        "error": getattr(error, "message", str(error))})
                    timer.delete()
    return moved


def answer_information_request(request, citizen, message, files=()):
    """The citizen answers a request for information (message and/or files already attached to the request);
    the request then goes to the status the workflow says. `citizen` is None for a request made without an
    account (the caller checked the tracking code)."""
    from guichet.service_requests.services import add_event

    from .models import InformationRequest

    if request.citizen_id and (citizen is None or citizen.pk != request.citizen_id):
        raise PermissionDenied
    if not request.citizen_id and citizen is not None:
        raise PermissionDenied
    message = (message or "").strip()
    files = list(files or [])
    if not message and not files:
        raise WorkflowError(_("Écrivez une réponse ou joignez un fichier."))
    with transaction.atomic():
        locked = _lock(request)
        if not locked.waiting_for_citizen:
            raise WorkflowError(_("Aucun complément n'est demandé pour cette demande."))
        pending = InformationRequest.objects.filter(request=locked, answered_at__isnull=True).first()
        attachment_ids = [getattr(item, "pk", item) for item in files]
        from guichet.service_requests.models import Attachment

        if Attachment.objects.filter(pk__in=attachment_ids).exclude(request=locked).exists():
            raise PermissionDenied
        add_event(locked, "information_answered", actor=citizen, visible_to_citizen=True, text=message,
                  data={"attachments": attachment_ids})
        then = pending.then if pending else locked.status
        if pending:
            pending.answered_at = timezone.now()
            pending.save(update_fields=["answered_at"])
        InformationRequest.objects.filter(request=locked, answered_at__isnull=True).update(answered_at=timezone.now())
        ctx = RunContext(request=locked, actor=citizen, reason=_("Complément apporté par l'usager"))
        enter_locked(ctx, then, reason=ctx.reason)
        _commit(ctx, request)
    return request
