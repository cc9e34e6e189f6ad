"""The normalised form of an address, the same in Python, in SQLite and in PostgreSQL.

Two addresses are « la même » when they have the same key: lower case, accents folded, punctuation turned into
spaces, runs of spaces collapsed, the usual abbreviations of street types spelt out (« av. » → « avenue »):
« 3, Av. de l'Église » → « 3 avenue de l eglise ».

Queries first compare the digits of the addresses (`address_digits`, cheap), then the key.
In SQL the key is the function `guichet_address_key(text)`: on SQLite it is this module's Python function,
registered on every new connection (apps.ready); on PostgreSQL a SQL function created by the app's migration
from the same tables (`postgresql_function_sql`), IMMUTABLE so it may be indexed later.
"""

import re

from django.db.models import CharField, Func

FUNCTION_NAME = "guichet_address_key"
DIGITS_FUNCTION_NAME = "guichet_address_digits"
_DIGITS = re.compile(r"[0-9]+")

# One character → one character (separators become spaces); upper-case forms are listed too because
# PostgreSQL's lower() leaves them as they are under the C locale.
FOLDED = {
    "é": "e", "è": "e", "ê": "e", "ë": "e", "É": "e", "È": "e", "Ê": "e", "Ë": "e",
    "à": "a", "â": "a", "ä": "a", "á": "a", "À": "a", "Â": "a", "Ä": "a", "Á": "a",
    "î": "i", "ï": "i", "í": "i", "Î": "i", "Ï": "i", "Í": "i",
    "ô": "o", "ö": "o", "ó": "o", "Ô": "o", "Ö": "o", "Ó": "o",
    "û": "u", "ù": "u", "ü": "u", "ú": "u", "Û": "u", "Ù": "u", "Ü": "u", "Ú": "u",
    "ç": "c", "Ç": "c", "ñ": "n", "Ñ": "n", "ÿ": "y", "Ÿ": "y",
    ",": " ", ".": " ", "-": " ", "'": " ", "’": " ", "/": " ", ";": " ", "(": " ", ")": " ", '"': " ",
    "«": " ", "»": " ", "\u00a0": " ",
}
# One character → two.
LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"}
ABBREVIATIONS = {
    "av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard", "bvd": "boulevard", "pl": "place",
    "r": "rue", "imp": "impasse", "chem": "chemin", "che": "chemin", "rte": "route", "all": "allee",
    "sq": "square", "fg": "faubourg", "fbg": "faubourg", "st": "saint", "ste": "sainte", "res": "residence",
    "qu": "quai", "crs": "cours", "lot": "lotissement",
}
_TABLE = str.maketrans({**FOLDED, **LIGATURES})


def normalise_address(address):
    """The key of an address ("" for none)."""
    words = (address or "").lower().translate(_TABLE).split()
    return " ".join(ABBREVIATIONS.get(word, word) for word in words)


def address_digits(address):
    """The runs of digits of an address, space-separated (« 3 54470 »): the same for an address and its key, and
    cheap to compute in SQL, so queries compare them first and compute the key only where they agree."""
    return " ".join(_DIGITS.findall(address or ""))


class AddressDigits(Func):
    """`address_digits(<expression>)` in a query: a regular expression on PostgreSQL, Python on SQLite."""

    function = DIGITS_FUNCTION_NAME
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="btrim",
                           template="btrim(regexp_replace(%(expressions)s, '[^0-9]+', ' ', 'g'), ' ')", **extra_context)


class AddressKey(Func):
    """`guichet_address_key(<expression>)` in a query."""

    function = FUNCTION_NAME
    output_field = CharField()


def register_sqlite_function(sender, connection, **kwargs):
    """`connection_created` receiver: SQLite gets the Python function under its SQL name."""
    if connection.vendor == "sqlite" and connection.connection is not None:
        connection.connection.create_function(
            FUNCTION_NAME, 1, lambda value: normalise_address(value) if value is not None else None,
            deterministic=True,
        )
        connection.connection.create_function(
            DIGITS_FUNCTION_NAME, 1, lambda value: address_digits(value) if value is not None else None,
            deterministic=True,
        )


def _literal(text):
    return "'" + text.replace("'", "''") + "'"


def postgresql_function_sql():
    """CREATE FUNCTION of the PostgreSQL twin of `normalise_address`: one expression (no subquery), so that the
    planner inlines it; the abbreviations are replaced between spaces (lookarounds), like Python's words."""
    source = "".join(FOLDED)
    target = "".join(FOLDED.values())
    folded = f"translate(lower(value), {_literal(source)}, {_literal(target)})"
    for ligature, letters in LIGATURES.items():
        folded = f"replace({folded}, {_literal(ligature)}, {_literal(letters)})"
    expression = f"' ' || regexp_replace({folded}, '\\s+', ' ', 'g') || ' '"
    by_word = {}
    for short, long in ABBREVIATIONS.items():
        by_word.setdefault(long, []).append(short)
    for long, shorts in by_word.items():
        pattern = "(?<= )(" + "|".join(shorts) + ")(?= )"
        expression = f"regexp_replace({expression}, {_literal(pattern)}, {_literal(long)}, 'g')"
    return f"""
CREATE OR REPLACE FUNCTION {FUNCTION_NAME}(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $function$
  SELECT btrim({expression}, ' ')
$function$;
"""
