"""Text normalisation for accent- and case-insensitive search, identical on SQLite and PostgreSQL."""

import re
import unicodedata


def normalise(text):
    """Lower case, without accents or punctuation, single spaces: « Réclamation — Élus » → « reclamation elus »."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    stripped = stripped.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    return re.sub(r"[\W_]+", " ", stripped.lower()).strip()


def search_terms(query):
    return [term for term in normalise(query).split(" ") if term]
