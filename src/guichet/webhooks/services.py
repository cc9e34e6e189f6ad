"""Rules of the outgoing webhooks: which events a request's timeline emits, the deliveries and their tries,
and what administrators do with subscriptions (create, edit, renew the secret, test, replay).

    emit(request_event)                 # from the post_save receiver (signals.py): deliveries + their jobs
    send(delivery_id, generation)       # the background job (tasks.deliver): one try, then the next scheduled
    create_subscription(...) → (subscription, clear secret)
    renew_secret(subscription) → clear secret
    send_ping(subscription) → delivery
    replay(delivery) → delivery          # DeliveryRefused (French) when it cannot be replayed now
"""

import datetime
import json
import logging
import time
import uuid

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.connectors.destinations import refused_destination
from guichet.connectors.signing import HEADER as SIGNATURE_HEADER
from guichet.connectors.signing import signature
from guichet.organisations.secrets import new_secret

from .models import PING, Delivery, DeliveryAttempt, Event, Subscription

logger = logging.getLogger("guichet.webhooks")

SECRET_PREFIX = "gwhk_"
USER_AGENT = "Guichet-webhooks/1"
RESPONSE_KEPT = 2048  # bytes of the receiver's answer kept in the attempt's log
# Waits before the 2nd, 3rd… automatic try (seconds): 1 min, 5 min, 30 min, 2 h, 12 h, then failed.
DEFAULT_RETRY_SECONDS = [60, 300, 1800, 7200, 43200]
# A try whose worker died (claimed but never recorded) may be taken again after this long.
CLAIM_TIMEOUT = datetime.timedelta(minutes=5)


class DeliveryRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class DeliveryBusy(Exception):
    """Another worker holds this delivery's try: the job is tried again later (durable_task's back-off)."""


