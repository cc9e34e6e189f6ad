"""Tracking codes: short, unambiguous, self-checking."""

import re

from guichet.service_requests.codes import (
    ALPHABET,
    check_character,
    is_valid_tracking_code,
    new_tracking_code,
    normalise_tracking_code,
)

CODE = re.compile(r"^RQ-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def test_new_codes_have_the_documented_shape_and_no_ambiguous_letter():
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert CODE.match(code), code
        assert not set(code[3:].replace("-", "")) & set("ILOU")
        assert is_valid_tracking_code(code)


def test_every_single_character_mistake_is_detected():
    for body in ["0000000", "ZZZZZZZ", "0Z0Z0Z0", *(new_tracking_code()[3:].replace("-", "")[:7] for _ in range(30))]:
        chars = body + check_character(body)
        assert is_valid_tracking_code(f"RQ-{chars[:4]}-{chars[4:]}")
        for position in range(8):
            for other in ALPHABET:
                if other == chars[position]:
                    continue
                typo = chars[:position] + other + chars[position + 1:]
                assert not is_valid_tracking_code(f"RQ-{typo[:4]}-{typo[4:]}")


def test_swapping_two_neighbours_is_detected():
    for _ in range(200):
        chars = new_tracking_code()[3:].replace("-", "")
        for position in range(7):
            if chars[position] == chars[position + 1]:
                continue
            swapped = chars[:position] + chars[position + 1] + chars[position] + chars[position + 2:]
            assert normalise_tracking_code(swapped) is None


def test_typed_codes_are_read_kindly():
    body = "7K4M2P9"
    code = f"RQ-7K4M-2P9{check_character(body)}"
    assert is_valid_tracking_code(code)
    assert normalise_tracking_code(code.lower()) == code
    assert normalise_tracking_code(" rq 7k4m 2p9" + check_character(body).lower() + " ") == code
    assert normalise_tracking_code("7K4M2P9" + check_character(body)) == code
    # Look-alike letters: I and L read as 1, O as 0.
    body_with_ones = "1K0M2P9"
    canonical = f"RQ-1K0M-2P9{check_character(body_with_ones)}"
    assert normalise_tracking_code(f"RQ-IKOM-2P9{check_character(body_with_ones)}") == canonical
    assert normalise_tracking_code(f"rq-lkom-2p9{check_character(body_with_ones)}") == canonical
    # …but only the canonical spelling is "valid" as a stored code.
    assert not is_valid_tracking_code(code.lower())


def test_garbage_is_refused():
    for text in ["", "RQ-", "RQ-1234", "RQ-1234-56789", "RQ-UUUU-UUUU", "RQ-12*4-5678", None, 42, "RQ-ÉÉÉÉ-ÉÉÉÉ"]:
        assert normalise_tracking_code(text) is None
        assert not is_valid_tracking_code(text)
