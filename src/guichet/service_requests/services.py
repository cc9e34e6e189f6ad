"""Business rules of requests: tracking codes, drafts, submission, the timeline."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from .codes import new_tracking_code
from .models import RequestEvent, ServiceRequest

EVENT_FIELDS = {"status_from", "status_to", "text", "data", "at"}


def add_event(request, kind, actor=None, visible_to_citizen=False, **fields):
    """Append one event to `request`'s timeline (the only way to write a `RequestEvent`).

    `fields` among status_from, status_to, text, data (JSON-serialisable dict), at. Unknown kinds or fields are
    programming errors (ValueError). The request's `updated_at` moves to now (« dernière mise à jour »).
    """
    if kind not in RequestEvent.Kind.values:
        raise ValueError(f"Unknown request event kind: {kind!r}")
    unknown = set(fields) - EVENT_FIELDS
    if unknown:
        raise ValueError(f"Unknown request event fields: {sorted(unknown)}")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    fields.setdefault("data", {})
    for name in ("status_from", "status_to", "text"):
        if fields.get(name) is None:
            fields[name] = ""
    event = RequestEvent.objects.create(
        organisation_id=request.organisation_id, request=request, kind=kind, actor=actor,
        visible_to_citizen=visible_to_citizen, **fields,
    )
    now = timezone.now()
    ServiceRequest.objects.filter(pk=request.pk).update(updated_at=now)
    request.updated_at = now
    return event


def unique_tracking_code():
    """A tracking code no request uses yet (the unique constraint stays the last word)."""
    while True:
        code = new_tracking_code()
        if not ServiceRequest.objects.filter(tracking_code=code).exists():
            return code


def create_request(**fields):
    """Insert a request with a fresh tracking code, trying again in the (astronomically rare) case of a clash."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ServiceRequest.objects.create(tracking_code=unique_tracking_code(), **fields)
        except IntegrityError:
            continue
    raise IntegrityError("Could not draw a unique tracking code.")
