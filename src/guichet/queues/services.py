"""The agents' queues: which requests an agent sees, the queue's filters, deadline states, assignment, priority,
bulk actions and the daily digest of overdue requests.

`queue_requests(user, organisation, params)` is the one entry point used by the queue page, its saved views
and its exports: it returns the bound filter form and the filtered, ordered queryset.

    deadline_state(service_request, today=None)     # "overdue" | "due_soon" | "on_time" | ""
    queue_requests(user, organisation, params)      # (form, queryset)
    queue_page(requests, number)                    # one page of 50 rows, the total counted up to COUNT_CAP
    assign(service_request, actor, assignee, lock_version=None)
    change_priority(service_request, actor, priority, lock_version=None)
    bulk_assign / bulk_press / bulk_message(user, organisation, ids, ...)  → BulkOutcome
    send_overdue_digests(today=None)                # the managers' daily digest
"""

import datetime
import math
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.agents.models import Membership, Service
from guichet.agents.permissions import is_org_admin, services_of
from guichet.service_requests.agent_services import requests_for_agent
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import add_event

# « Bientôt dû »: the deadline falls within this many days (today included).
DUE_SOON_DAYS = 3
REQUESTS_PER_PAGE = 50
# The queue's total is counted up to this many rows (never a COUNT(*) over a whole collectivité's history).
COUNT_CAP = 5000
# At most this many requests in one bulk action (a page holds 50).
BULK_MAX = 200
DISTRICTS_CACHE_SECONDS = 300
WORKING_ROLES = (Membership.Role.AGENT, Membership.Role.MANAGER)
MAX_ID = 2**63 - 1  # the largest primary key (bigint)

OVERDUE, DUE_SOON, ON_TIME, NO_DEADLINE = "overdue", "due_soon", "on_time", "none"


class QueueActionRefused(Exception):
    """An assignment, a priority change or a bulk action cannot be done; `message` is French, for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# --- deadline states ----------------------------------------------------------------------------------------


def _today(today=None):
    return today or timezone.localdate()


def is_open(service_request):
    return service_request.closed_at is None and service_request.withdrawn_at is None


def deadline_state(service_request, today=None):
    """"overdue", "due_soon" (deadline within DUE_SOON_DAYS days), "on_time", or "" when the request is closed,
    withdrawn or has no deadline."""
    deadline = service_request.deadline
    if deadline is None or not is_open(service_request):
        return ""
    today = _today(today)
    if deadline < today:
        return OVERDUE
    if deadline <= today + datetime.timedelta(days=DUE_SOON_DAYS):
        return DUE_SOON
    return ON_TIME


def deadline_state_q(state, today=None):
    """The ORM condition of a deadline state (the same rules as `deadline_state`)."""
    today = _today(today)
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    open_q = Q(closed_at__isnull=True, withdrawn_at__isnull=True)
    if state == OVERDUE:
        return open_q & Q(deadline__lt=today)
    if state == DUE_SOON:
        return open_q & Q(deadline__gte=today, deadline__lte=soon)
    if state == ON_TIME:
        return open_q & Q(deadline__gt=soon)
    if state == NO_DEADLINE:
        return Q(deadline__isnull=True)
    raise ValueError(f"Unknown deadline state: {state!r}")


# --- who works on what ----------------------------------------------------------------------------------------


def working_services(user, organisation):
    """The active services whose requests the agent works on (all of them for an org administrator)."""
    services = Service.objects.of(organisation).filter(is_active=True)
    if not is_org_admin(user):
        services = services.filter(pk__in=services_of(user, roles=WORKING_ROLES).values("pk"))
    return services.order_by("name")


def procedures_for(user, organisation):
    """The procedures of the agent's services (every procedure for an org administrator), by title."""
    from guichet.procedures.models import Procedure

    procedures = Procedure.objects.of(organisation)
    if not is_org_admin(user):
        procedures = procedures.filter(service__in=services_of(user, roles=WORKING_ROLES))
    return procedures.order_by("title")


