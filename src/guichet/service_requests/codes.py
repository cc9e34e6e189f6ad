"""Tracking codes of requests: `RQ-7K4M-2P9X`.

Eight characters of Crockford's base32 alphabet (digits and capitals without I, L, O and U, so that nobody
mistakes 1 for I or L, 0 for O, and no word slips in), in two groups of four after `RQ-`. The first seven are
random (32⁷ ≈ 34 billion codes); the eighth is a check character chosen so that the sum of the eight values,
the i-th multiplied by αⁱ in the finite field GF(32) (α a root of x⁵ + x² + 1), is zero. Any single mistyped
character and any swap of two different neighbouring characters (the check character included) breaks that
sum, so such mistakes are detected before the database is even asked.

Typed codes are read kindly: lower case, spaces, missing dashes and the look-alike letters (I and L for 1,
O for 0) are accepted by `normalise_tracking_code`.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "RQ-"
BODY_LENGTH = 7
LOOK_ALIKES = {"I": "1", "L": "1", "O": "0"}


POLYNOMIAL = 0b100101  # x⁵ + x² + 1, primitive over GF(2)


def _multiply(a, b):
    """Product in GF(32) (elements are 5-bit integers)."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= POLYNOMIAL
    return product


POWERS = [1]  # POWERS[i] = αⁱ
for _ in range(31):
    POWERS.append(_multiply(POWERS[-1], 2))
INVERSE = {a: b for a in range(1, 32) for b in range(1, 32) if _multiply(a, b) == 1}


def _syndrome(chars):
    total = 0
    for position, char in enumerate(chars):
        total ^= _multiply(ALPHABET.index(char), POWERS[position + 1])
    return total


def check_character(body):
    """The character that completes the seven characters of `body` into a valid code."""
    # v₈·α⁸ must cancel the body's sum (addition is XOR, so the sum itself).
    return ALPHABET[_multiply(_syndrome(body), INVERSE[POWERS[BODY_LENGTH + 1]])]


def new_tracking_code():
    """A new random code such as `RQ-7K4M-2P9X` (uniqueness is ensured by the caller / the database)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    chars = body + check_character(body)
    return f"{PREFIX}{chars[:4]}-{chars[4:]}"


def normalise_tracking_code(text):
    """The canonical form of a typed code, or None when it cannot be a valid code."""
    if not isinstance(text, str):
        return None
    chars = "".join(text.split()).upper().replace("-", "")
    if chars.startswith("RQ"):
        chars = chars[2:]
    chars = "".join(LOOK_ALIKES.get(char, char) for char in chars)
    if len(chars) != BODY_LENGTH + 1 or any(char not in ALPHABET for char in chars):
        return None
    if _syndrome(chars):
        return None
    return f"{PREFIX}{chars[:4]}-{chars[4:]}"


def is_valid_tracking_code(text):
    """True when `text` is a well-formed code in its canonical form (`RQ-XXXX-XXXX`, right check character)."""
    return isinstance(text, str) and normalise_tracking_code(text) == text
