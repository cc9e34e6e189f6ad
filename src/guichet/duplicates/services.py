"""Likely duplicates of a request, merging and linking requests, and the recurring problems of a collectivité.

    likely_duplicates(service_request, limit=5, among=None)   # [Duplicate(request, reasons, distance)]
    merge(main, other, agent, message="")                       # `other` is closed, merged into `main`
    link(first, second, agent) / unlink(link, agent)            # RequestLink, both directions
    tell_merged_citizens(ctx, key, text)                        # called by workflows.actions.run_notify
    recurring_problems(requests, start, end, place, threshold)  # one aggregate query (a values() queryset)

Likely duplicates are the requests of the same collectivité and procedure, submitted in the last 30 days, still
open or closed in the last 30 days, not merged away, withdrawn or anonymised, that share the citizen's account,
the contact e-mail address or phone number, the address (normalised: case, accents, punctuation, usual
abbreviations: see addresses.py), or lie within 100 m of the request's point. One query, bounded by LIMIT, on the
(organisation, procedure, submitted_at) index; the points are pre-filtered by a latitude/longitude box in SQL and
their exact distance computed here.
"""

import datetime
import math
from dataclasses import dataclass
from functools import reduce
from operator import or_

import phonenumbers
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Case, Count, ExpressionWrapper, F, IntegerField, Max, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import add_event

from .addresses import AddressDigits, AddressKey, address_digits, normalise_address
from .models import RequestLink

WINDOW = datetime.timedelta(days=30)
RADIUS_METRES = 100
EARTH_RADIUS_METRES = 6_371_008.8
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_METRES / 180
MAX_MESSAGE_LENGTH = 2000
# Notifications to a main request's citizen that also reach the citizens of the requests merged into it: the
# progress of the shared matter (status notices, the written answer). Questions and conversation addressed to
# the main request's own citizen (information requested, free messages) are not forwarded.
FORWARDED_TO_MERGED = ("request.status_changed", "request.answer")