def colleagues_of(user, organisation):
    """The active agents of the user's services (every active agent for an org administrator), by name."""
    from guichet.accounts.models import User

    agents = User.objects.filter(organisation=organisation, kind=User.Kind.AGENT, is_active=True)
    if not is_org_admin(user):
        agents = agents.filter(
            memberships__service__in=services_of(user, roles=WORKING_ROLES), memberships__role__in=WORKING_ROLES,
        ).distinct()
    return agents.order_by("last_name", "first_name", "email")


def assignable_agents(service_request):
    """The active agents (role agent or manager) of the request's service: whom it may be given to."""
    from guichet.accounts.models import User

    if not service_request.service_id:
        return User.objects.none()
    return User.objects.filter(
        organisation_id=service_request.organisation_id, kind=User.Kind.AGENT, is_active=True,
        memberships__service_id=service_request.service_id, memberships__role__in=WORKING_ROLES,
    ).distinct().order_by("last_name", "first_name", "email")


def may_act_on(service_request, user):
    """Whether the agent may assign the request or change its priority: agent or manager of its service, or
    administrator of its collectivité (an elected member's read-only role never acts)."""
    from guichet.workflows.engine import roles_of

    return bool(roles_of(service_request, user))


def district_choices(organisation, refresh=False):
    """The districts named in the collectivité's submitted requests, sorted (cached a few minutes: a DISTINCT
    over every request would cost on each queue page)."""
    key = f"queues:districts:{organisation.pk}"
    districts = None if refresh else cache.get(key)
    if districts is None:
        districts = sorted(
            ServiceRequest.objects.of(organisation).filter(state=ServiceRequest.State.SUBMITTED)
            .exclude(district="").order_by().values_list("district", flat=True).distinct(),
            key=str.lower,
        )
        cache.set(key, districts, DISTRICTS_CACHE_SECONDS)
    return districts


# --- the queue ------------------------------------------------------------------------------------------------


def queue_requests(user, organisation, params):
    """(filter form, queryset) of the requests `user` may see in `organisation`, filtered and ordered by
    `params` (a QueryDict or dict of the queue page's GET parameters; empty: the open requests by deadline).
    Invalid filters give an empty queryset (the form carries the French errors)."""
    from .forms import QueueFilterForm

    form = QueueFilterForm(params or {}, user=user, organisation=organisation)
    requests = requests_for_agent(user, organisation)
    if not form.is_valid():
        return form, requests.none()
    return form, form.apply(requests)


def rows_of(requests):
    """The queue's rows with what the page shows, without the requests' answers (never needed in a list)."""
    from django.db.models import Prefetch

    from guichet.procedures.models import ProcedureVersion

    return requests.select_related("service", "citizen", "assigned_to").defer(
        "data", "information_request"
    ).prefetch_related(
        Prefetch("version", queryset=ProcedureVersion.objects.only("pk", "title", "number", "workflow"))
    )


@dataclass
class QueuePage:
    """One page of the queue, with the total counted up to COUNT_CAP (`capped`: there are more)."""

    object_list: list
    number: int
    total: int
    capped: bool
    has_next: bool
    per_page: int = REQUESTS_PER_PAGE

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_other_pages(self):
        return self.has_previous or self.has_next

    @property
    def next_page_number(self):
        return self.number + 1

    @property
    def previous_page_number(self):
        return self.number - 1

    @property
    def num_pages(self):
        """The number of pages, or None when the total is capped."""
        return None if self.capped else max(1, math.ceil(self.total / self.per_page))

    @property
    def start_index(self):
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self):
        return (self.number - 1) * self.per_page + len(self.object_list)


