"""Business rules of API clients: creation (secret shown once), edition, renewal of the secret, revocation,
authentication, rate limits and their clean-up."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.organisations.secrets import hash_secret, new_secret, presented_hash, same_hash

from .models import MAX_RATE_LIMIT, MIN_RATE_LIMIT, ApiClient, RateWindow, Scope

SECRET_PREFIX = "gapi_"
MAX_KEY_LENGTH = 200
# What a secret is made of (new_secret: the prefix and token_urlsafe); anything else is refused before hashing.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_\-]{1,%d}" % MAX_KEY_LENGTH)
# last_used_at is written at most once a minute per client (not on every call).
LAST_USED_PRECISION = datetime.timedelta(minutes=1)
# Windows older than this are deleted by the periodic clean-up.
RATE_WINDOW_RETENTION = datetime.timedelta(hours=1)


def _hint(clear):
    return clear[: len(SECRET_PREFIX) + 4]


def _checked(organisation, scopes, services, rate_limit):
    """Raise ValueError on what the forms already refuse: unknown scopes, another collectivité's services, a rate
    limit out of bounds (services may call these functions without a form)."""
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ValueError(f"Unknown API scopes: {sorted(unknown)}")
    if any(service.organisation_id != organisation.pk for service in services):
        raise ValueError("A service of another organisation")
    if not MIN_RATE_LIMIT <= int(rate_limit) <= MAX_RATE_LIMIT:
        raise ValueError(f"Rate limit out of [{MIN_RATE_LIMIT}, {MAX_RATE_LIMIT}]")
    return sorted(set(scopes))


def create_client(organisation, *, name, scopes, created_by=None, description="", services=(), rate_limit=120):
    """A new client → (client, clear secret). The clear secret exists only in this return value."""
    services = list(services)
    scopes = _checked(organisation, scopes, services, rate_limit)
    clear = new_secret(SECRET_PREFIX)
    with transaction.atomic():
        client = ApiClient.objects.create(
            organisation=organisation, name=name, description=description, scopes=scopes,
            secret_hash=hash_secret(clear), hint=_hint(clear),
            created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
            rate_limit=rate_limit,
        )
        if services:
            client.services.set(services)
    return client, clear


def update_client(client, *, name, scopes, description="", services=(), rate_limit=120):
    """Change what a client is and may do (not its secret). A revoked client stays revoked."""
    services = list(services)
    scopes = _checked(client.organisation, scopes, services, rate_limit)
    with transaction.atomic():
        client.name, client.description, client.scopes, client.rate_limit = name, description, scopes, rate_limit
        client.save(update_fields=["name", "description", "scopes", "rate_limit"])
        client.services.set(services)
    return client


def renew_secret(client):
    """A new secret for an active client → the clear secret (shown once); the former one is refused at once."""
    if not client.is_active:
        raise ValidationError(_("Ce client est révoqué : son secret ne peut plus être renouvelé."))
    clear = new_secret(SECRET_PREFIX)
    client.secret_hash, client.hint = hash_secret(clear), _hint(clear)
    client.save(update_fields=["secret_hash", "hint"])
    return clear


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


def _well_formed(key):
    return isinstance(key, str) and KEY_PATTERN.fullmatch(key) is not None


def authenticate_bearer(organisation, authorization):
    """The active client of `organisation` whose secret is in `Authorization: Bearer <secret>`, else None.
    Another collectivité's secret, a revoked one or a malformed header all give None."""
    if not isinstance(authorization, str) or len(authorization) > MAX_KEY_LENGTH + 20:
        return None
    scheme, _sep, token = authorization.strip().partition(" ")
    if not _well_formed(token.strip()):
        return None
    return _active_client(organisation, presented_hash(authorization))


def authenticate_key(organisation, api_key):
    """The same for Open311's `api_key` parameter."""
    if not isinstance(api_key, str):
        return None
    api_key = api_key.strip()
    if not _well_formed(api_key):
        return None
    return _active_client(organisation, hash_secret(api_key))


def window_start(now=None):
    return (now or timezone.now()).replace(second=0, microsecond=0)


_COUNT_SQL = None


def _count_sql():
    """INSERT … ON CONFLICT DO UPDATE … RETURNING: one statement that creates or increments the window and gives
    its new count. PostgreSQL (and SQLite ≥ 3.35) run it atomically: two simultaneous calls never lose a count."""
    global _COUNT_SQL
    if _COUNT_SQL is None:
        quote = connection.ops.quote_name
        table = quote(RateWindow._meta.db_table)
        client, start, count = (quote(RateWindow._meta.get_field(name).column)
                                for name in ("client", "start", "count"))
        _COUNT_SQL = (
            f"INSERT INTO {table} ({client}, {start}, {count}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({client}, {start}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}"
        )
    return _COUNT_SQL


def count_call(client, now=None):
    """Count one call of `client` in the current minute → the number of calls in that minute, this one included."""
    start = window_start(now)
    with connection.cursor() as cursor:
        cursor.execute(_count_sql(), [client.pk, connection.ops.adapt_datetimefield_value(start)])
        return cursor.fetchone()[0]


def check_rate(client, now=None):
    """Count one call of `client` → None when allowed, else the seconds to wait before the next minute.

    Fixed one-minute windows counted in the database (shared by every web process), one query per call. Refused
    calls are counted too: a client that keeps hammering stays refused until the minute ends."""
    now = now or timezone.now()
    if count_call(client, now) > client.rate_limit:
        return max(1, 60 - now.second)
    return None


def with_current_calls(queryset, now=None):
    """Annotate clients with `calls_this_minute` (0 when no window) in the same query."""
    window = RateWindow.objects.filter(client=OuterRef("pk"), start=window_start(now)).values("count")[:1]
    return queryset.annotate(calls_this_minute=Coalesce(Subquery(window), Value(0), output_field=IntegerField()))


def is_rate_limited(client):
    """Whether the client's calls of the current minute are being refused (needs `with_current_calls`)."""
    return client.is_active and client.calls_this_minute > client.rate_limit


def clean_up_rate_windows(now=None):
    """Windows older than an hour are of no use (the periodic job `tasks.clean_up_rate_windows` calls this)."""
    now = now or timezone.now()
    return RateWindow.objects.filter(start__lt=now - RATE_WINDOW_RETENTION).delete()[0]
