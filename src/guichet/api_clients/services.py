"""Business rules of API clients: creation (secret shown once), revocation, authentication, rate limits."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from guichet.organisations.secrets import hash_secret, new_secret, presented_hash, same_hash

from .models import ApiClient, RateWindow, Scope

SECRET_PREFIX = "gapi_"
MAX_KEY_LENGTH = 200
# last_used_at is written at most once a minute per client (not on every call).
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def create_client(organisation, *, name, scopes, created_by=None, description="", services=(), rate_limit=120):
    """A new client → (client, clear secret). The clear secret exists only in this return value."""
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ValueError(f"Unknown API scopes: {sorted(unknown)}")
    clear = new_secret(SECRET_PREFIX)
    with transaction.atomic():
        client = ApiClient.objects.create(
            organisation=organisation, name=name, description=description, scopes=sorted(set(scopes)),
            secret_hash=hash_secret(clear), hint=clear[: len(SECRET_PREFIX) + 4], created_by=created_by,
            rate_limit=rate_limit,
        )
        if services:
            client.services.set(services)
    return client, clear


def revoke_client(client, *, by=None):
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.revoked_by = by if getattr(by, "is_authenticated", False) else None
        client.save(update_fields=["revoked_at", "revoked_by"])
    return client


def _active_client(organisation, digest):
    if organisation is None or digest is None:
        return None
    client = (ApiClient.objects.filter(organisation=organisation, secret_hash=digest, revoked_at__isnull=True)
              .first())
    if client is None or not same_hash(client.secret_hash, digest):
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_PRECISION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client


def authenticate_bearer(organisation, authorization):
    """The active client of `organisation` whose secret is in `Authorization: Bearer <secret>`, else None.
    Another collectivité's secret, a revoked one or a malformed header all give None."""
    return _active_client(organisation, presented_hash(authorization))


def authenticate_key(organisation, api_key):
    """The same for Open311's `api_key` parameter."""
    if not isinstance(api_key, str) or not api_key.strip() or len(api_key) > MAX_KEY_LENGTH:
        return None
    return _active_client(organisation, hash_secret(api_key.strip()))


def check_rate(client, now=None):
    """Count one call of `client` → None when allowed, else the seconds to wait before the next minute.

    Fixed one-minute windows counted in the database (shared by every web process)."""
    now = now or timezone.now()
    start = now.replace(second=0, microsecond=0)
    for _attempt in range(3):
        updated = RateWindow.objects.filter(client=client, start=start).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateWindow.objects.create(client=client, start=start, count=1)
            except IntegrityError:
                continue
        break
    count = RateWindow.objects.filter(client=client, start=start).values_list("count", flat=True).first() or 0
    if count > client.rate_limit:
        return max(1, 60 - now.second)
    return None


def clean_up_rate_windows(now=None):
    """Windows older than an hour are of no use (the nightly clean-up calls this)."""
    now = now or timezone.now()
    return RateWindow.objects.filter(start__lt=now - datetime.timedelta(hours=1)).delete()[0]