def _page_number(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(1, min(number, 1_000_000))


def _capped_count(requests, cap):
    counted = requests.order_by()[: cap + 1].count()
    return (cap, True) if counted > cap else (counted, False)


def queue_page(requests, number=1, *, per_page=REQUESTS_PER_PAGE, cap=None):
    """The page `number` (1 when invalid) of the ordered queryset: one query for the rows (one more than a page,
    to know whether another follows) and, unless the first page holds everything, one capped count."""
    cap = COUNT_CAP if cap is None else cap
    number = _page_number(number)
    offset = (number - 1) * per_page
    rows = list(rows_of(requests)[offset : offset + per_page + 1])
    if number == 1 and len(rows) <= per_page:
        return QueuePage(rows, 1, len(rows), False, False, per_page)
    total, capped = _capped_count(requests, cap)
    if not rows and not capped and total:  # past the last page: show the last one
        number = max(1, math.ceil(total / per_page))
        offset = (number - 1) * per_page
        rows = list(rows_of(requests)[offset : offset + per_page + 1])
    has_next = len(rows) > per_page
    return QueuePage(rows[:per_page], number, total, capped, has_next, per_page)


# --- assignment and priority ----------------------------------------------------------------------------------


def _locked(service_request):
    return (
        ServiceRequest.objects.of(service_request.organisation_id).select_for_update(of=("self",))
        .select_related("version", "organisation", "procedure").get(pk=service_request.pk)
    )


def _check_actionable(locked, actor, expected):
    from guichet.workflows.engine import RequestChanged

    if expected is not None and locked.lock_version != int(expected):
        raise RequestChanged()
    if not may_act_on(locked, actor):
        raise PermissionDenied
    if not locked.is_submitted or locked.anonymised_at is not None or not is_open(locked):
        raise QueueActionRefused(_("Cette demande est close : elle ne s'attribue plus et sa priorité ne change plus."))


def _save(locked, original, fields):
    locked.lock_version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*fields, "lock_version", "updated_at"])
    for name in [*fields, "lock_version", "updated_at"]:
        attname = locked._meta.get_field(name).attname
        setattr(original, attname, getattr(locked, attname))


def _name(user):
    return user.get_full_name() or user.email


def assign(service_request, actor, assignee, *, lock_version=None):
    """Give the request to `assignee` (an agent of its service) or to nobody (None), under a row lock.

    `lock_version`: the version the agent's page showed (a stale page raises `RequestChanged`; None: no check,
    e.g. bulk actions picked from the list). PermissionDenied when the actor may not act on the request,
    QueueActionRefused (French message) when the assignee is not of the service, or nothing would change.
    The ASSIGNED event is added and the assignee (when not the actor) is notified. → the event."""
    from guichet.notifications.services import notify
    from guichet.workflows.actions import agent_link

    with transaction.atomic():
        locked = _locked(service_request)
        _check_actionable(locked, actor, lock_version)
        if assignee is not None and not assignable_agents(locked).filter(pk=assignee.pk).exists():
            raise QueueActionRefused(_("%(name)s ne fait pas partie du service de cette demande.") % {
                "name": _name(assignee)})
        if locked.assigned_to_id == (assignee.pk if assignee else None):
            raise QueueActionRefused(
                _("La demande est déjà attribuée à %(name)s.") % {"name": _name(assignee)} if assignee
                else _("La demande n'est attribuée à personne.")
            )
        locked.assigned_to = assignee
        _save(locked, service_request, ["assigned_to"])
        service_request.assigned_to = assignee
        if assignee is None:
            text = _("Attribution retirée : la demande n'est plus attribuée à personne.")
        else:
            text = _("Demande attribuée à %(name)s.") % {"name": _name(assignee)}
        event = add_event(locked, RequestEvent.Kind.ASSIGNED, actor=actor, text=text,
                          data={"agent": assignee.pk if assignee else None})
        if assignee is not None and assignee.pk != getattr(actor, "pk", None):
            notify(assignee, "message.free", {
                "objet": _("Demande %(code)s attribuée") % {"code": locked.tracking_code},
                "message": _("%(actor)s vous a attribué la demande %(code)s (« %(title)s »).") % {
                    "actor": _name(actor), "code": locked.tracking_code, "title": locked.version.title},
            }, link=agent_link(locked))
    return event


