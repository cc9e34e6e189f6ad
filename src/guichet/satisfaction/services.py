"""Business rules of the citizens' ratings and reopening requests, and the aggregates of satisfaction.

Rating. Once a request is closed (`closed_at` set; not withdrawn, not merged into another request, not
anonymised) its citizen — or, for a request made without an account, the browser session that may follow it —
rates the answer from 1 to 5 with an optional comment. One rating per closing: a request reopened and closed
again may be rated again.

Reopening. Within two months of the closing, the citizen may ask the service to reopen the request, with a
reason. This does not depend on the rating (nor on having rated at all): asking to reopen is itself the sign of
dissatisfaction, the reason is mandatory and the service decides, whereas reserving it to low scores would push
a citizen to lower a score (skewing the statistics) just to be heard — e.g. someone satisfied with how they were
answered but whose problem came back. One reopening request per closing. The service's agents are told; an
agent or manager of the request's service (or an org administrator) accepts it — the request goes back to a
non-final status of its workflow (`workflows.engine.enter_status`) and `answered_at` is cleared, since the new
final status needs a new written answer — or refuses it with a written reason. The citizen is told either way
(message kind `request.reopen_decision`, variable `reouverte`).

Every change locks the request row; a double POST finds the work done and is refused with a clear message.
"""

import calendar
import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import add_event

from .models import MAX_COMMENT_LENGTH, MAX_REASON_LENGTH, SCORES, Rating, ReopenRequest

REOPEN_WINDOW_MONTHS = 2
DECISION_MESSAGE = "request.reopen_decision"
SERVICE_MESSAGE = "request.citizen_message"


class SatisfactionRefused(Exception):
    """The rating, reopening request or decision is refused; `message` is French and meant for the user,
    `field` the form field it concerns (None: the whole form). `done` when it was already done (double POST)."""

    def __init__(self, message, field=None, *, done=False):
        super().__init__(message)
        self.message = message
        self.field = field
        self.done = done


# ---------------------------------------------------------------------------------------------------------------
# What may be done on a request


def closing_of(service_request):
    """The closing (`closed_at`) the citizen may rate or contest, or None when the request is not closed for good
    (open, withdrawn, merged into another request, anonymised, draft)."""
    if (
        not service_request.is_submitted
        or service_request.closed_at is None
        or service_request.withdrawn_at is not None
        or service_request.merged_into_id is not None
        or service_request.anonymised_at is not None
    ):
        return None
    return service_request.closed_at


def add_months(moment, months):
    """`moment` plus `months` calendar months (the 31st gives the last day of a shorter month)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def reopen_deadline(closed_at):
    """Until when the citizen may ask to reopen a request closed at `closed_at` (local time, two months)."""
    return add_months(timezone.localtime(closed_at), REOPEN_WINDOW_MONTHS)


@dataclass
class CitizenSatisfaction:
    """What the citizen's page shows and offers about the current closing of a request."""

    closing: object  # datetime or None
    rating: object  # Rating of this closing or None
    reopen: object  # ReopenRequest of this closing or None
    reopen_until: object  # datetime or None
    may_rate: bool
    may_reopen: bool


def citizen_satisfaction(service_request, organisation, now=None):
    """The state of rating and reopening of the request (of `organisation`) for its citizen (two queries)."""
    now = now or timezone.now()
    closing = closing_of(service_request)
    ratings = list(Rating.objects.of(organisation).filter(request=service_request))
    reopens = list(ReopenRequest.objects.of(organisation).filter(request=service_request))
    rating = next((item for item in ratings if closing and item.closed_at == closing), None)
    reopen = next((item for item in reopens if closing and item.closed_at == closing), None)
    until = reopen_deadline(closing) if closing else None
    return CitizenSatisfaction(
        closing=closing, rating=rating, reopen=reopen, reopen_until=until,
        may_rate=closing is not None and rating is None,
        may_reopen=closing is not None and reopen is None and now <= until,
    )


def _lock(service_request):
    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("version", "organisation", "service", "citizen")
        .get(pk=service_request.pk)
    )


def _check_author(service_request, author):
    """Only the request's citizen; for a request made without an account, nobody signed in (the caller checked
    the browser session's access)."""
    if service_request.citizen_id:
        if author is None or author.pk != service_request.citizen_id:
            raise PermissionDenied
    elif author is not None:
        raise PermissionDenied


def _not_closed():
    return SatisfactionRefused(_(
        "Cette demande n'est pas close : vous pourrez donner votre avis ou demander sa réouverture une fois "
        "qu'elle aura été traitée."
    ))


# ---------------------------------------------------------------------------------------------------------------
# Rating


def clean_score(value):
    """1 to 5 from the form's value, else SatisfactionRefused on the field `score`."""
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        score = None
    if score not in dict(SCORES):
        raise SatisfactionRefused(_("Choisissez une note de 1 (très insatisfait) à 5 (très satisfait)."), "score")
    return score


