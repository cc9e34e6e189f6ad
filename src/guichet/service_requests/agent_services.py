"""Agents' side of requests: which requests an agent sees, the « viewed » trace, internal notes, filters.

Org administrators see every request of their collectivité; other agents those of the services where they work
(roles agent and manager: an elected member's read-only role gives aggregate dashboards, never the requests and
their personal data). Requests of another collectivité never show (every query starts from
`ServiceRequest.objects.of(organisation)`).
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.agents.models import Membership
from guichet.agents.permissions import is_org_admin, services_of

from .models import RequestEvent, ServiceRequest
from .services import add_event

VIEW_TRACE_INTERVAL = datetime.timedelta(hours=1)
MAX_NOTE_LENGTH = 5000
# The roles that let a member of a service see and handle its requests (not `elected`: read-only dashboards).
REQUEST_ROLES = (Membership.Role.AGENT, Membership.Role.MANAGER)


def requests_for_agent(user, organisation):
    """The submitted requests the agent may see, newest first."""
    requests = ServiceRequest.objects.of(organisation).filter(state=ServiceRequest.State.SUBMITTED)
    if not is_org_admin(user):
        # The ids themselves (one small query) rather than a subquery: PostgreSQL then knows the few services and
        # walks the queue's indexes in deadline order instead of reading every request of the service.
        service_ids = list(services_of(user, roles=REQUEST_ROLES).values_list("pk", flat=True))
        requests = requests.filter(service_id__in=service_ids)
    return requests.order_by("-submitted_at", "-pk")


def record_view(service_request, agent, now=None):
    """Trace that the agent opened the request, at most once per agent per hour → the event or None."""
    now = now or timezone.now()
    seen_lately = RequestEvent.objects.filter(
        request=service_request, kind=RequestEvent.Kind.VIEWED, actor=agent, at__gt=now - VIEW_TRACE_INTERVAL
    ).exists()
    if seen_lately:
        return None
    return add_event(service_request, RequestEvent.Kind.VIEWED, actor=agent, visible_to_citizen=False, at=now)


def add_internal_note(service_request, agent, text):
    """An internal note (never shown to the citizen); ValueError with a French message when empty or too long."""
    text = (text or "").strip()
    if not text:
        raise ValueError(_("Écrivez le texte de la note."))
    if len(text) > MAX_NOTE_LENGTH:
        raise ValueError(_("La note est trop longue (%(max)s caractères au plus).") % {"max": MAX_NOTE_LENGTH})
    return add_event(service_request, RequestEvent.Kind.NOTE, actor=agent, visible_to_citizen=False, text=text)


def status_choices(versions_workflows):
    """[(status id, label)] gathered from workflow snapshots, each id once (first label wins), by label."""
    seen = {}
    for workflow in versions_workflows:
        statuses = workflow.get("statuses", []) if isinstance(workflow, dict) else []
        for status in statuses:
            if isinstance(status, dict) and isinstance(status.get("id"), str) and status["id"] not in seen:
                seen[status["id"]] = str(status.get("label") or status["id"])
    return sorted(seen.items(), key=lambda item: (item[1].lower(), item[0]))
