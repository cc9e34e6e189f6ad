"""Full-text search of the sheets, fast enough to type into from the call screen.

`search_sheets(organisation, text, *, public_only=False, limit=20)` → list of `Sheet` (theme and service
loaded), best first; a text that cannot be searched gives []. `parse_words(text)` gives the words searched or
raises `SearchTextError` with the French reason (the pages show it).

The text is folded the way `guichet.search` folds requests (`guichet.search.text`: lower case, no accents,
punctuation separates words), the same on both databases, so « ecole » finds « École » without PostgreSQL's
unaccent.

- PostgreSQL: `Sheet.vector` = setweight(to_tsvector('french', title), 'A') || setweight(…answer…, 'B') ||
  setweight(…theme…, 'C'), written with the sheet (`reindex_sheets`) and searched through the GIN index
  (organisation_id, vector) (migration 0002, btree_gin, organisation typed bigint like `guichet.search`).
  Every word of three letters or more is also a prefix (`graff:*` finds « graffitis »): the sheets of one
  collectivité are few (thousands, not millions like requests), so prefixes on every word stay cheap and
  suit a search typed while the citizen talks. Ranked by ts_rank, then the most recently updated.
- SQLite: every word (its usual French ending cut, `light_stem`) must start a word of the title or of the
  answer (LIKE '% word%'); ranked by the words found in the title, then the most recent.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import BigIntegerField, Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from guichet.search.services import MIN_WORD_LENGTH, POSTGRESQL_CONFIG, PREFIX_MIN_LENGTH
from guichet.search.text import STOP_WORDS, index_text, index_words, light_stem

from .models import Sheet
from .richtext import plain_text

MAX_QUERY_LENGTH = 200
MAX_WORDS = 10
MAX_LIMIT = 100


class SearchTextError(ValueError):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def parse_words(text):
    """The folded words of a search box's text (at most MAX_WORDS), or SearchTextError (French)."""
    text = (text if isinstance(text, str) else "").strip()
    if not text:
        raise SearchTextError(_("Saisissez un ou plusieurs mots de la question, par exemple « graffitis »."))
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchTextError(
            _("La recherche est trop longue : %(max)s caractères au plus (vous en avez saisi %(count)s).")
            % {"max": MAX_QUERY_LENGTH, "count": len(text)}
        )
    words = []
    for word in index_words(text):
        if len(word) >= MIN_WORD_LENGTH and word not in STOP_WORDS and word not in words:
            words.append(word)
    if not words:
        raise SearchTextError(_(
            "Saisissez au moins un mot de deux lettres ou chiffres (les mots très courants comme « de » ou « la » "
            "ne comptent pas)."
        ))
    return words[:MAX_WORDS]


def search_sheets(organisation, text, *, public_only=False, limit=20):
    """The sheets of `organisation` (public ones only when `public_only`) matching every word of `text`."""
    try:
        words = parse_words(text)
    except SearchTextError:
        return []
    return best_sheets(organisation, words, public_only=public_only, limit=limit)


def best_sheets(organisation, words, *, public_only=False, limit=20):
    """The `limit` best sheets matching `words`, theme and service loaded. Two queries: the ranked ids (the
    ranking reads only the index and the vectors, not the rows' joins), then those rows."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    ids = list(matching_sheets(organisation, words, public_only=public_only, related=False)
               .values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    rows = Sheet.objects.of(organisation).filter(pk__in=ids).select_related("theme", "service").defer(
        "vector", "index_title", "index_answer").in_bulk()
    return [rows[pk] for pk in ids if pk in rows]


def matching_sheets(organisation, words, *, public_only=False, related=True):
    """Ordered queryset of the sheets matching all `words` (as `parse_words` gives them)."""
    if organisation is None or not words:
        return Sheet.objects.none()
    if connection.vendor == "postgresql":
        query = SearchQuery(tsquery_text(words), search_type="raw", config=POSTGRESQL_CONFIG)
        sheets = (
            # Typed bigint: btree_gin's operator class, so that one GIN scan applies both conditions.
            Sheet.objects.filter(organisation_id=Cast(Value(organisation.pk), output_field=BigIntegerField()),
                                 vector=query)
            .annotate(search_rank=SearchRank(F("vector"), query))
        )
    else:
        matches, rank = Q(), Value(0, output_field=IntegerField())
        for word in words:
            pattern = f" {light_stem(word)}" if len(word) >= PREFIX_MIN_LENGTH else f" {word} "
            in_title = Q(index_title__contains=pattern)
            matches &= in_title | Q(index_answer__contains=pattern)
            rank = rank + Case(When(in_title, then=Value(1)), default=Value(0), output_field=IntegerField())
        sheets = Sheet.objects.of(organisation).filter(matches).annotate(search_rank=rank)
    if public_only:
        sheets = sheets.filter(is_public=True)
    if related:
        sheets = sheets.select_related("theme", "service").defer("vector")
    return sheets.order_by("-search_rank", "-updated_at", "-pk")


def search_results(organisation, text, *, public_only=False, limit=20):
    """(results, error): the sheets found (at most `limit`), or the French reason why `text` cannot be searched
    (None when the box is empty and nothing was asked)."""
    if not (text or "").strip():
        return [], None
    try:
        words = parse_words(text)
    except SearchTextError as error:
        return [], error.message
    return best_sheets(organisation, words, public_only=public_only, limit=limit), None


def tsquery_text(words):
    """A raw tsquery of letters and digits only (no operator can slip in): every word required, those of
    PREFIX_MIN_LENGTH characters or more also as prefixes."""
    return " & ".join(f"{word}:*" if len(word) >= PREFIX_MIN_LENGTH else word for word in words)


# --- the index ---------------------------------------------------------------------------------------------


def index_fields(sheet):
    """Set the folded texts of `sheet` (not saved): its question, its answer's words."""
    sheet.index_title = index_text(sheet.question)
    sheet.index_answer = index_text(plain_text(sheet.answer))


def reindex_sheets(sheet_ids):
    """Write the PostgreSQL vectors of these sheets from their folded texts and theme (nothing on SQLite)."""
    sheet_ids = list(sheet_ids)
    if connection.vendor != "postgresql" or not sheet_ids:
        return
    table = connection.ops.quote_name(Sheet._meta.db_table)
    # The theme's words are folded in Python (like the title and answer) and passed per theme.
    themes = dict(Sheet.objects.filter(pk__in=sheet_ids).values_list("theme_id", "theme__name").distinct())
    theme_ids = list(themes)
    theme_texts = [index_text(themes[pk]) for pk in theme_ids]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS s SET vector =
                setweight(to_tsvector(%s::regconfig, s.index_title), 'A')
                || setweight(to_tsvector(%s::regconfig, s.index_answer), 'B')
                || setweight(to_tsvector(%s::regconfig, t.text), 'C')
            FROM unnest(%s::bigint[], %s::text[]) AS t(theme_id, text)
            WHERE s.id = ANY(%s) AND s.theme_id = t.theme_id
            """,
            [POSTGRESQL_CONFIG, POSTGRESQL_CONFIG, POSTGRESQL_CONFIG, theme_ids, theme_texts, sheet_ids],
        )


def reindex_theme(theme):
    """A theme renamed: the vectors of its sheets (its words weigh C)."""
    reindex_sheets(Sheet.objects.of(theme.organisation).filter(theme=theme).values_list("pk", flat=True))
