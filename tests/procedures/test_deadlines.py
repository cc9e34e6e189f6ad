"""Processing deadlines: calendar days, working days across weekends and French public holidays."""

import datetime

import pytest

from guichet.procedures.models import DeadlineUnit, Procedure
from guichet.procedures.services import deadline_for, deadline_in_words, silence_in_words, working_days_after
from tests.conftest import make_organisation

D = datetime.date


def procedure(organisation, amount, unit):
    return Procedure(organisation=organisation, title="Test", deadline_amount=amount, deadline_unit=unit)


def test_calendar_days_count_every_day(organisation):
    # Friday 3 July 2026 + 10 calendar days = Monday 13 July, weekends included.
    assert deadline_for(procedure(organisation, 10, DeadlineUnit.CALENDAR_DAYS), D(2026, 7, 3)) == D(2026, 7, 13)
    # Holidays do not stop the calendar: 14 July is counted.
    assert deadline_for(procedure(organisation, 1, DeadlineUnit.CALENDAR_DAYS), D(2026, 7, 13)) == D(2026, 7, 14)


def test_working_days_skip_the_weekend(organisation):
    # Friday 2 October 2026 + 1 working day = Monday 5 October.
    assert working_days_after(D(2026, 10, 2), 1) == D(2026, 10, 5)
    # Thursday 8 October + 5 working days = Thursday 15 October.
    assert deadline_for(procedure(organisation, 5, DeadlineUnit.WORKING_DAYS), D(2026, 10, 8)) == D(2026, 10, 15)
    # Received on a Saturday: the first working day is Monday.
    assert working_days_after(D(2026, 10, 3), 1) == D(2026, 10, 5)


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        (D(2026, 7, 13), 1, D(2026, 7, 15), "14 July (Tuesday) is the national holiday"),
        (D(2026, 4, 30), 1, D(2026, 5, 4), "1 May 2026 is a Friday, then the weekend"),
        (D(2026, 5, 7), 1, D(2026, 5, 11), "8 May (Friday), then the weekend"),
        (D(2026, 5, 13), 1, D(2026, 5, 15), "Ascension Thursday 14 May 2026"),
        (D(2026, 5, 22), 1, D(2026, 5, 26), "Whit Monday 25 May 2026 after a weekend"),
        (D(2026, 4, 3), 1, D(2026, 4, 7), "Easter Monday 6 April 2026 after a weekend"),
        (D(2026, 12, 24), 1, D(2026, 12, 28), "Christmas Friday, then the weekend"),
        (D(2026, 12, 31), 1, D(2027, 1, 4), "1 January 2027 (Friday), then the weekend"),
        (D(2026, 11, 10), 2, D(2026, 11, 13), "11 November (Wednesday)"),
        (D(2026, 8, 14), 1, D(2026, 8, 17), "15 August on a Saturday changes nothing"),
    ],
)
def test_working_days_skip_french_public_holidays(organisation, start, days, expected, why):
    assert deadline_for(procedure(organisation, days, DeadlineUnit.WORKING_DAYS), start) == expected, why


def test_ascension_moves_every_year():
    # Easter 2027 is 28 March, so Ascension is Thursday 6 May 2027.
    assert working_days_after(D(2027, 5, 5), 1) == D(2027, 5, 7)


def test_alsace_moselle_has_good_friday_and_saint_stephen(db):
    metz = make_organisation("metz", "Metz", insee_code="57463")
    lyon = make_organisation("lyon", "Lyon", insee_code="69123")
    metz_procedure = procedure(metz, 1, DeadlineUnit.WORKING_DAYS)
    lyon_procedure = procedure(lyon, 1, DeadlineUnit.WORKING_DAYS)
    # Thursday 2 April 2026: Good Friday 3 April is a holiday in Moselle only.
    assert deadline_for(lyon_procedure, D(2026, 4, 2)) == D(2026, 4, 3)
    assert deadline_for(metz_procedure, D(2026, 4, 2)) == D(2026, 4, 7)


def test_a_datetime_start_counts_from_its_local_day(organisation):
    aware = datetime.datetime(2026, 7, 13, 23, 30, tzinfo=datetime.timezone.utc)  # 14 July 01:30 in Paris
    assert deadline_for(procedure(organisation, 1, DeadlineUnit.WORKING_DAYS), aware) == D(2026, 7, 15)
    assert deadline_for(procedure(organisation, 1, DeadlineUnit.CALENDAR_DAYS), aware) == D(2026, 7, 15)


def test_no_deadline(organisation):
    assert deadline_for(procedure(organisation, None, DeadlineUnit.CALENDAR_DAYS), D(2026, 7, 13)) is None
    assert deadline_in_words(procedure(organisation, None, DeadlineUnit.CALENDAR_DAYS)) == ""


def test_deadline_and_silence_in_words(organisation):
    assert deadline_in_words(procedure(organisation, 30, DeadlineUnit.CALENDAR_DAYS)) == "30 jours"
    assert deadline_in_words(procedure(organisation, 1, DeadlineUnit.WORKING_DAYS)) == "1 jour ouvré"
    assert deadline_in_words(procedure(organisation, 10, DeadlineUnit.WORKING_DAYS)) == "10 jours ouvrés"
    accepted = procedure(organisation, 60, DeadlineUnit.CALENDAR_DAYS)
    accepted.silence_means = "acceptance"
    assert "acceptée" in silence_in_words(accepted)
    accepted.silence_means = "refusal"
    assert "refusée" in silence_in_words(accepted)
    accepted.silence_means = "none"
    assert silence_in_words(accepted) == ""
