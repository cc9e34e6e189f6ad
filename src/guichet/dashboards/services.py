"""Read-only dashboards of the requests of a remit, for elected members and org administrators.

Only aggregates leave this module: counts, averages, procedure titles, service names, district names and
channels — never a name, e-mail address, phone number, street address, tracking code or free text of a request
or of a comment. Every figure comes from a GROUP BY / aggregate query, so the number of queries does not depend
on the number of requests.

Who sees what: an org administrator every request of the collectivité (also those without a service); an
elected member (Membership role `elected`) the requests of the services of their remit; anybody else nothing
(`remit_of` returns None: 403).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.agents.models import Membership, Service
from guichet.agents.permissions import is_org_admin, is_verified_agent
from guichet.satisfaction import services as satisfaction
from guichet.service_requests.models import ServiceRequest

DEFAULT_MONTHS = 12
MAX_PERIOD_DAYS = 5 * 366


@dataclass
class Remit:
    services: list  # the Services the user may choose from
    everything: bool  # org administrator: every request, with or without a service


def remit_of(user, organisation):
    """The remit of `user` in `organisation`, or None when they may not see dashboards."""
    if not is_verified_agent(user) or user.organisation_id != getattr(organisation, "pk", None):
        return None
    services = Service.objects.of(organisation).order_by("name")
    if is_org_admin(user):
        return Remit(services=list(services), everything=True)
    elected = list(services.filter(
        pk__in=Membership.objects.of(organisation).filter(user=user, role=Membership.Role.ELECTED).values("service_id")
    ))
    if not elected:
        return None
    return Remit(services=elected, everything=False)


def may_see_dashboards(user):
    """Cheap check for links: org administrators, and agents with an elected membership (one query)."""
    if not is_verified_agent(user):
        return False
    if user.is_org_admin:
        return True
    return Membership.objects.filter(user=user, role=Membership.Role.ELECTED,
                                     organisation_id=user.organisation_id).exists()


def add_months(day, months):
    index = day.month - 1 + months
    return day.replace(year=day.year + index // 12, month=index % 12 + 1, day=1)


def default_period(today=None):
    """(first day of the month eleven months ago, today): the last twelve months, this one included."""
    today = today or timezone.localdate()
    return add_months(today.replace(day=1), 1 - DEFAULT_MONTHS), today


def _aware(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


OPEN = Q(closed_at__isnull=True, withdrawn_at__isnull=True, merged_into__isnull=True)
CLOSED = Q(closed_at__isnull=False, withdrawn_at__isnull=True, merged_into__isnull=True)
DURATION = ExpressionWrapper(F("closed_at") - F("submitted_at"), output_field=DurationField())


def _days(duration):
    if duration is None:
        return None
    if not isinstance(duration, datetime.timedelta):  # some backends give microseconds
        duration = datetime.timedelta(microseconds=float(duration))
    return duration.total_seconds() / 86400


def _counts(today):
    overdue = OPEN & Q(deadline__lt=today)
    return {
        "received": Count("pk"),
        "open": Count("pk", filter=OPEN),
        "overdue": Count("pk", filter=overdue),
        "closed": Count("pk", filter=CLOSED),
        "duration": Avg(DURATION, filter=CLOSED),
    }


@dataclass
class Dashboard:
    start: datetime.date
    end: datetime.date
    service: object  # the Service chosen, or None (the whole remit)
    now: dict  # open, overdue, due_soon, received_this_month (whatever the period)
    totals: dict  # received, open, overdue, closed, withdrawn, average_days (requests received in the period)
    months: list  # [{"month": date, "received", "closed"}] every month of the period
    procedures: list  # [{"label", "received", "open", "overdue", "closed", "average_days", "ratings", "rating"}]
    districts: list  # [{"label", "received", "open", "overdue", "closed", "average_days"}]
    channels: list  # [{"label", "received", "closed"}]
    satisfaction: object  # satisfaction.services.RatingSummary of the ratings of the requests received then
    rating_services: list = field(default_factory=list)  # [{"label", "count", "average"}]


def requests_in(organisation, remit, service=None):
    """The submitted requests of the remit (or of one of its services)."""
    requests = ServiceRequest.objects.of(organisation).filter(state=ServiceRequest.State.SUBMITTED)
    if service is not None:
        return requests.filter(service=service)
    if remit.everything:
        return requests
    return requests.filter(service__in=[item.pk for item in remit.services])


def _rows(queryset, keys, today, label):
    """Figures of `queryset` grouped by `keys` (the first one is the row's key) → [{"key", "label", ...}]."""
    rows = queryset.order_by().values(*keys).annotate(**_counts(today))
    return [{
        "key": row[keys[0]], "label": label(row), "received": row["received"], "open": row["open"],
        "overdue": row["overdue"], "closed": row["closed"], "average_days": _days(row["duration"]),
    } for row in rows]


def build(organisation, remit, *, start, end, service=None, today=None):
    """Every figure of the dashboard over the requests received from `start` to `end` (dates, included)."""
    today = today or timezone.localdate()
    requests = requests_in(organisation, remit, service)
    period = requests.filter(submitted_at__gte=_aware(start), submitted_at__lt=_aware(end + datetime.timedelta(days=1)))

    soon = today + datetime.timedelta(days=7)
    now = requests.aggregate(
        open=Count("pk", filter=OPEN), overdue=Count("pk", filter=OPEN & Q(deadline__lt=today)),
        due_soon=Count("pk", filter=OPEN & Q(deadline__gte=today, deadline__lte=soon)),
        received_this_month=Count("pk", filter=Q(submitted_at__gte=_aware(today.replace(day=1)))),
    )
    totals = period.aggregate(**_counts(today), withdrawn=Count("pk", filter=Q(withdrawn_at__isnull=False)))
    totals["average_days"] = _days(totals.pop("duration"))

    by_month = {
        timezone.localtime(row["month"]).date() if isinstance(row["month"], datetime.datetime) else row["month"]: row
        for row in period.annotate(month=TruncMonth("submitted_at")).order_by().values("month").annotate(
            received=Count("pk"), closed=Count("pk", filter=CLOSED))
    }
    months, month = [], start.replace(day=1)
    while month <= end:
        row = by_month.get(month, {})
        months.append({"month": month, "received": row.get("received", 0), "closed": row.get("closed", 0)})
        month = add_months(month, 1)

    procedures = _rows(period, ["procedure_id", "procedure__title"], today,
                       label=lambda row: row["procedure__title"] or "")
    ratings = satisfaction.ratings_of(
        organisation, services=None if (service is None and remit.everything) else
        ([service] if service is not None else remit.services), start=_aware(start),
        end=_aware(end + datetime.timedelta(days=1)), by="received",
    )
    rated = {row["key"]: row for row in satisfaction.ratings_by(ratings, "procedure")}
    for row in procedures:
        rating = rated.pop(row["key"], None)
        row["ratings"], row["rating"] = (rating["count"], rating["average"]) if rating else (0, None)
    procedures.sort(key=lambda row: (-row["received"], row["label"].lower()))

    districts = _rows(period, ["district"], today, label=lambda row: row["district"] or _("Non précisé"))
    districts.sort(key=lambda row: (row["key"] == "", -row["received"], row["label"].lower()))
    channel_labels = dict(ServiceRequest.Channel.choices)
    channels = [
        {"label": str(channel_labels.get(row["channel"], row["channel"])), "received": row["received"],
         "closed": row["closed"]}
        for row in period.order_by().values("channel").annotate(received=Count("pk"), closed=Count("pk", filter=CLOSED))
    ]
    channels.sort(key=lambda row: (-row["received"], row["label"].lower()))
    return Dashboard(
        start=start, end=end, service=service, now=now, totals=totals, months=months, procedures=procedures,
        districts=districts, channels=channels, satisfaction=satisfaction.rating_summary(ratings),
        rating_services=satisfaction.ratings_by(ratings, "service") if service is None else [],
    )
