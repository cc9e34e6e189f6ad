"""The directory's rules: what an entry shows and how it is found.

    search_directory(organisation, text, limit=20)   # active entries matching text, best first
    directory_entries(organisation, include_inactive=False)   # every entry, ready to display
    entries_for_display(queryset)                      # the joins and prefetch the templates need
    check_links(organisation, user=None, service=None) # DirectoryRefused unless both belong to organisation

Search (same text folding as the requests' search, `guichet.search.text`): every word of the text must be found
(« graffiti » finds « graffitis, tags, affichage sauvage », a phone number typed any French way finds it); when no
entry has them all (« qui s'occupe des graffitis ? »), the entries having any of them are given instead, those
with most words first. Names weigh most, then missions, then job title and services, then the rest (building,
office, e-mail, phones, hours).

PostgreSQL: French full text search on `vector` (GIN index (organisation_id, vector)), ranked by `ts_rank`.
SQLite: each word (its usual French ending cut, `light_stem`) must start a word of the folded texts (LIKE),
ranked by where it was found.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import BigIntegerField, Case, F, IntegerField, Prefetch, Q, Value, When
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from guichet.agents.models import Membership
from guichet.search.services import PREFIX_MIN_LENGTH, tsquery_text
from guichet.search.text import STOP_WORDS, fold, index_text, index_words, light_stem

from .models import DirectoryEntry

POSTGRESQL_CONFIG = "french"
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
MIN_WORD_LENGTH = 2
# Weights of the SQLite ranking, like PostgreSQL's A, B, C, D.
FALLBACK_WEIGHTS = (("search_names", 8), ("search_missions", 4), ("search_services", 2), ("search_other", 1))


class DirectoryRefused(Exception):
    """Something the directory refuses; `message` is French, `field` the form field it is about."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- what an entry shows, folded for the search -------------------------------------------------------------


def index_texts(entry):
    """The folded texts of `entry` (sort name and the four search texts), from what the directory shows."""
    services = entry.display_services
    names = [entry.display_name]
    if entry.kind == DirectoryEntry.Kind.SERVICE and entry.service_id:
        names.append(entry.service.slug.replace("-", " "))
    service_names = [service.name for service in services]
    others = [entry.building, entry.office, entry.display_email, entry.display_phone, entry.display_extension,
              entry.hours]
    missions = [entry.display_missions]
    if entry.kind == DirectoryEntry.Kind.SERVICE and entry.service_id and entry.missions:
        missions.append(entry.service.description)  # the service's own description counts as well
    sort_name = entry.display_name
    user = entry.linked_user
    if user is not None and user.last_name:
        sort_name = f"{user.last_name} {user.first_name}"
    elif entry.kind == DirectoryEntry.Kind.PERSON and entry.last_name:
        sort_name = f"{entry.last_name} {entry.first_name}"
    return {
        "sort_name": fold(sort_name).strip()[:300],
        "search_names": index_text(*names),
        "search_missions": index_text(*missions),
        "search_services": index_text(entry.display_job_title, *service_names),
        "search_other": index_text(*others),
    }


def write_vectors(ids):
    """PostgreSQL: compute the tsvector of these entries from their folded texts (one UPDATE)."""
    if connection.vendor != "postgresql" or not ids:
        return
    DirectoryEntry.objects.filter(pk__in=ids).update(vector=(
        SearchVector("search_names", weight="A", config=POSTGRESQL_CONFIG)
        + SearchVector("search_missions", weight="B", config=POSTGRESQL_CONFIG)
        + SearchVector("search_services", weight="C", config=POSTGRESQL_CONFIG)
        + SearchVector("search_other", weight="D", config=POSTGRESQL_CONFIG)
    ))


def refresh_entries(queryset):
    """Bring the search texts of these entries up to date (their account, service or memberships changed)."""
    entries = list(entries_for_display(queryset))
    for entry in entries:
        for name, value in index_texts(entry).items():
            setattr(entry, name, value)
    if entries:
        DirectoryEntry.objects.bulk_update(entries, ["sort_name", "search_names", "search_missions",
                                                     "search_services", "search_other"])
        write_vectors([entry.pk for entry in entries])
    return len(entries)