def distance_metres(lat1, lon1, lat2, lon2):
    """Great-circle distance (haversine) between two points in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi, half_dlambda = (phi2 - phi1) / 2, math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(a)))


def phone_variants(value):
    """The ways a French phone number is stored here: « 06 12 34 56 78 », 0612345678, +33612345678…"""
    text = str(getattr(value, "as_e164", "") or value or "").strip()
    if not text:
        return set()
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return {text}
    if not phonenumbers.is_valid_number(number):
        return {text}
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return {
        text, national, national.replace(" ", ""),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    }


def _e164(value):
    for variant in phone_variants(value):
        if variant.startswith("+") and " " not in variant:
            return variant
    return None


@dataclass(frozen=True)
class Probe:
    """What a request is compared on: its person (account, e-mail, phone) and its place."""

    citizen_id: int | None
    emails: tuple
    phones: tuple
    address: str
    latitude: float | None
    longitude: float | None

    @property
    def has_point(self):
        return self.latitude is not None and self.longitude is not None


def probe_of(service_request):
    """The Probe of a request; a draft being entered (at the counter) is read from its answers."""
    from guichet.service_requests.location import location_of

    address, latitude, longitude = service_request.address, service_request.latitude, service_request.longitude
    if service_request.is_draft:
        location = location_of(service_request.version.form, service_request.data or {})
        address = address or location.address
        if latitude is None or longitude is None:
            latitude, longitude = location.latitude, location.longitude
    citizen = service_request.citizen if service_request.citizen_id else None
    emails = {email.strip().lower() for email in (service_request.contact_email, citizen and citizen.email) if email}
    phones = set()
    for phone in (service_request.contact_phone, citizen and citizen.phone):
        phones |= phone_variants(phone)
    return Probe(
        citizen_id=service_request.citizen_id, emails=tuple(sorted(emails)), phones=tuple(sorted(phones)),
        address=(address or "").strip(), latitude=latitude, longitude=longitude,
    )


@dataclass
class Duplicate:
    request: ServiceRequest
    reasons: list
    distance: int | None
    score: int


def _conditions(probe):
    """{reason key: Q} of what the request shares with a candidate (only the keys the request can match)."""
    conditions = {}
    if probe.citizen_id:
        conditions["citizen"] = Q(citizen_id=probe.citizen_id)
    if probe.emails:
        conditions["email"] = reduce(or_, [Q(contact_email__iexact=e) | Q(citizen__email__iexact=e)
                                           for e in probe.emails])
    if probe.phones:
        phone = Q(contact_phone__in=list(probe.phones))
        e164s = sorted({number for number in map(_e164, probe.phones) if number})
        if e164s:
            phone |= Q(citizen__phone__in=e164s)
        conditions["phone"] = phone
    if probe.has_point:
        margin = RADIUS_METRES / METRES_PER_DEGREE * 1.01
        lon_margin = margin / max(math.cos(math.radians(probe.latitude)), 0.01)
        conditions["near"] = Q(
            latitude__gte=probe.latitude - margin, latitude__lte=probe.latitude + margin,
            longitude__gte=probe.longitude - lon_margin, longitude__lte=probe.longitude + lon_margin,
        )
    # Last: the only condition that computes something on each row (PostgreSQL stops at the first true branch),
    # the cheap digits before the key.
    key = normalise_address(probe.address)
    if key:
        conditions["address"] = Q(address_digits=Value(address_digits(key))) & Q(address_key=Value(key))
    return conditions


WEIGHTS = {"citizen": 5, "email": 4, "phone": 4, "address": 3, "near": 2}


def likely_duplicates(service_request, limit=5, *, among=None, now=None):
    """The requests most likely about the same matter as `service_request`, best first (see the module).

    `among`: a queryset of the requests to look in (e.g. `requests_for_agent(...)`: only those the agent may
    see); by default every request of the collectivité. One query; none when the request has nothing to compare.
    """
    probe = probe_of(service_request)
    conditions = _conditions(probe)
    if not conditions or limit <= 0:
        return []
    now = now or timezone.now()
    since = now - WINDOW
    candidates = (among if among is not None else ServiceRequest.objects.all()).filter(
        organisation_id=service_request.organisation_id, procedure_id=service_request.procedure_id,
        state=ServiceRequest.State.SUBMITTED, submitted_at__gte=since, merged_into__isnull=True,
        anonymised_at__isnull=True, withdrawn_at__isnull=True,
    ).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=since)).exclude(pk=service_request.pk)
    if "address" in conditions:
        candidates = candidates.alias(address_digits=AddressDigits(F("address")), address_key=AddressKey(F("address")))
    flags = {f"same_{name}": ExpressionWrapper(q, output_field=BooleanField()) for name, q in conditions.items()}
    score = reduce(lambda a, b: a + b, [
        Case(When(q, then=Value(WEIGHTS[name])), default=Value(0), output_field=IntegerField())
        for name, q in conditions.items()
    ])
    rows = (
        candidates.filter(reduce(or_, conditions.values()))
        .annotate(**flags, duplicate_score=score)
        .select_related("version", "citizen", "service")
        .order_by("-duplicate_score", "-submitted_at", "-pk")[: limit * 4]
    )
    found = []
    for candidate in rows:
        reasons, points, distance = [], 0, None
        if getattr(candidate, "same_citizen", False):
            reasons.append(_("même usager"))
            points += WEIGHTS["citizen"]
        else:
            if getattr(candidate, "same_email", False):
                reasons.append(_("même courriel"))
                points += WEIGHTS["email"]
            if getattr(candidate, "same_phone", False):
                reasons.append(_("même téléphone"))
                points += WEIGHTS["phone"]
        if getattr(candidate, "same_address", False):
            reasons.append(_("même adresse"))
            points += WEIGHTS["address"]
        if probe.has_point and candidate.latitude is not None and candidate.longitude is not None:
            metres = distance_metres(probe.latitude, probe.longitude, candidate.latitude, candidate.longitude)
            if metres <= RADIUS_METRES:
                distance = round(metres)
                points += WEIGHTS["near"]
                if not getattr(candidate, "same_address", False):
                    reasons.append(_("au même endroit") if distance < 1 else _("à %(n)s m") % {"n": distance})
        if reasons:
            found.append(Duplicate(request=candidate, reasons=reasons, distance=distance, score=points))
    found.sort(key=lambda d: (-d.score, d.request.closed_at is not None,
                              d.distance if d.distance is not None else RADIUS_METRES + 1,
                              -d.request.submitted_at.timestamp(), -d.request.pk))
    return found[:limit]


# ---------------------------------------------------------------------------------------------------------------
# Merging and linking


class DuplicateActionRefused(Exception):
    """A merge or a link that cannot be done; `message` is French and meant for the agent."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def may_act(service_request, user):
    """Whether `user` may change this request: agent or manager of its service, or administrator (an elected
    member, who only reads, may not)."""
    from guichet.workflows.engine import roles_of

    return bool(roles_of(service_request, user))


