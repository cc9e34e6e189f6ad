"""Search of requests by agents, and the index it reads.

`search_requests(user, organisation, text)` is the one entry point (search page, exports): the submitted
requests `user` may see (`requests_for_agent`, the queue's own rule) that match `text`, best first. A text that is
a tracking code (with or without dashes, any case) gives that request alone; otherwise every word must be found
in the request's identity (tracking code, citizen or contact name, e-mail, phone, address, district, household
members concerned) or content (procedure, answers with the choices' labels, messages, answers of the service).

PostgreSQL: full text search with the French configuration (stemming: « réparations » finds « réparer »), words
of three characters or more also match as prefixes (« Dupon » finds « Dupont »), ranked by `ts_rank` (identity
words weigh more), on the GIN index (organisation_id, vector) of `search_requestsearch`. SQLite: every word (its
usual French ending cut) must start a word of the index (LIKE), ranked by how many words are found in the
identity, then by date.

The index is written in the same transaction as what changes it (signals.py) and rebuilt by
`reindex_requests()` (`manage.py reindex_requests`).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, Count, F, IntegerField, Q, Value, When, Window
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from guichet.agents.permissions import is_org_admin
from guichet.service_requests.agent_services import requests_for_agent
from guichet.service_requests.codes import normalise_tracking_code
from guichet.service_requests.models import RequestEvent, ServiceRequest

from .documents import REQUEST_VALUES, TEXT_EVENT_KINDS, form_plan, request_texts
from .models import RequestSearch
from .text import STOP_WORDS, index_words, light_stem

MAX_QUERY_LENGTH = 200
MAX_WORDS = 12
MIN_WORD_LENGTH = 2
# Words at least this long also match as prefixes (shorter ones must be whole words).
PREFIX_MIN_LENGTH = 3
POSTGRESQL_CONFIG = "french"
BATCH_SIZE = 2000
MAX_PAGE = 1_000_000


class SearchQueryError(ValueError):
    """The text cannot be searched; `message` (French) says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Terms:
    """A parsed search: the tracking code it may be (canonical form) and its words as the index has them."""

    code: str | None
    words: tuple


def parse_query(text):
    """The Terms of a search box's text, or SearchQueryError (French message) when there is nothing to search."""
    text = (text if isinstance(text, str) else "").strip()
    if not text:
        raise SearchQueryError(_(
            "Saisissez ce que vous cherchez : un numéro de suivi, un nom, une adresse électronique, un numéro de "
            "téléphone, une adresse ou des mots de la demande."
        ))
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchQueryError(
            _("La recherche est trop longue : %(max)s caractères au plus (vous en avez saisi %(count)s).")
            % {"max": MAX_QUERY_LENGTH, "count": len(text)}
        )
    code = normalise_tracking_code(text)
    words = []
    for word in index_words(text):
        if len(word) >= MIN_WORD_LENGTH and word not in STOP_WORDS and word not in words:
            words.append(word)
    if not words and code is None:
        raise SearchQueryError(_(
            "Saisissez au moins un mot de deux lettres ou chiffres (les signes de ponctuation et les mots très "
            "courants comme « de » ou « la » ne comptent pas)."
        ))
    return Terms(code=code, words=tuple(words[:MAX_WORDS]))


def exact_match(user, organisation, terms):
    """The request whose tracking code the search is, when `user` may see it, else None."""
    if terms.code is None:
        return None
    return requests_for_agent(user, organisation).filter(tracking_code=terms.code).first()


def search_requests(user, organisation, text):
    """Ordered queryset of the submitted `ServiceRequest`s of `organisation` that `user` may see and that match
    `text` (tracking code, or all its words). A text that cannot be searched gives an empty queryset."""
    try:
        terms = parse_query(text)
    except SearchQueryError:
        return ServiceRequest.objects.none()
    if terms.code is not None:
        exact = requests_for_agent(user, organisation).filter(tracking_code=terms.code)
        if exact.exists():
            return exact
    return search_words(user, organisation, terms)


def search_words(user, organisation, terms):
    """The requests `user` may see whose index holds all of `terms.words`, best first."""
    visible = requests_for_agent(user, organisation)
    if not terms.words:
        return visible.none()
    if connection.vendor == "postgresql":
        return _postgresql_search(visible, organisation, terms.words)
    return _fallback_search(visible, organisation, terms.words)


class _CountedPaginator(Paginator):
    """A paginator told its count (read with the page's rows, so the matches are searched once, not twice)."""

    def __init__(self, object_list, per_page, count):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count