def change_priority(service_request, actor, priority, *, lock_version=None):
    """Set the request's priority (1 to 4) under a row lock → the PRIORITY_CHANGED event. Same refusals as
    `assign`; QueueActionRefused when the priority is unknown or unchanged."""
    try:
        priority = ServiceRequest.Priority(int(priority))
    except (TypeError, ValueError):
        raise QueueActionRefused(_("Choisissez une priorité parmi celles proposées.")) from None
    with transaction.atomic():
        locked = _locked(service_request)
        _check_actionable(locked, actor, lock_version)
        if locked.priority == priority:
            raise QueueActionRefused(_("La priorité est déjà « %(label)s ».") % {"label": priority.label})
        previous = ServiceRequest.Priority(locked.priority)
        locked.priority = priority
        _save(locked, service_request, ["priority"])
        event = add_event(
            locked, RequestEvent.Kind.PRIORITY_CHANGED, actor=actor,
            text=_("Priorité : %(old)s → %(new)s.") % {"old": previous.label, "new": priority.label},
            data={"from": int(previous), "to": int(priority)},
        )
    return event


# --- bulk actions ---------------------------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    done: list = field(default_factory=list)  # tracking codes
    skipped: list = field(default_factory=list)  # (tracking code, French reason)
    ignored: int = 0  # ids the agent may not see (forged, another service, another collectivité)

    def summary(self):
        """One French sentence: how many succeeded, which were skipped and why."""
        parts = [_("%(n)s demande(s) traitée(s).") % {"n": len(self.done)}]
        if self.skipped:
            parts.append(_("%(n)s ignorée(s) : %(list)s.") % {
                "n": len(self.skipped), "list": " ; ".join(f"{code} ({reason})" for code, reason in self.skipped)})
        if self.ignored:
            parts.append(_("%(n)s demande(s) introuvable(s) ou hors de vos services, laissée(s) de côté.") % {
                "n": self.ignored})
        return " ".join(parts)


def selected_requests(user, organisation, ids):
    """(the requests among `ids` the agent may see, by tracking code; how many ids were left out)."""
    wanted = set()
    for value in ids or ():
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number <= MAX_ID:  # a forged id beyond a bigint made the database query fail (500)
            wanted.add(number)
    found = list(requests_for_agent(user, organisation).filter(pk__in=wanted).select_related("version")
                 .order_by("tracking_code")) if wanted else []
    ignored = len(set(ids or ())) - len(found)
    return found, max(0, ignored)


def _each(user, organisation, ids, act):
    """Run `act(request)` on each visible selected request, each in its own transaction."""
    from guichet.service_requests.messaging import MessageRefused
    from guichet.workflows.engine import WorkflowError

    if len(set(ids or ())) > BULK_MAX:
        raise QueueActionRefused(_("Sélectionnez au plus %(max)s demandes à la fois.") % {"max": BULK_MAX})
    requests, ignored = selected_requests(user, organisation, ids)
    if not requests and not ignored:
        raise QueueActionRefused(_("Cochez au moins une demande."))
    outcome = BulkOutcome(ignored=ignored)
    for service_request in requests:
        try:
            act(service_request)
        except PermissionDenied:
            outcome.skipped.append((service_request.tracking_code, _("action non permise sur cette demande")))
        except (QueueActionRefused, WorkflowError, MessageRefused) as error:
            outcome.skipped.append((service_request.tracking_code, error.message))
        else:
            outcome.done.append(service_request.tracking_code)
    return outcome


def bulk_assign(user, organisation, ids, assignee):
    """Assign each selected request to `assignee` (None: nobody) → BulkOutcome."""
    return _each(user, organisation, ids, lambda request: assign(request, user, assignee))