def _lock_pair(first, second):
    """Both requests locked, in id order (two merges crossing each other wait instead of deadlocking)."""
    locked = {
        row.pk: row for row in ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("version", "organisation", "citizen", "service")
        .filter(pk__in=[first.pk, second.pk]).order_by("pk")
    }
    if first.pk not in locked or second.pk not in locked:
        raise DuplicateActionRefused(_("Une des deux demandes n'existe plus."))
    return locked[first.pk], locked[second.pk]


SELF_REFUSALS = {
    "merge": lambda: _("Une demande ne peut pas être regroupée avec elle-même."),
    "link": lambda: _("Une demande ne peut pas être liée à elle-même."),
}


def _check_pair(first, second, agent, action):
    if first.pk == second.pk:
        raise DuplicateActionRefused(SELF_REFUSALS[action]())
    if first.organisation_id != second.organisation_id:
        raise DuplicateActionRefused(_("Ces deux demandes n'appartiennent pas à la même collectivité."))
    for service_request in (first, second):
        if not service_request.is_submitted:
            raise DuplicateActionRefused(_("La demande %(code)s n'est pas encore envoyée.") % {
                "code": service_request.tracking_code})
        if service_request.anonymised_at is not None:
            raise DuplicateActionRefused(_("La demande %(code)s est anonymisée.") % {
                "code": service_request.tracking_code})
        if not may_act(service_request, agent):
            raise DuplicateActionRefused(_(
                "Vous ne pouvez pas agir sur la demande %(code)s : elle ne relève pas de vos services, ou vous "
                "n'y avez qu'un accès en lecture."
            ) % {"code": service_request.tracking_code})


def _merge_context(merged, main, text):
    from guichet.workflows.actions import request_context

    return {**request_context(merged, text), "principale": {"code": main.tracking_code}}