def results_page(user, organisation, terms, number=1, per_page=50):
    """Page `number` (as Paginator.get_page reads it) of the requests matching `terms` that `user` may see, with
    their procedure version, service and citizen. Constant queries whatever the number of matches: the ranked ids
    of the page with the total (one pass over the matches), their rows, their versions, and the total again only
    when `number` is past the last page."""
    ranked = search_words(user, organisation, terms)
    if connection.vendor == "postgresql" and terms.words and is_org_admin(user):
        # An administrator sees every submitted request of the collectivité (requests_for_agent), and the index
        # holds exactly those: rank the index rows alone, without reading the matching requests themselves.
        query = _tsquery(terms.words)
        ranked = (
            # The collectivité's rows (the tenant filter, typed bigint so that the GIN index applies it).
            RequestSearch.objects.filter(organisation_id=_bigint(organisation.pk), vector=query)
            .annotate(search_rank=SearchRank(F("vector"), query))
            .order_by("-search_rank", "-request_id")
        )
        key = "request_id"
    else:
        key = "pk"
    try:
        # Bounded: a page number past what the database can offset (e.g. 20 digits) answered 500; past the last
        # page shows the last one anyway.
        number = min(max(int(number), 1), MAX_PAGE)
    except (TypeError, ValueError):
        number = 1
    window = ranked.annotate(search_total=Window(Count("pk"))).values_list(key, "search_total")
    found = list(window[(number - 1) * per_page: number * per_page])
    total = found[0][1] if found else (ranked.count() if number > 1 else 0)
    paginator = _CountedPaginator([], per_page, total)
    number = min(number, paginator.num_pages)
    if not found and total:
        found = list(window[(number - 1) * per_page: number * per_page])
    ids = [pk for pk, _total in found]
    rows = ServiceRequest.objects.of(organisation).filter(pk__in=ids).select_related("service", "citizen").defer(
        "data", "citizen__phone"  # the phone: a full phonenumbers parse per row, not shown
    ).in_bulk() if ids else {}
    _attach_versions(organisation, rows.values())
    page = paginator.page(number)
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return page


def _attach_versions(organisation, requests):
    """Give the requests their procedure version (title, workflow for the status labels), each version read and
    decoded once rather than once per row."""
    from guichet.procedures.models import ProcedureVersion

    requests = list(requests)
    wanted = {request.version_id for request in requests}
    versions = ProcedureVersion.objects.of(organisation).filter(pk__in=wanted).defer("form").in_bulk() if wanted else {}
    for request in requests:
        request.version = versions[request.version_id]


def tsquery_text(words):
    """The raw tsquery of words made of letters and digits only (no operator can slip in): all are required, as
    French stems; the last one, when it has PREFIX_MIN_LENGTH characters or more, also as a prefix (a name being
    typed: « Dupon » finds « Dupont »). Prefixes only there: each one makes the GIN index gather every word
    it starts (« factur » → facture, factures, facturation…), ten times slower on a large city's index."""
    last = len(words) - 1
    return " & ".join(
        f"{word}:*" if index == last and len(word) >= PREFIX_MIN_LENGTH else word for index, word in enumerate(words)
    )


def _tsquery(words):
    return SearchQuery(tsquery_text(words), search_type="raw", config=POSTGRESQL_CONFIG)


def _bigint(value):
    # `organisation_id = 4` compares bigint with integer, an operator btree_gin's GIN opclass lacks: the index would
    # then be read for the words of every collectivité. Cast to bigint, both conditions go into the index scan.
    return Cast(Value(value), output_field=BigIntegerField())


def _postgresql_search(visible, organisation, words):
    query = _tsquery(words)
    return (
        visible.filter(search__organisation_id=_bigint(organisation.pk), search__vector=query)
        .annotate(search_rank=SearchRank(F("search__vector"), query))
        .order_by("-search_rank", "-submitted_at", "-pk")
    )


def _fallback_search(visible, organisation, words):
    matches, rank = Q(), Value(0, output_field=IntegerField())
    for word in words:
        pattern = f" {light_stem(word)}" if len(word) >= PREFIX_MIN_LENGTH else f" {word} "
        in_identity, in_content = Q(search__identity__contains=pattern), Q(search__content__contains=pattern)
        matches &= in_identity | in_content
        rank = rank + Case(When(in_identity, then=Value(2)), When(in_content, then=Value(1)), default=Value(0),
                           output_field=IntegerField())
    return (
        visible.filter(search__organisation=organisation).filter(matches)
        .annotate(search_rank=rank)
        .order_by("-search_rank", "-submitted_at", "-pk")
    )


# ---------------------------------------------------------------------------------------------------------------
# The index


def reindex_request(service_request):
    """Bring the index row of one request (instance or pk) up to date, in the caller's transaction."""
    reindex_ids([getattr(service_request, "pk", service_request)])


def reindex_ids(request_ids):
    """Bring the index rows of these requests up to date (rows of requests no longer submitted are dropped)."""
    request_ids = list(request_ids)
    if not request_ids:
        return 0
    rows = list(ServiceRequest.objects.filter(pk__in=request_ids, state=ServiceRequest.State.SUBMITTED)
                .values(*REQUEST_VALUES))
    gone = set(request_ids) - {row["pk"] for row in rows}
    if gone:
        RequestSearch.objects.filter(request_id__in=gone).delete()
    _index_rows(rows, {})
    return len(rows)