def bulk_press(user, organisation, ids, button_id):
    """Press the workflow button `button_id` on each selected request where this agent may press it now (the
    others are skipped with the reason) → BulkOutcome."""
    from guichet.workflows import engine

    def press(service_request):
        if button_id not in {button.id for button in engine.available_buttons(service_request, user)}:
            raise QueueActionRefused(_("action indisponible dans son statut actuel"))
        engine.press(service_request, button_id, user)

    return _each(user, organisation, ids, press)


def bulk_message(user, organisation, ids, text):
    """Write the same message to the citizen of each selected request → BulkOutcome."""
    from guichet.service_requests.messaging import post_agent_message

    def write(service_request):
        if not may_act_on(service_request, user):
            raise PermissionDenied
        post_agent_message(service_request, user, text)

    return _each(user, organisation, ids, write)


def bulk_buttons(workflows):
    """[(button id, label)] of the workflows' buttons an agent can press in bulk (those asking for no input),
    each id once, by label."""
    from guichet.workflows.actions import inputs_of

    seen = {}
    for workflow in workflows:
        for status in (workflow or {}).get("statuses", []) if isinstance(workflow, dict) else []:
            for button in status.get("buttons") or [] if isinstance(status, dict) else []:
                if isinstance(button, dict) and isinstance(button.get("id"), str) and button["id"] not in seen:
                    if not inputs_of(button.get("actions")):
                        seen[button["id"]] = str(button.get("label") or button["id"])
    return sorted(seen.items(), key=lambda item: (item[1].lower(), item[0]))


# --- the managers' daily digest -------------------------------------------------------------------------------

DIGEST_LIST_LENGTH = 20


def overdue_link(service):
    from urllib.parse import urlencode

    from django.urls import reverse

    return reverse("agent_requests:list") + "?" + urlencode({"service": service.pk, "deadline_state": OVERDUE})


def send_overdue_digests(today=None):
    """Tell each manager of each service with overdue open requests how many and which (message kind
    `requests.overdue_digest`), once a day per service (a re-run job sends nothing twice) → digests sent."""
    from guichet.letters.pdf import french_date
    from guichet.notifications.services import notify
    from guichet.organisations.models import Organisation

    from .models import OverdueDigest

    today = _today(today)
    sent = 0
    for organisation in Organisation.objects.filter(is_active=True).order_by("pk"):
        overdue = ServiceRequest.objects.of(organisation).filter(
            deadline_state_q(OVERDUE, today), state=ServiceRequest.State.SUBMITTED, service__is_active=True,
        )
        counts = dict(overdue.order_by().values("service").annotate(n=Count("pk")).values_list("service", "n"))
        if not counts:
            continue
        done = set(OverdueDigest.objects.of(organisation).filter(day=today).values_list("service_id", flat=True))
        services = Service.objects.of(organisation).filter(pk__in=set(counts) - done).order_by("name")
        for service in services:
            managers = [membership.user for membership in Membership.objects.of(organisation).filter(
                service=service, role=Membership.Role.MANAGER, user__is_active=True).select_related("user")]
            first = overdue.filter(service=service).select_related("version").order_by(
                F("deadline").asc(), "pk")[:DIGEST_LIST_LENGTH]
            lines = [
                _("%(code)s — %(title)s — date limite %(date)s") % {
                    "code": item.tracking_code, "title": item.version.title, "date": french_date(item.deadline)}
                for item in first
            ]
            if counts[service.pk] > len(lines):
                lines.append(_("… et %(n)s autre(s)") % {"n": counts[service.pk] - len(lines)})
            try:
                with transaction.atomic():
                    OverdueDigest.objects.create(organisation=organisation, service=service, day=today,
                                                 count=counts[service.pk], recipients=len(managers))
                    for manager in managers:
                        notify(manager, "requests.overdue_digest", {
                            "service": service.name, "nombre": counts[service.pk], "liste": "\n".join(lines),
                        }, link=overdue_link(service))
            except IntegrityError:  # another run of the same day got there first
                continue
            sent += len(managers)
    return sent
