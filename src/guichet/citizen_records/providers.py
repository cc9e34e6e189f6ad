"""The citizen_records provider of the one history (see history.py): the citizen's requests — submitted (by
their channel), drafts started (online or by an agent), drafts taken over by an agent — and the notifications
sent to them. Four queries whatever the number of items (requests, take-over events, notifications, deliveries).
"""

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from guichet.accounts.models import is_placeholder_email
from guichet.notifications.models import Delivery, Notification
from guichet.service_requests.models import RequestEvent, ServiceRequest

from .history import HistoryItem

MAX_ITEMS = 200  # per kind: the record shows the most recent contacts


def _name(user):
    return (user.get_full_name() or user.email) if user is not None else ""


def _channel_label(value):
    labels = dict(ServiceRequest.Channel.choices)
    return str(labels.get(value, value))


def request_items(organisation, citizen):
    requests = list(
        ServiceRequest.objects.of(organisation).filter(citizen=citizen, anonymised_at__isnull=True)
        .select_related("version", "entered_by").defer("data", "version__form").order_by("-created_at")[:MAX_ITEMS]
    )
    items = []
    for item in requests:
        agent = _name(item.entered_by)
        channel = _channel_label(item.channel)
        if item.is_draft:
            items.append(HistoryItem(
                at=item.created_at, channel=item.channel, kind="draft",
                label=_("Brouillon commencé : %(title)s") % {"title": item.version.title},
                detail=(_("Saisi par %(agent)s (%(channel)s)") % {"agent": agent, "channel": channel} if agent
                        else _("Commencé en ligne par l'usager")),
                url="", agent=agent, extra={"request": item},
            ))
            continue
        status = item.status_label() or _("Envoyée")
        if item.is_withdrawn:
            status = _("Retirée par l'usager")
        elif item.is_closed:
            status = _("Close — %(status)s") % {"status": status}
        items.append(HistoryItem(
            at=item.submitted_at or item.created_at, channel=item.channel, kind="request",
            label=_("Demande envoyée (%(channel)s) : %(title)s") % {"channel": channel, "title": item.version.title},
            detail=f"{item.tracking_code} — {status}",
            url=reverse("agent_requests:detail", args=[item.tracking_code]), agent=agent, extra={"request": item},
        ))
    return items


def takeover_items(organisation, citizen):
    events = (
        RequestEvent.objects.of(organisation)
        .filter(kind=RequestEvent.Kind.TAKEN_OVER, request__citizen=citizen, request__anonymised_at__isnull=True)
        .select_related("actor", "request__version").defer("request__data", "request__version__form")
        .order_by("-at")[:MAX_ITEMS]
    )
    return [
        HistoryItem(
            at=event.at, channel=(event.data or {}).get("channel", ""), kind="draft",
            label=_("Brouillon repris par un agent : %(title)s") % {"title": event.request.version.title},
            detail=_("Pour le finir avec l'usager (%(channel)s)") % {
                "channel": _channel_label((event.data or {}).get("channel", ""))},
            agent=_name(event.actor),
        )
        for event in events
    ]


def _delivery_detail(delivery):
    address = "" if is_placeholder_email(delivery.address) else delivery.address
    if delivery.channel == "letter":
        address = ""  # the postal address is on the record
    parts = [delivery.get_channel_display(), delivery.get_status_display()]
    if address:
        parts.append(address)
    return " — ".join(str(part) for part in parts)


def notification_items(organisation, citizen):
    notifications = (
        Notification.objects.of(organisation).filter(recipient=citizen)
        .only("pk", "subject", "created_at", "key", "organisation_id", "recipient_id")
        .prefetch_related(Prefetch("deliveries", queryset=Delivery.objects.order_by("queued_at", "pk").only(
            "pk", "notification_id", "channel", "status", "address")))
        .order_by("-created_at", "-pk")[:MAX_ITEMS]
    )
    items = []
    for notification in notifications:
        deliveries = list(notification.deliveries.all())
        items.append(HistoryItem(
            at=notification.created_at, channel=deliveries[-1].channel if deliveries else "web",
            kind="notification", label=_("Notification envoyée : %(subject)s") % {"subject": notification.subject},
            detail="; ".join(_delivery_detail(d) for d in deliveries) or _("Dans son espace en ligne seulement"),
        ))
    return items


def history_items(organisation, citizen):
    return request_items(organisation, citizen) + takeover_items(organisation, citizen) + notification_items(
        organisation, citizen)