def reindex_requests(organisation=None, batch_size=BATCH_SIZE, progress=None):
    """(Re)build the index of every submitted request (of `organisation`, else of all), `batch_size` requests per
    transaction (keyset on the primary key); `progress(count so far)` after each batch → how many were indexed.

    The whole index (no `organisation`) on PostgreSQL is rebuilt without its GIN index, created again at the end
    (building it once is much faster than updating it row by row): searches meanwhile are slower, not wrong. The
    index is created again even when the rebuild fails; running the command again repairs an interrupted one."""
    requests = ServiceRequest.objects.filter(state=ServiceRequest.State.SUBMITTED)
    stale = RequestSearch.objects.exclude(request__state=ServiceRequest.State.SUBMITTED)
    if organisation is not None:
        requests, stale = requests.of(organisation), stale.of(organisation)
    stale.delete()
    postgresql = connection.vendor == "postgresql"
    if postgresql and organisation is None:
        _drop_gin_index()
    versions, last, total = {}, 0, 0
    try:
        while True:
            rows = list(requests.filter(pk__gt=last).order_by("pk").values(*REQUEST_VALUES)[:batch_size])
            if not rows:
                break
            with transaction.atomic():
                _index_rows(rows, versions)
            last, total = rows[-1]["pk"], total + len(rows)
            if progress is not None:
                progress(total)
    finally:
        if postgresql:
            _create_gin_index()
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {RequestSearch._meta.db_table}")
    return total


GIN_INDEX = "search_request_org_vector_gin"  # created by migration 0002


def _drop_gin_index():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")


def _create_gin_index():
    outer = connection.in_atomic_block  # called inside the caller's transaction (tests, scripts)
    with transaction.atomic(), connection.cursor() as cursor:
        if outer:
            # PostgreSQL refuses CREATE INDEX on a table with deferred foreign-key checks pending: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON {RequestSearch._meta.db_table} "
            "USING gin (organisation_id, vector)"
        )
        if outer:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _index_rows(rows, versions):
    """Write the index rows of `rows` (values of REQUEST_VALUES); `versions` caches {version id: (title, plan)}."""
    if not rows:
        return
    from guichet.procedures.models import ProcedureVersion

    missing = {row["version_id"] for row in rows} - versions.keys()
    if missing:
        for version in ProcedureVersion.objects.filter(pk__in=missing).values("pk", "title", "form"):
            versions[version["pk"]] = (version["title"], form_plan(version["form"]))
    texts = defaultdict(list)
    events = (
        RequestEvent.objects.filter(request_id__in=[row["pk"] for row in rows], kind__in=TEXT_EVENT_KINDS)
        .exclude(text="").order_by("request_id", "at", "pk").values_list("request_id", "text")
    )
    for request_id, text in events:
        texts[request_id].append(text)
    entries = []
    for row in rows:
        title, plan = versions.get(row["version_id"], ("", []))
        identity, content = request_texts(row, plan, title, texts[row["pk"]])
        entries.append((row["pk"], row["organisation_id"], identity, content))
    if connection.vendor == "postgresql":
        _write_postgresql(entries)
    else:
        RequestSearch.objects.bulk_create(
            [RequestSearch(request_id=pk, organisation_id=organisation_id, identity=identity, content=content)
             for pk, organisation_id, identity, content in entries],
            update_conflicts=True, unique_fields=["request"],
            update_fields=["organisation", "identity", "content", "updated_at"],
        )


def _write_postgresql(entries):
    """One INSERT … ON CONFLICT for the whole batch, the tsvector computed by PostgreSQL from the folded texts."""
    table = connection.ops.quote_name(RequestSearch._meta.db_table)
    sql = f"""
        INSERT INTO {table} (request_id, organisation_id, identity, content, vector, updated_at)
        SELECT e.request_id, e.organisation_id, e.identity, e.content,
               setweight(to_tsvector(%s::regconfig, e.identity), 'A')
               || setweight(to_tsvector(%s::regconfig, e.content), 'C'),
               now()
        FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[])
             AS e(request_id, organisation_id, identity, content)
        ON CONFLICT (request_id) DO UPDATE SET
            organisation_id = EXCLUDED.organisation_id, identity = EXCLUDED.identity, content = EXCLUDED.content,
            vector = EXCLUDED.vector, updated_at = EXCLUDED.updated_at
    """
    columns = list(zip(*entries))
    with connection.cursor() as cursor:
        cursor.execute(sql, [POSTGRESQL_CONFIG, POSTGRESQL_CONFIG, *[list(column) for column in columns]])