def merge(main, other, agent, message="", *, expected_lock_version=None):
    """Merge `other` into `main` (the request the agent keeps) → the merged request.

    `other` is closed as merged (`merged_into`, `closed_at`, timers removed), a visible MERGED event is written
    on both, and its citizen (or contact e-mail address) receives `request.merged` with the main request's code:
    that message is its written answer (`answered_at`). Later progress notices of `main` reach its citizen too
    (see `tell_merged_citizens`). Both rows are locked; DuplicateActionRefused (French) when it cannot be done.
    `expected_lock_version`: the version of `other` the agent saw (a request changed since is refused).
    """
    from guichet.workflows.actions import run_notify
    from guichet.workflows.engine import RunContext
    from guichet.workflows.models import PendingTimer

    message = (message or "").strip()
    if len(message) > MAX_MESSAGE_LENGTH:
        raise DuplicateActionRefused(_("Le message est trop long (%(max)s caractères au plus).") % {
            "max": MAX_MESSAGE_LENGTH})
    _check_pair(main, other, agent, "merge")
    with transaction.atomic():
        main, other = _lock_pair(main, other)
        _check_pair(main, other, agent, "merge")
        if expected_lock_version is not None and other.lock_version != int(expected_lock_version):
            raise DuplicateActionRefused(_(
                "La demande %(code)s a changé entre-temps (quelqu'un d'autre vient d'agir dessus) : rien n'a été "
                "fait. Vérifiez son nouvel état avant de recommencer."
            ) % {"code": other.tracking_code})
        if other.merged_into_id is not None:
            code = ServiceRequest.objects.filter(pk=other.merged_into_id).values_list("tracking_code", flat=True)
            raise DuplicateActionRefused(_("La demande %(code)s est déjà regroupée dans la demande %(main)s.") % {
                "code": other.tracking_code, "main": code.first() or "?"})
        if main.merged_into_id is not None:
            raise DuplicateActionRefused(_(
                "La demande %(code)s est elle-même regroupée dans une autre demande : regroupez plutôt dans "
                "celle-ci."
            ) % {"code": main.tracking_code})
        if main.procedure_id != other.procedure_id:
            raise DuplicateActionRefused(_(
                "Seules des demandes de la même démarche peuvent être regroupées : liez-les plutôt."
            ))
        if other.withdrawn_at is not None:
            raise DuplicateActionRefused(_("La demande %(code)s a été retirée par l'usager.") % {
                "code": other.tracking_code})
        if other.closed_at is not None:
            raise DuplicateActionRefused(_(
                "La demande %(code)s est close : elle ne peut plus être regroupée dans une autre. Gardez-la "
                "comme demande principale, ou liez les deux demandes."
            ) % {"code": other.tracking_code})
        if ServiceRequest.objects.filter(merged_into=other).exists():
            raise DuplicateActionRefused(_(
                "D'autres demandes sont déjà regroupées dans la demande %(code)s : gardez-la comme demande "
                "principale."
            ) % {"code": other.tracking_code})
        now = timezone.now()
        other.merged_into = main
        other.closed_at = now
        other.answered_at = now
        other.waiting_for_citizen = False
        other.information_request = ""
        other.lock_version += 1
        other.save(update_fields=["merged_into", "closed_at", "answered_at", "waiting_for_citizen",
                                  "information_request", "lock_version", "updated_at"])
        PendingTimer.objects.filter(request=other).delete()
        add_event(other, RequestEvent.Kind.MERGED, actor=agent, visible_to_citizen=True,
                  text=_("Demande regroupée avec la demande %(main)s, qui porte sur le même sujet : elles sont "
                         "traitées ensemble.") % {"main": main.tracking_code} + (f"\n\n{message}" if message else ""),
                  data={"main": main.pk, "main_code": main.tracking_code})
        add_event(main, RequestEvent.Kind.MERGED, actor=agent, visible_to_citizen=True,
                  text=_("Une autre demande portant sur le même sujet est regroupée avec celle-ci."),
                  data={"merged": other.pk, "merged_code": other.tracking_code})
        run_notify(RunContext(request=other, actor=agent), {"message": "request.merged", "to": "citizen"},
                   text=message, context=_merge_context(other, main, message))
    return other


def tell_merged_citizens(ctx, key, text):
    """Forward a progress notice of `ctx.request` to the citizens of the requests merged into it, each on their
    own channel, about their own request (its code and page), with the main request's status and text; traced
    on each merged request's timeline. A person told already (the main request's citizen, who had sent the
    same request twice; a citizen with several merged requests) is told once. Called by
    `workflows.actions.run_notify` for the citizen → how many were told."""
    from guichet.workflows.actions import request_context, run_notify
    from guichet.workflows.engine import RunContext

    if key not in FORWARDED_TO_MERGED:
        return 0
    main = ctx.request
    merged = ServiceRequest.objects.filter(merged_into_id=main.pk, anonymised_at__isnull=True).select_related(
        "version", "citizen", "service", "organisation"
    )
    reached = {main.citizen_id} if main.citizen_id else set()
    emails = {email.lower() for email in (main.contact_email, main.citizen.email if main.citizen_id else "") if email}
    count = 0
    for service_request in merged:
        if service_request.citizen_id in reached or (
            service_request.citizen_id is None and service_request.contact_email.lower() in emails
        ):
            continue  # the same person, already told about the main request
        if service_request.citizen_id:
            reached.add(service_request.citizen_id)
        context = request_context(main, text)
        context["demande"] = {**context["demande"], "code": service_request.tracking_code,
                              "numero": service_request.tracking_code, "titre": service_request.version.title}
        context["principale"] = {"code": main.tracking_code}
        run_notify(RunContext(request=service_request, actor=ctx.actor), {"message": key, "to": "citizen"},
                   text=text, context=context)
        count += 1
    return count


