"""Text as the search index and the search box see it: the same folding on both sides, on both databases.

- accents and case do not matter: « École », « ecole » and « ÉCOLE » are the same word (`fold`);
- punctuation separates words: an e-mail address is its words (« camille martin example org »), a tracking
  code its groups (« rq 7k4m 2p9x »);
- a phone number in any French format (06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78, 0033612345678)
  becomes one word, its digits in national format (« 0612345678 », `phone_token`).

Folding in Python rather than with PostgreSQL's `unaccent` keeps the two databases identical and needs no
extension nor immutable wrapper; PostgreSQL's French stemmer then works on the folded words (document and query
alike). SQLite has no stemmer: `light_stem` cuts the usual French endings of the query's words, which then
match the start of the index's words.
"""

import functools
import re
import unicodedata

import phonenumbers

LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
WORD = re.compile(r"[^\W_]+")
# A run of 9 to 15 digits, possibly after + or 00, separated by spaces, dots, dashes or brackets.
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[ .\-/()]{0,2}\d){8,14}(?![\w])")

# Words too common to search for (PostgreSQL's French configuration ignores them as well).
STOP_WORDS = frozenset(
    "au aux avec ce ces dans de des du elle en et eux il je la le les leur lui ma mais me meme mes moi mon ne "
    "nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous "
    "c d j l m n s t y".split()
)

# Endings cut from the query's words on SQLite (longest first); the stem keeps at least 4 letters.
ENDINGS = sorted((
    "issements", "issement", "ations", "ation", "ements", "ement", "ences", "ence", "ances", "ance", "ables",
    "able", "euses", "euse", "eurs", "eur", "ees", "ee", "ers", "er", "ez", "es", "e", "s", "x",
), key=len, reverse=True)
MIN_STEM = 4


def _strip_marks(char):
    decomposed = unicodedata.normalize("NFKD", char.translate(LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().translate(LIGATURES)


# Latin letters with accents (and ligatures), folded once: most texts need nothing else.
FOLD_TABLE = str.maketrans({chr(code): _strip_marks(chr(code)) for code in range(0xC0, 0x250)})


def fold(text):
    """Lower case without accents or ligatures."""
    text = str(text or "").translate(FOLD_TABLE).lower()
    if text.isascii():
        return text
    return "".join(_strip_marks(char) if not char.isascii() else char for char in text)


def phone_token(value):
    """The digits of a phone number in national format (« 0612345678 »), or None when it cannot be one."""
    if not value:
        return None
    if isinstance(value, phonenumbers.PhoneNumber):
        value = phonenumbers.format_number(value, phonenumbers.PhoneNumberFormat.E164)
    text = str(value).strip()
    digits = "".join(char for char in text if char.isdigit())
    # The usual French forms without the (slower) general parser: 0X XX XX XX XX, +33 X XX…, 0033 X XX…
    if len(digits) == 10 and digits[0] == "0" and digits[1] != "0" and not text.startswith("+"):
        return digits
    national = digits[4:] if digits.startswith("0033") else digits[2:] if text.startswith("+33") else None
    if national is not None:
        national = national[1:] if national.startswith("0") else national  # +33 (0)6…
        if len(national) == 9:
            return "0" + national
    return _parsed_phone_token(text)


@functools.lru_cache(maxsize=4096)
def _parsed_phone_token(text):
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(char for char in national if char.isdigit()) or None


def index_words(text):
    """The words of `text` as the index keeps them, in order: phone numbers as one word each, folded words."""
    text = str(text or "")
    words, start = [], 0
    for match in PHONE.finditer(text):
        token = phone_token(match.group(0))
        if token is not None:
            words.extend(WORD.findall(fold(text[start:match.start()])))
            words.append(token)
            start = match.end()
    words.extend(WORD.findall(fold(text[start:])))
    return words


def index_text(*parts):
    """The stored form of some texts: their words separated by single spaces, with a space at both ends."""
    # One pass over all the parts (a line break never joins two parts' digits into a phone number).
    words = index_words("\n".join(str(part) for part in parts if part))
    return f" {' '.join(words)} " if words else ""


def light_stem(word):
    """`word` without its usual French ending (SQLite fallback; digits and short words are kept whole)."""
    if not word.isalpha() or len(word) <= MIN_STEM:
        return word
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word
