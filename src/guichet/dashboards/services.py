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

from django.conf import settings
from django.core.cache import cache
from django.db.models import BooleanField, Case, Count, DurationField, ExpressionWrapper, F, Q, Sum, Value, When
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guichet.agents.models import Membership, Service
from guichet.agents.permissions import is_org_admin, is_verified_agent
from guichet.procedures.models import Procedure
from guichet.satisfaction import services as satisfaction
from guichet.service_requests.models import ServiceRequest

DEFAULT_MONTHS = 12
DEFAULT_CACHE_SECONDS = 300
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


def _days(duration, count=1):
    """`duration` (a total over `count` requests) as an average number of days, or None."""
    if duration is None or not count:
        return None
    if not isinstance(duration, datetime.timedelta):  # some backends give microseconds
        duration = datetime.timedelta(microseconds=float(duration))
    return duration.total_seconds() / 86400 / count


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
    computed_at: object = None  # when the figures were computed (they may be served from the cache since)


def requests_in(organisation, remit, service=None):
    """The submitted requests of the remit (or of one of its services)."""
    requests = ServiceRequest.objects.of(organisation).filter(state=ServiceRequest.State.SUBMITTED)
    if service is not None:
        return requests.filter(service=service)
    if remit.everything:
        return requests
    return requests.filter(service__in=[item.pk for item in remit.services])


COUNTS = ("received", "open", "overdue", "closed", "withdrawn", "due_soon", "this_month")


class _Sum(dict):
    """Running totals of one row of a table (received, open, overdue, closed, withdrawn, total duration…)."""

    def add(self, row):
        for name in COUNTS:
            self[name] = self.get(name, 0) + row[name]
        duration = row["duration"]
        if duration is not None:
            self["duration"] = duration if self.get("duration") is None else self["duration"] + duration
        return self

    def figures(self, label, key=None):
        return {
            "key": key, "label": label, "received": self.get("received", 0), "open": self.get("open", 0),
            "overdue": self.get("overdue", 0), "closed": self.get("closed", 0),
            "average_days": _days(self.get("duration"), self.get("closed", 0)),
        }


def _grouped(requests, *, start, end, today):
    """ONE scan of the remit's requests — those received in the period, the open ones and those received this
    month — grouped by (in the period, procedure, district, channel, month) with their figures. Every table of
    the dashboard is a roll-up of these rows (a few thousand at most: procedures × districts × channels ×
    months), so the database reads the requests once whatever the number of tables."""
    in_period = Q(submitted_at__gte=_aware(start), submitted_at__lt=_aware(end + datetime.timedelta(days=1)))
    this_month = Q(submitted_at__gte=_aware(today.replace(day=1)))
    overdue = OPEN & Q(deadline__lt=today)
    due_soon = OPEN & Q(deadline__gte=today, deadline__lte=today + datetime.timedelta(days=7))
    return (
        requests.filter(in_period | OPEN | this_month)
        .annotate(
            in_period=Case(When(in_period, then=Value(True)), default=Value(False), output_field=BooleanField()),
            year=ExtractYear("submitted_at"), month=ExtractMonth("submitted_at"),  # local time, plain integers
        )
        .order_by()
        .values("in_period", "procedure_id", "district", "channel", "year", "month")
        .annotate(
            received=Count("pk"), open=Count("pk", filter=OPEN), overdue=Count("pk", filter=overdue),
            closed=Count("pk", filter=CLOSED), withdrawn=Count("pk", filter=Q(withdrawn_at__isnull=False)),
            duration=Sum(DURATION, filter=CLOSED), due_soon=Count("pk", filter=due_soon),
            this_month=Count("pk", filter=this_month),
        )
    )


