"""What each row of the queue shows, prepared in Python once per page: the template only prints it (fifty rows
of template lookups, date filters and `get_…_display` calls cost more than the page's queries)."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _

from guichet.service_requests.models import ServiceRequest

from . import services


@dataclass
class Row:
    pk: int
    code: str
    url: str
    title: str
    service: str
    requester: str
    channel: str
    status: str
    waiting: bool
    closed: bool
    withdrawn: bool
    priority: int
    priority_label: str
    deadline: str
    deadline_iso: str
    deadline_state: str
    deadline_label: str
    assignee: str
    district: str
    address: str
    submitted: str
    submitted_iso: str
    updated: str
    updated_iso: str
    ticked: bool


def _formatters():
    months = [str(MONTHS[number]) for number in range(1, 13)]

    def day(value):
        return f"{value.day} {months[value.month - 1]} {value.year}" if value else ""

    def moment(value):
        if value is None:
            return "", ""
        local = timezone.localtime(value)
        return f"{day(local)} {local:%H:%M}", local.isoformat()

    return day, moment


def queue_rows(requests, ticked=(), today=None):
    """[Row] of the page's requests (with `version`, `service`, `citizen`, `assigned_to` loaded)."""
    from .templatetags.queues_tags import DEADLINE_LABELS

    today = today or timezone.localdate()
    day, moment = _formatters()
    prefix = reverse("agent_requests:list")
    channels = {value: str(label) for value, label in ServiceRequest.Channel.choices}
    priorities = {value: str(label) for value, label in ServiceRequest.Priority.choices}
    nobody, no_account = _("Personne"), _("Sans compte")
    ticked = {str(value) for value in ticked}
    rows = []
    for item in requests:
        citizen, assignee = item.citizen, item.assigned_to
        state = services.deadline_state(item, today)
        submitted, submitted_iso = moment(item.submitted_at)
        updated, updated_iso = moment(item.updated_at)
        rows.append(Row(
            pk=item.pk, code=item.tracking_code, url=f"{prefix}{item.tracking_code}/", title=item.version.title,
            service=item.service.name if item.service else "",
            requester=(citizen.get_full_name() or citizen.email) if citizen else (item.contact_name or no_account),
            channel=channels.get(item.channel, item.channel), status=item.status_label() or "",
            waiting=item.waiting_for_citizen, closed=item.closed_at is not None,
            withdrawn=item.withdrawn_at is not None, priority=item.priority,
            priority_label=priorities.get(item.priority, str(item.priority)),
            deadline=day(item.deadline), deadline_iso=item.deadline.isoformat() if item.deadline else "",
            deadline_state=state, deadline_label=str(DEADLINE_LABELS.get(state, "")),
            assignee=str(assignee) if assignee else nobody, district=item.district, address=item.address,
            submitted=submitted, submitted_iso=submitted_iso, updated=updated, updated_iso=updated_iso,
            ticked=str(item.pk) in ticked,
        ))
    return rows

