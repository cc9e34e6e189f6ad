"""GSM 03.38 (3GPP TS 23.038): which alphabet an SMS needs, how many segments it takes, where it is cut.

- A text made only of characters of the GSM 7-bit default alphabet (+ its basic extension table, whose
  characters ``^ { } \\ [ ~ ] | €`` take two septets: escape + character) is sent in GSM 7-bit:
  160 septets in a single SMS, 153 per part once concatenated (the user-data header takes the rest).
- Any other character switches the whole message to UCS-2: 70 UTF-16 code units single, 67 per part.
  A character outside the Basic Multilingual Plane (most emoji) is a surrogate pair: 2 units.

Parts are cut so that neither an escape pair nor a surrogate pair is split across two SMS.
"""

import unicodedata
from dataclasses import dataclass

GSM = "gsm"
UCS2 = "ucs2"

# Basic character set (the 128 code points; the escape 0x1B is not a character of its own).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Basic character set extension table: each one is sent as escape + character, so it counts double.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

LIMITS = {GSM: (160, 153), UCS2: (70, 67)}

# Common French (and typographic) characters outside GSM, with their closest GSM spelling.
FRENCH_TO_GSM = {
    "ç": "Ç", "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ë": "e", "ï": "i", "ÿ": "y",
    "á": "a", "í": "i", "ó": "o", "ú": "u",
    "À": "A", "Â": "A", "È": "E", "Ê": "E", "Ë": "E", "Î": "I", "Ï": "I", "Ô": "O", "Ù": "U", "Û": "U",
    "Ÿ": "Y", "œ": "oe", "Œ": "OE",
    "«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "’": "'", "‘": "'", "‚": "'", "′": "'",
    "–": "-", "—": "-", "‐": "-", "‑": "-", "…": "...", "•": "-",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\t": " ",
}


@dataclass(frozen=True)
class SegmentInfo:
    """How a text travels as SMS.

    ``characters`` is what the text occupies in its encoding: septets for GSM (an extension character
    counts 2), UTF-16 code units for UCS-2 (an emoji counts 2). ``parts`` are the texts of the SMS sent.
    """

    encoding: str
    characters: int
    segments: int
    parts: tuple[str, ...]

    @property
    def is_gsm(self):
        return self.encoding == GSM

    @property
    def per_segment(self):
        single, multi = LIMITS[self.encoding]
        return single if self.segments <= 1 else multi

    @property
    def remaining(self):
        """Characters left in the last segment before another one is needed."""
        single, multi = LIMITS[self.encoding]
        if self.characters <= single:
            return single - self.characters
        return self.segments * multi - self.characters


def is_gsm_char(char):
    return char in GSM_BASIC or char in GSM_EXTENSION


def is_gsm(text):
    return all(is_gsm_char(char) for char in text)


def char_cost(char, encoding):
    """Septets (GSM) or UTF-16 code units (UCS-2) one character takes."""
    if encoding == GSM:
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def segment_info(text):
    """Encoding, size, segment count and parts of `text` sent as SMS."""
    text = text or ""
    encoding = GSM if is_gsm(text) else UCS2
    single, multi = LIMITS[encoding]
    costs = [char_cost(char, encoding) for char in text]
    total = sum(costs)
    if total <= single:
        return SegmentInfo(encoding, total, 1 if text else 0, (text,) if text else ())
    parts, current, used = [], [], 0
    for char, cost in zip(text, costs, strict=True):
        if used + cost > multi:  # a double character that does not fit whole goes to the next part
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += cost
    if current:
        parts.append("".join(current))
    return SegmentInfo(encoding, total, len(parts), tuple(parts))


def transliterate_to_gsm(text):
    """`text` with the characters GSM lacks replaced by their closest GSM spelling where there is one.

    French accents outside GSM (â, ê, î, ô, û, ë, ï, œ, « »…) become plain letters or quotes, so a French
    message keeps 160 characters per SMS; characters with no sensible GSM spelling (emoji, other scripts)
    are kept, and the message then goes as UCS-2.
    """
    out = []
    for char in text or "":
        if is_gsm_char(char):
            out.append(char)
        elif char in FRENCH_TO_GSM:
            out.append(FRENCH_TO_GSM[char])
        else:
            stripped = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(stripped if stripped and is_gsm(stripped) else char)
    return "".join(out)
