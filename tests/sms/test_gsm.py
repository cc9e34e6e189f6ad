"""GSM 03.38: alphabet, segment counts at the 160/161 and 70/71 boundaries, parts never split a pair."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guichet.sms.gsm import GSM, GSM_BASIC, GSM_EXTENSION, UCS2, is_gsm, segment_info, transliterate_to_gsm


def test_alphabet_tables_have_the_standard_sizes():
    assert len(GSM_BASIC) == 127  # 128 code points, one of which is the escape to the extension table
    assert GSM_EXTENSION == set("\f^{}\\[~]|€")


@pytest.mark.parametrize(("text", "encoding", "characters", "segments"), [
    ("", GSM, 0, 0),
    ("Bonjour", GSM, 7, 1),
    ("a" * 160, GSM, 160, 1),
    ("a" * 161, GSM, 161, 2),
    ("a" * 306, GSM, 306, 2),
    ("a" * 307, GSM, 307, 3),
    ("€" * 80, GSM, 160, 1),  # the euro sign takes two septets
    ("€" * 80 + "a", GSM, 161, 2),
    ("a" * 159 + "€", GSM, 161, 2),
    ("[~]|^{}\\", GSM, 16, 1),
    ("Votre rendez-vous à la mairie est confirmé : mardi à 10 h. Où ? Accueil, 1er étage.", GSM, 83, 1),
    ("Ç", GSM, 1, 1),
    ("ç", UCS2, 1, 1),  # only the capital is in GSM
    ("ê" * 70, UCS2, 70, 1),
    ("ê" * 71, UCS2, 71, 2),
    ("ê" * 134, UCS2, 134, 2),
    ("ê" * 135, UCS2, 135, 3),
    ("Rendez-vous « confirmé »", UCS2, 24, 1),
    ("œ", UCS2, 1, 1),
    ("🙂", UCS2, 2, 1),  # an emoji is a surrogate pair: two UTF-16 code units
    ("🙂" * 35, UCS2, 70, 1),
    ("🙂" * 35 + "a", UCS2, 71, 2),
    ("a" * 69 + "🙂", UCS2, 71, 2),
    ("Merci 👍 à bientôt", UCS2, 18, 1),
])
def test_encoding_size_and_segments(text, encoding, characters, segments):
    info = segment_info(text)
    assert (info.encoding, info.characters, info.segments) == (encoding, characters, segments)
    assert "".join(info.parts) == text
    assert len(info.parts) == segments


def test_escape_pair_is_not_split_across_parts():
    info = segment_info("a" * 152 + "€" + "b" * 10)  # the euro would straddle septets 153 and 154
    assert info.parts[0] == "a" * 152
    assert info.parts[1].startswith("€")
    assert info.segments == 2


def test_surrogate_pair_is_not_split_across_parts():
    info = segment_info("a" * 66 + "🙂" + "b" * 10)  # the emoji would straddle units 67 and 68
    assert info.parts[0] == "a" * 66
    assert info.parts[1].startswith("🙂")


def test_remaining_characters():
    assert segment_info("a" * 150).remaining == 10
    assert segment_info("a" * 200).remaining == 106
    assert segment_info("ê" * 60).remaining == 10


def test_transliteration_keeps_french_text_in_gsm():
    text = "Votre dossier « carte d'identité » est prêt : retrait à l’accueil, côté Œuvre, façade sud…"
    result = transliterate_to_gsm(text)
    assert result == 'Votre dossier " carte d\'identité " est pret : retrait à l\'accueil, coté OEuvre, faÇade sud...'
    assert is_gsm(result)
    assert segment_info(result).encoding == GSM


def test_transliteration_maps_the_listed_characters():
    assert transliterate_to_gsm("âêîôûëïœçÂÊÎÔÛ") == "aeiouei" + "oeÇAEIOU"
    assert transliterate_to_gsm("10\u202f€\u00a0!") == "10 € !"


def test_transliteration_keeps_what_has_no_gsm_spelling():
    assert transliterate_to_gsm("Merci 🙂 Привет") == "Merci 🙂 Привет"
    assert transliterate_to_gsm("éèàùÉ") == "éèàùÉ"  # already GSM


@given(st.text(max_size=600))
def test_parts_rebuild_the_text_and_respect_the_limits(text):
    info = segment_info(text)
    assert "".join(info.parts) == text
    per_part = 153 if info.encoding == GSM else 67
    single = 160 if info.encoding == GSM else 70
    if info.segments > 1:
        assert info.characters > single
        for part in info.parts:
            size = segment_info(part).characters if info.encoding == GSM else sum(
                2 if ord(c) > 0xFFFF else 1 for c in part)
            assert 0 < size <= per_part
    else:
        assert info.characters <= single


@given(st.text(alphabet=st.sampled_from(sorted(GSM_BASIC | GSM_EXTENSION)), max_size=500))
def test_gsm_texts_are_counted_in_septets(text):
    info = segment_info(text)
    assert info.encoding == GSM
    assert info.characters == len(text) + sum(1 for c in text if c in GSM_EXTENSION)


@given(st.text(max_size=300))
def test_transliteration_is_idempotent_and_never_grows_the_segment_count_much(text):
    once = transliterate_to_gsm(text)
    assert transliterate_to_gsm(once) == once
    if is_gsm(once):
        assert segment_info(once).encoding == GSM