def build(organisation, remit, *, start, end, service=None, today=None):
    """Every figure of the dashboard over the requests received from `start` to `end` (dates, included)."""
    today = today or timezone.localdate()
    requests = requests_in(organisation, remit, service)
    now, totals = _Sum(), _Sum()
    months, procedures, districts, channels = {}, {}, {}, {}
    for row in _grouped(requests, start=start, end=end, today=today):
        now.add(row)
        if not row["in_period"]:
            continue
        totals.add(row)
        months.setdefault((row["year"], row["month"]), _Sum()).add(row)
        procedures.setdefault(row["procedure_id"], _Sum()).add(row)
        districts.setdefault(row["district"] or "", _Sum()).add(row)
        channels.setdefault(row["channel"], _Sum()).add(row)

    month_rows, month = [], start.replace(day=1)
    while month <= end:
        figures = months.get((month.year, month.month), _Sum())
        month_rows.append({"month": month, "received": figures.get("received", 0),
                           "closed": figures.get("closed", 0)})
        month = add_months(month, 1)

    titles = dict(Procedure.objects.of(organisation).filter(pk__in=list(procedures)).values_list("pk", "title"))
    ratings = satisfaction.ratings_of(
        organisation, services=None if (service is None and remit.everything) else
        ([service] if service is not None else remit.services), start=_aware(start),
        end=_aware(end + datetime.timedelta(days=1)), by="received",
    )
    rated = {row["key"]: row for row in satisfaction.ratings_by(ratings, "procedure")}
    procedure_rows = []
    for key, figures in procedures.items():
        row = figures.figures(titles.get(key, ""), key)
        rating = rated.get(key)
        row["ratings"], row["rating"] = (rating["count"], rating["average"]) if rating else (0, None)
        procedure_rows.append(row)
    procedure_rows.sort(key=lambda row: (-row["received"], row["label"].lower()))

    district_rows = [figures.figures(key or _("Non précisé"), key) for key, figures in districts.items()]
    district_rows.sort(key=lambda row: (row["key"] == "", -row["received"], row["label"].lower()))
    channel_labels = dict(ServiceRequest.Channel.choices)
    channel_rows = [
        {"label": str(channel_labels.get(key, key)), "received": figures["received"], "closed": figures["closed"]}
        for key, figures in channels.items()
    ]
    channel_rows.sort(key=lambda row: (-row["received"], row["label"].lower()))
    total = totals.figures("")
    return Dashboard(
        start=start, end=end, service=service,
        now={"open": now.get("open", 0), "overdue": now.get("overdue", 0), "due_soon": now.get("due_soon", 0),
             "received_this_month": now.get("this_month", 0)},
        totals={**{name: total[name] for name in ("received", "open", "overdue", "closed", "average_days")},
                "withdrawn": totals.get("withdrawn", 0)},
        months=month_rows, procedures=procedure_rows, districts=district_rows, channels=channel_rows,
        satisfaction=satisfaction.rating_summary(ratings),
        rating_services=satisfaction.ratings_by(ratings, "service") if service is None else [],
        computed_at=timezone.now(),
    )


def cache_seconds():
    """How long a dashboard's figures are kept (setting GUICHET_DASHBOARD_CACHE_SECONDS, 300; 0: not kept)."""
    return int(getattr(settings, "GUICHET_DASHBOARD_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


def cached_build(organisation, remit, *, start, end, service=None, today=None):
    """`build`, kept a few minutes in the cache: dashboards need not be live to the second, and at the scale of a
    large city (some 200,000 requests) computing them reads every request of the period once."""
    today = today or timezone.localdate()
    seconds = cache_seconds()
    if seconds <= 0:
        return build(organisation, remit, start=start, end=end, service=service, today=today)
    scope = "all" if remit.everything else "-".join(str(item.pk) for item in sorted(remit.services, key=lambda s: s.pk))
    key = ":".join(str(part) for part in (
        "dashboards", organisation.pk, scope, service.pk if service else "", start, end, today,
        translation.get_language(),
    ))
    board = cache.get(key)
    if board is None:
        board = build(organisation, remit, start=start, end=end, service=service, today=today)
        cache.set(key, board, seconds)
    return board