def link(first, second, agent):
    """Declare two requests related → the RequestLink; a LINKED event on both (internal)."""
    _check_pair(first, second, agent, "link")
    with transaction.atomic():
        first, second = _lock_pair(first, second)
        _check_pair(first, second, agent, "link")
        low, high = sorted((first, second), key=lambda r: r.pk)
        if RequestLink.objects.filter(first=low, second=high).exists():
            raise DuplicateActionRefused(_("Les demandes %(a)s et %(b)s sont déjà liées.") % {
                "a": first.tracking_code, "b": second.tracking_code})
        if first.merged_into_id == second.pk or second.merged_into_id == first.pk:
            raise DuplicateActionRefused(_("Ces demandes sont déjà regroupées."))
        try:
            with transaction.atomic():
                created = RequestLink.objects.create(organisation_id=first.organisation_id, first=low, second=high,
                                                     created_by=agent)
        except IntegrityError as error:
            raise DuplicateActionRefused(_("Les demandes %(a)s et %(b)s sont déjà liées.") % {
                "a": first.tracking_code, "b": second.tracking_code}) from error
        for here, there in ((first, second), (second, first)):
            add_event(here, RequestEvent.Kind.LINKED, actor=agent,
                      text=_("Demande liée à la demande %(code)s.") % {"code": there.tracking_code},
                      data={"link": created.pk, "request": there.pk, "code": there.tracking_code})
    return created


def unlink(request_link, agent):
    """Remove a link; a LINKED event (« lien retiré ») on both requests."""
    first, second = request_link.first, request_link.second
    _check_pair(first, second, agent, "link")
    with transaction.atomic():
        first, second = _lock_pair(first, second)
        deleted, _rows = RequestLink.objects.filter(pk=request_link.pk).delete()
        if not deleted:
            raise DuplicateActionRefused(_("Ce lien a déjà été retiré."))
        for here, there in ((first, second), (second, first)):
            add_event(here, RequestEvent.Kind.LINKED, actor=agent,
                      text=_("Lien avec la demande %(code)s retiré.") % {"code": there.tracking_code},
                      data={"unlinked": True, "request": there.pk, "code": there.tracking_code})


def links_of(service_request):
    """[(link, other request)] of the request, both directions, oldest first."""
    rows = RequestLink.objects.of(service_request.organisation_id).filter(
        Q(first=service_request) | Q(second=service_request)
    ).select_related("first__version", "second__version", "created_by").order_by("created_at", "pk")
    return [(row, row.other(service_request)) for row in rows[:100]]


# ---------------------------------------------------------------------------------------------------------------
# Recurring problems

PLACE_FIELDS = {"district": "district", "address": "address"}


def recurring_problems(requests, start, end, place="district", threshold=3):
    """Groups of `requests` (a queryset the caller filtered by permission) submitted in [start, end) by
    procedure and place (`district`, or the `address` as written), with at least `threshold` requests, the
    biggest first: a values() queryset of dicts procedure_id, procedure__title, place, total, open, latest.

    Requests merged into another are left out (they are the same occurrence); so are requests without a place.
    One aggregate query (GROUP BY), the same on SQLite and PostgreSQL.
    """
    column = PLACE_FIELDS[place]
    return (
        requests.order_by()
        .filter(submitted_at__gte=start, submitted_at__lt=end, merged_into__isnull=True)
        .exclude(**{column: ""})
        .values("procedure_id", "procedure__title", place_value=F(column))
        .annotate(total=Count("pk"), open=Count("pk", filter=Q(closed_at__isnull=True)), latest=Max("submitted_at"))
        .filter(total__gte=threshold)
        .order_by("-total", "-latest", "procedure__title", "place_value")
    )