def clean_text(value, max_length, *, required, field, empty_message=""):
    text = (value or "").strip()
    if required and not text:
        raise SatisfactionRefused(empty_message, field)
    if len(text) > max_length:
        raise SatisfactionRefused(
            _("Ce texte est trop long : %(max)s caractères au plus (il en compte %(n)s).") % {
                "max": max_length, "n": len(text)}, field,
        )
    return text


def score_label(score):
    return str(dict(SCORES).get(score, ""))


def rate(service_request, author, score, comment=""):
    """The citizen (`author`; None for a request without account) rates the answer of the current closing →
    the Rating. Raises SatisfactionRefused (French message), PermissionDenied for anyone but its citizen."""
    _check_author(service_request, author)
    score = clean_score(score)
    comment = clean_text(comment, MAX_COMMENT_LENGTH, required=False, field="comment")
    with transaction.atomic():
        locked = _lock(service_request)
        closing = closing_of(locked)
        if closing is None:
            raise _not_closed()
        if Rating.objects.filter(request=locked, closed_at=closing).exists():
            raise SatisfactionRefused(_("Vous avez déjà donné votre avis sur cette réponse : merci."), done=True)
        rating = Rating.objects.create(
            organisation_id=locked.organisation_id, request=locked, closed_at=closing, score=score,
            comment=comment, author=author,
        )
        text = _("Note : %(score)s sur 5 (%(label)s).") % {"score": score, "label": score_label(score)}
        if comment:
            text = f"{text}\n{comment}"
        add_event(locked, RequestEvent.Kind.RATED, actor=author, visible_to_citizen=True, text=text,
                  data={"rating": rating.pk, "score": score})
    return rating


# ---------------------------------------------------------------------------------------------------------------
# Reopening


def ask_reopen(service_request, author, reason, now=None):
    """The citizen asks the service to reopen the request (within two months of its closing) → ReopenRequest.
    The service's agents are told. Raises SatisfactionRefused, PermissionDenied for anyone but its citizen."""
    _check_author(service_request, author)
    reason = clean_text(reason, MAX_REASON_LENGTH, required=True, field="reason",
                        empty_message=_("Expliquez pourquoi la réponse ne vous convient pas."))
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(service_request)
        closing = closing_of(locked)
        if closing is None:
            raise _not_closed()
        if ReopenRequest.objects.filter(request=locked, closed_at=closing).exists():
            raise SatisfactionRefused(_("Vous avez déjà demandé la réouverture de cette demande."), done=True)
        until = reopen_deadline(closing)
        if now > until:
            raise SatisfactionRefused(_(
                "La réouverture pouvait être demandée jusqu'au %(date)s (deux mois après la clôture). Faites une "
                "nouvelle demande ou contactez la mairie."
            ) % {"date": _french_date(until)})
        reopen = ReopenRequest.objects.create(
            organisation_id=locked.organisation_id, request=locked, closed_at=closing, reason=reason,
            requested_by=author,
        )
        add_event(locked, RequestEvent.Kind.REOPEN_REQUESTED, actor=author, visible_to_citizen=True, text=reason,
                  data={"reopen_request": reopen.pk})
        from guichet.service_requests.messaging import tell_service

        tell_service(locked, SERVICE_MESSAGE, _("Demande de réouverture : %(reason)s") % {"reason": reason}, author)
    return reopen


def _french_date(moment):
    from guichet.letters.pdf import french_date

    return french_date(timezone.localdate(moment) if isinstance(moment, datetime.datetime) else moment)


def reopen_targets(service_request):
    """[(status id, label)] of the non-final statuses of the request's workflow (where a reopened request goes)."""
    targets = []
    for status in (service_request.version.workflow or {}).get("statuses", []):
        if isinstance(status, dict) and isinstance(status.get("id"), str) and not status.get("final"):
            targets.append((status["id"], str(status.get("label") or status["id"])))
    return targets


def may_decide(service_request, agent):
    """Agents and managers of the request's service, and org administrators (not elected members)."""
    from guichet.workflows.engine import roles_of

    return bool(roles_of(service_request, agent))


def _lock_decision(service_request, reopen_request, agent):
    if not may_decide(service_request, agent):
        raise PermissionDenied
    locked = _lock(service_request)
    reopen = ReopenRequest.objects.select_for_update().filter(pk=reopen_request.pk, request=locked).first()
    if reopen is None:
        raise PermissionDenied
    if not reopen.is_pending:
        raise SatisfactionRefused(_("Cette demande de réouverture a déjà été traitée : %(state)s.") % {
            "state": reopen.get_state_display()}, done=True)
    return locked, reopen


def _tell_decision(service_request, accepted, text, actor):
    """Send `request.reopen_decision` (with `reouverte`) to the citizen's preferred channel, or to the contact
    e-mail address of a request made without an account; traced in the timeline like the workflow's messages."""
    from guichet.workflows.actions import request_context, run_notify
    from guichet.workflows.engine import RunContext

    run_notify(RunContext(request=service_request, actor=actor), {"message": DECISION_MESSAGE, "to": "citizen"},
               text=text, context={**request_context(service_request, text), "reouverte": accepted})