def retry_delays():
    return list(getattr(settings, "GUICHET_WEBHOOK_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))


# --- emission ---------------------------------------------------------------------------------------------------


def _status(request, status_id):
    """{"id", "label"} of a status the citizen may see; None for no status or an internal (non-visible) one."""
    from guichet.service_requests.status import visible_status

    shown = visible_status(request, status_id) if status_id else None
    if shown is None:
        return None
    return {"id": shown.id, "label": str(shown.label)}


def _public_status(request):
    """The request's status as the citizen sees it: the current one when visible, else the last visible one it
    went through (one query, only then), else None. Internal statuses are never named in a payload."""
    from guichet.service_requests.models import RequestEvent
    from guichet.service_requests.status import citizen_status

    current = _status(request, request.status)
    if current is not None or not request.status:
        return current
    history = RequestEvent.objects.filter(request=request, kind=RequestEvent.Kind.STATUS_CHANGED).order_by("at", "pk")
    shown = citizen_status(request, history)
    return {"id": shown.id, "label": str(shown.label)} if shown else None


def events_for(event):
    """The webhook events (type, extra payload) a new timeline event emits; no query."""
    from guichet.service_requests.models import RequestEvent

    Kind = RequestEvent.Kind
    request = event.request
    if event.kind == Kind.SUBMITTED:
        return [(Event.REQUEST_CREATED, {})]
    if event.kind == Kind.STATUS_CHANGED:
        # Entering an internal status is not an event for the outside (its name would leak); closing still is.
        visible = _status(request, event.status_to) is not None
        found = [(Event.STATUS_CHANGED, {"status_from": _status(request, event.status_from)})] if visible else []
        # The engine sets `closed_at` (final status) before it writes this event, in the same transaction.
        if request.closed_at is not None:
            found.append((Event.REQUEST_CLOSED, {"closure": "final_status"}))
        return found
    if event.kind in (Kind.MESSAGE_CITIZEN, Kind.MESSAGE_AGENT, Kind.ANSWER) and event.visible_to_citizen:
        return [(Event.MESSAGE_POSTED, {"message": {
            "author": "citizen" if event.kind == Kind.MESSAGE_CITIZEN else "agent",
            "answer": event.kind == Kind.ANSWER,
            "text": event.text,
        }})]
    if event.kind == Kind.WITHDRAWN:
        return [(Event.REQUEST_CLOSED, {"closure": "withdrawn"})]
    if event.kind == Kind.MERGED and event.data.get("main_code"):
        return [(Event.REQUEST_CLOSED, {"closure": "merged", "merged_into": event.data["main_code"]})]
    return []


def matching_subscriptions(organisation_id, procedure_id):
    """The active subscriptions of the collectivité that follow this procedure (one query)."""
    chosen = Subscription.procedures.through.objects.filter(procedure_id=procedure_id).values("subscription_id")
    return list(
        Subscription.objects.filter(organisation_id=organisation_id, is_active=True)
        .filter(Q(all_procedures=True) | Q(pk__in=chosen))
    )


def _iso(moment):
    return moment.isoformat() if moment else None


def build_payload(event_type, event_id, occurred_at, request, extra):
    payload = {
        "id": str(event_id),
        "event": str(event_type),
        "occurred_at": _iso(occurred_at),
        "organisation": request.organisation.slug,
        "request": {
            "tracking_code": request.tracking_code,
            "procedure": request.procedure.slug,
            "status": _public_status(request),
            "channel": request.channel,
            "submitted_at": _iso(request.submitted_at),
            "closed_at": _iso(request.closed_at),
        },
    }
    payload.update(extra)
    return payload


def encode(payload):
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _queue(delivery):
    from .tasks import deliver

    deliver.enqueue(delivery.pk, delivery.generation)


def emit(event):
    """Deliveries (and their jobs, in the caller's transaction) for a new timeline event; returns them."""
    found = events_for(event)
    if not found:
        return []
    request = event.request
    subscriptions = matching_subscriptions(request.organisation_id, request.procedure_id)
    deliveries = []
    for event_type, extra in found:
        targets = [subscription for subscription in subscriptions if event_type in subscription.events]
        if not targets:
            continue
        event_id = uuid.uuid4()
        payload = build_payload(event_type, event_id, event.at, request, extra)
        if isinstance(event.data, dict) and event.data.get("api_client"):
            # Caused by an API client (guichet.api writes it on the event): a receiver can ignore its own echo.
            payload["api_client"] = {"id": event.data["api_client"], "name": event.data.get("api_client_name", "")}
        body = encode(payload)
        # One INSERT for the deliveries of every subscription; then one job each (tries are independent).
        created = Delivery.objects.bulk_create([
            Delivery(organisation_id=request.organisation_id, subscription=subscription, event_id=event_id,
                     event_type=event_type, tracking_code=request.tracking_code, body=body)
            for subscription in targets
        ])
        for delivery in created:
            _queue(delivery)
        deliveries.extend(created)
    return deliveries


# --- sending ----------------------------------------------------------------------------------------------------


def claim(delivery_id, generation):
    """Take the delivery for one try (one UPDATE decides between two workers); None when it is not ours."""
    now = timezone.now()
    claimable = Q(status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING]) | Q(
        status=Delivery.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    )
    taken = Delivery.objects.filter(claimable, pk=delivery_id, generation=generation).update(
        status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1,
    )
    if not taken:
        return None
    return Delivery.objects.select_related("subscription").filter(pk=delivery_id).first()  # None if just deleted


def headers_for(delivery, secret, body, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Guichet-Event": delivery.event_type,
        "X-Guichet-Delivery": str(delivery.uuid),
        SIGNATURE_HEADER: signature(secret, body, timestamp),
    }


def _read_start(response, started, timeout):
    """The first RESPONSE_KEPT bytes of the answer, read within the time-out overall (read1: what has arrived,
    without waiting for a full chunk — a receiver dripping its answer must not hold the worker)."""
    kept = b""
    while len(kept) < RESPONSE_KEPT and time.monotonic() - started <= timeout:
        chunk = response.raw.read1(RESPONSE_KEPT - len(kept), decode_content=True)
        if not chunk:
            break
        kept += chunk
    # NUL becomes U+FFFD: PostgreSQL's text refuses it (the try's log would not be written).
    return kept[:RESPONSE_KEPT].decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def post(delivery):
    """One HTTP try → (status code or None, duration in ms, error text, start of the response)."""
    body = delivery.body.encode("utf-8")
    timeout = settings.GUICHET_HTTP_TIMEOUT
    started = time.monotonic()
    status_code, error, text = None, "", ""
    try:
        with requests.post(delivery.subscription.url, data=body,
                           headers=headers_for(delivery, delivery.subscription.secret, body),
                           timeout=timeout, allow_redirects=False, stream=True) as response:
            status_code = response.status_code
            text = _read_start(response, started, timeout)
    except requests.Timeout:
        error = _("Pas de réponse dans le délai de %(seconds)s s.") % {"seconds": f"{timeout:g}"}
    except requests.ConnectionError as problem:
        error = _("Connexion impossible : %(error)s") % {"error": str(problem)[:500]}
    except requests.RequestException as problem:
        error = _("Envoi impossible : %(error)s") % {"error": str(problem)[:500]}
    duration = int((time.monotonic() - started) * 1000)
    if status_code is not None and not 200 <= status_code < 300:
        error = _("Réponse HTTP %(code)s (attendu : 2xx).") % {"code": status_code}
    return status_code, duration, error, text


def _finish(delivery, **values):
    """Write the outcome of the try only while the delivery is still ours (this generation, SENDING)."""
    return Delivery.objects.filter(
        pk=delivery.pk, generation=delivery.generation, status=Delivery.Status.SENDING
    ).update(claimed_at=None, **values)


def record(delivery, status_code, duration, error, text, *, final=False):
    """Log the try, then: delivered, failed, or the next automatic try queued with its back-off (None when the
    delivery no longer exists)."""
    delays = retry_delays()
    now = timezone.now()
    with transaction.atomic():
        # The subscription (and its deliveries) may have been deleted while the POST was on its way: nothing to
        # log nor retry then (writing the try would break its foreign key at commit). The lock keeps it until then.
        if not Delivery.objects.select_for_update().filter(pk=delivery.pk).exists():
            return None
        DeliveryAttempt.objects.create(
            organisation_id=delivery.organisation_id, delivery=delivery, number=delivery.attempts, at=now,
            manual=delivery.manual, status_code=status_code, duration_ms=duration, error=error, response_body=text,
        )
        if not error:
            _finish(delivery, status=Delivery.Status.DELIVERED, delivered_at=now, last_status_code=status_code,
                    last_error="", next_attempt_at=None)
            return Delivery.Status.DELIVERED
        if final or delivery.manual or delivery.attempts > len(delays):
            _finish(delivery, status=Delivery.Status.FAILED, last_status_code=status_code, last_error=error,
                    next_attempt_at=None)
            return Delivery.Status.FAILED
        run_after = now + datetime.timedelta(seconds=delays[delivery.attempts - 1])
        if _finish(delivery, status=Delivery.Status.RETRYING, last_status_code=status_code, last_error=error,
                   next_attempt_at=run_after, generation=delivery.generation + 1):
            from .tasks import deliver

            deliver.using(run_after=run_after).enqueue(delivery.pk, delivery.generation + 1)
        return Delivery.Status.RETRYING


def send(delivery_id, generation):
    """The background job's work: one try of the delivery (idempotent; a stale job does nothing)."""
    delivery = claim(delivery_id, generation)
    if delivery is None:
        if Delivery.objects.filter(pk=delivery_id, generation=generation, status=Delivery.Status.SENDING).exists():
            raise DeliveryBusy("envoi en cours par un autre processus")
        return "déjà traité"
    if not delivery.subscription.is_active and not delivery.manual:
        with transaction.atomic():
            _finish(delivery, status=Delivery.Status.FAILED, next_attempt_at=None,
                    last_error=_("Abonnement désactivé : envoi abandonné."))
        return Delivery.Status.FAILED
    refused = refused_destination(delivery.subscription.url)
    if refused:  # never called, and no use trying again: failed at once, the reason in the log
        return record(delivery, None, 0, refused, "", final=True)
    return record(delivery, *post(delivery))


# --- administrators ---------------------------------------------------------------------------------------------


def create_subscription(organisation, *, name, url, events, procedures=None, created_by=None, is_active=True):
    """`procedures` None: all the collectivité's procedures. Returns (subscription, the secret to show once)."""
    secret = new_secret(SECRET_PREFIX)
    with transaction.atomic():
        subscription = Subscription.objects.create(
            organisation=organisation, name=name, url=url, events=list(events), secret=secret,
            all_procedures=procedures is None, created_by=created_by, is_active=is_active,
        )
        if procedures is not None:
            subscription.procedures.set(procedures)
    return subscription, secret


def update_subscription(subscription, *, name, url, events, procedures=None, is_active=True):
    with transaction.atomic():
        subscription.name, subscription.url, subscription.events = name, url, list(events)
        subscription.all_procedures = procedures is None
        subscription.is_active = is_active
        subscription.save(update_fields=["name", "url", "events", "all_procedures", "is_active"])
        subscription.procedures.set(procedures or [])
    return subscription


def set_active(subscription, active):
    subscription.is_active = active
    subscription.save(update_fields=["is_active"])


def renew_secret(subscription):
    """A new secret, used from the next try on (shown once); the old one no longer signs anything."""
    secret = new_secret(SECRET_PREFIX)
    subscription.secret = secret
    subscription.secret_renewed_at = timezone.now()
    subscription.save(update_fields=["secret", "secret_renewed_at"])
    return secret


def delete_subscription(subscription):
    """The subscription and its delivery log are deleted; jobs still queued find nothing and stop."""
    subscription.delete()


def send_ping(subscription):
    """« Tester »: a `ping` delivery, one try, sent even when the subscription is deactivated."""
    event_id = uuid.uuid4()
    payload = {"id": str(event_id), "event": PING, "occurred_at": _iso(timezone.now()),
               "organisation": subscription.organisation.slug, "subscription": subscription.name}
    with transaction.atomic():
        delivery = Delivery.objects.create(
            organisation_id=subscription.organisation_id, subscription=subscription, event_id=event_id,
            event_type=PING, body=encode(payload), manual=True,
        )
        _queue(delivery)
    return delivery


def replay(delivery):
    """« Rejouer »: the same body sent again in a new job, one try (a scheduled automatic retry is dropped)."""
    with transaction.atomic():
        current = Delivery.objects.select_for_update().filter(pk=delivery.pk).first()
        if current is None:
            raise DeliveryRefused(_("Cet envoi n'existe plus."))
        if current.status in (Delivery.Status.PENDING, Delivery.Status.SENDING):
            raise DeliveryRefused(_("Cet envoi est déjà en file ou en cours : attendez son résultat avant de le "
                                    "rejouer."))
        Delivery.objects.filter(pk=current.pk).update(
            status=Delivery.Status.PENDING, manual=True, generation=F("generation") + 1, next_attempt_at=None,
            claimed_at=None,
        )
        current.refresh_from_db()
        _queue(current)
    delivery.refresh_from_db()
    return delivery


# --- clean-up ---------------------------------------------------------------------------------------------------

DEFAULT_KEEP_DAYS = 90


def purge_old_deliveries(now=None):
    """Delete the finished deliveries (delivered or failed for good) older than GUICHET_WEBHOOK_KEEP_DAYS (90)
    days, with their tries: their bodies hold message texts, kept no longer than the log is useful."""
    now = now or timezone.now()
    days = int(getattr(settings, "GUICHET_WEBHOOK_KEEP_DAYS", DEFAULT_KEEP_DAYS))
    old = Delivery.objects.filter(
        status__in=[Delivery.Status.DELIVERED, Delivery.Status.FAILED],
        created_at__lt=now - datetime.timedelta(days=days),
    )
    count, _detail = old.delete()
    return count