# --- reading ------------------------------------------------------------------------------------------------


def entries_for_display(queryset):
    """`queryset` with what the templates read: account, service and the account's services (3 queries)."""
    return queryset.select_related("user", "service").defer("vector").prefetch_related(
        Prefetch("user__memberships", queryset=Membership.objects.select_related("service").order_by("service__name"))
    )


def directory_entries(organisation, include_inactive=False):
    entries = DirectoryEntry.objects.of(organisation)
    if not include_inactive:
        entries = _shown(entries)
    return entries_for_display(entries.order_by("sort_name", "pk"))


def entry_of(organisation, pk):
    """The entry `pk` of `organisation`, or DirectoryEntry.DoesNotExist (another collectivité's is not found)."""
    return entries_for_display(DirectoryEntry.objects.of(organisation)).get(pk=pk)


def check_links(organisation, user=None, service=None):
    """DirectoryRefused unless the account is an agent of `organisation` and the service one of its services."""
    if user is not None and (user.organisation_id != organisation.pk or not user.is_agent):
        raise DirectoryRefused(_("Ce compte n'est pas celui d'un agent de votre collectivité."), field="user")
    if service is not None and service.organisation_id != organisation.pk:
        raise DirectoryRefused(_("Ce service n'est pas un service de votre collectivité."), field="service")


def set_active(entry, active):
    entry.is_active = active
    entry.save(update_fields=["is_active", "updated_at"])


# --- search -------------------------------------------------------------------------------------------------


def query_words(text):
    """The searchable words of `text` (folded, phone numbers as one word, without the very common ones)."""
    text = (text if isinstance(text, str) else "")[:MAX_QUERY_LENGTH]
    words = []
    for word in index_words(text):
        if len(word) >= MIN_WORD_LENGTH and word not in STOP_WORDS and word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def search_directory(organisation, text, limit=20):
    """The active entries of `organisation` matching `text`, best first, at most `limit`, ready to display
    (a list; 3 queries). A text without any searchable word gives []."""
    words = query_words(text)
    if not words or organisation is None:
        return []
    entries = _shown(DirectoryEntry.objects.of(organisation))
    search = _fallback_search
    if connection.vendor == "postgresql":
        # The tenant condition typed bigint, btree_gin's operator class: one GIN scan applies it with the words.
        entries = _shown(DirectoryEntry.objects.filter(
            organisation_id=Cast(Value(organisation.pk), output_field=BigIntegerField())))
        search = _postgresql_search
    found = list(entries_for_display(search(entries, words, every=True))[:limit])
    if not found and len(words) > 1:
        found = list(entries_for_display(search(entries, words, every=False))[:limit])
    return found


def _shown(entries):
    """Active entries, without those of a deactivated agent account (an agent who left)."""
    return entries.filter(is_active=True).exclude(user__is_active=False)


def _postgresql_search(entries, words, every):
    if every:
        raw = tsquery_text(words)
    else:
        raw = " | ".join(f"{word}:*" if len(word) >= PREFIX_MIN_LENGTH else word for word in words)
    query = SearchQuery(raw, search_type="raw", config=POSTGRESQL_CONFIG)
    return (
        entries.filter(vector=query)
        .annotate(search_rank=SearchRank(F("vector"), query))
        .order_by("-search_rank", "sort_name", "pk")
    )


def _fallback_search(entries, words, every):
    matches = Q() if every else Q(pk__in=[])
    rank = Value(0, output_field=IntegerField())
    for word in words:
        pattern = f" {light_stem(word)}" if len(word) >= PREFIX_MIN_LENGTH else f" {word} "
        found = Q()
        for field, weight in FALLBACK_WEIGHTS:
            condition = Q(**{f"{field}__contains": pattern})
            found |= condition
            rank = rank + Case(When(condition, then=Value(weight)), default=Value(0), output_field=IntegerField())
        matches = (matches & found) if every else (matches | found)
    return entries.filter(matches).annotate(search_rank=rank).order_by("-search_rank", "sort_name", "pk")