def accept_reopen(reopen_request, agent, status_id, note=""):
    """The service reopens the request: it goes back to `status_id` (a non-final status of its workflow, whose
    on-enter actions run) and needs a new written answer before its next final status → the ReopenRequest."""
    from guichet.workflows.engine import enter_status

    note = clean_text(note, MAX_REASON_LENGTH, required=False, field="note")
    service_request = reopen_request.request
    with transaction.atomic():
        locked, reopen = _lock_decision(service_request, reopen_request, agent)
        if closing_of(locked) != reopen.closed_at:
            raise SatisfactionRefused(_(
                "La demande a changé depuis cette demande de réouverture (elle n'est plus close) : refusez-la en "
                "l'expliquant à l'usager."
            ))
        targets = dict(reopen_targets(locked))
        if status_id not in targets:
            raise SatisfactionRefused(_("Choisissez le statut où reprend le traitement de la demande."), "status")
        add_event(locked, RequestEvent.Kind.REOPENED, actor=agent, visible_to_citizen=True, text=note,
                  data={"reopen_request": reopen.pk, "status": status_id})
        enter_status(locked, status_id, agent, reason=_("Réouverture acceptée"))
        ServiceRequest.objects.filter(pk=locked.pk).update(answered_at=None)
        locked.answered_at = None
        reopen.state = ReopenRequest.State.ACCEPTED
        reopen.decided_by, reopen.decided_at = agent, timezone.now()
        reopen.decision_text, reopen.status_to = note, status_id
        reopen.save(update_fields=["state", "decided_by", "decided_at", "decision_text", "status_to"])
        _tell_decision(locked, True, note, agent)
    _copy(reopen, reopen_request)
    return reopen_request


def refuse_reopen(reopen_request, agent, reason):
    """The service keeps the request closed and explains why to the citizen → the ReopenRequest."""
    reason = clean_text(reason, MAX_REASON_LENGTH, required=True, field="reason",
                        empty_message=_("Expliquez à l'usager pourquoi la demande n'est pas rouverte."))
    service_request = reopen_request.request
    with transaction.atomic():
        locked, reopen = _lock_decision(service_request, reopen_request, agent)
        add_event(locked, RequestEvent.Kind.REOPEN_REFUSED, actor=agent, visible_to_citizen=True, text=reason,
                  data={"reopen_request": reopen.pk})
        reopen.state = ReopenRequest.State.REFUSED
        reopen.decided_by, reopen.decided_at, reopen.decision_text = agent, timezone.now(), reason
        reopen.save(update_fields=["state", "decided_by", "decided_at", "decision_text"])
        _tell_decision(locked, False, reason, agent)
    _copy(reopen, reopen_request)
    return reopen_request


def _copy(source, target):
    if source is not target:
        for name in ("state", "decided_by_id", "decided_at", "decision_text", "status_to"):
            setattr(target, name, getattr(source, name))


# ---------------------------------------------------------------------------------------------------------------
# Aggregates for statistics and dashboards (GROUP BY queries only, no personal data)


def ratings_of(organisation, *, services=None, start=None, end=None, by="rated"):
    """The ratings of the collectivité's requests over [start, end) (aware datetimes) — the ratings given then
    (`by="rated"`) or those of the requests received then (`by="received"`) — of the requests of `services` (a
    queryset or list of services; None: every request, with or without a service)."""
    moment = {"rated": "created_at", "received": "request__submitted_at"}[by]
    ratings = Rating.objects.of(organisation)
    if services is not None:
        ratings = ratings.filter(request__service__in=services)
    if start is not None:
        ratings = ratings.filter(**{f"{moment}__gte": start})
    if end is not None:
        ratings = ratings.filter(**{f"{moment}__lt": end})
    return ratings


@dataclass
class RatingSummary:
    count: int
    average: object  # float or None
    distribution: list  # [(score, label, count)] from 1 to 5


def rating_summary(ratings):
    """Count, average and distribution of `ratings` (one query)."""
    totals = ratings.aggregate(
        count=Count("pk"), average=Avg("score"),
        **{f"score_{score}": Count("pk", filter=Q(score=score)) for score, _label in SCORES},
    )
    return RatingSummary(
        count=totals["count"], average=totals["average"],
        distribution=[(score, str(label), totals[f"score_{score}"]) for score, label in SCORES],
    )


def ratings_by(ratings, group):
    """[{"key", "label", "count", "average"}] of `ratings` grouped by "procedure" or "service" (one query)."""
    fields = {
        "procedure": ("request__procedure_id", "request__procedure__title"),
        "service": ("request__service_id", "request__service__name"),
    }[group]
    rows = ratings.order_by().values(*fields).annotate(count=Count("pk"), average=Avg("score"))
    result = [{"key": row[fields[0]], "label": row[fields[1]] or "", "count": row["count"],
               "average": row["average"]} for row in rows]
    return sorted(result, key=lambda row: (row["label"].lower(), row["key"] or 0))
