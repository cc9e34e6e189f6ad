"""Processing deadlines: calendar days, or working days skipping weekends and French public holidays."""

import datetime
from functools import lru_cache

import holidays

# Local public holidays: Alsace-Moselle (Good Friday, 26 December) and the overseas départements.
_SUBDIVISION_BY_INSEE_PREFIX = {"57": "57", "67": "6AE", "68": "6AE"}
_OVERSEAS = ("971", "972", "973", "974", "976")


def subdivision_for(organisation):
    """The `holidays.France` subdivision of a collectivité, from its INSEE code (None: metropolitan France)."""
    code = getattr(organisation, "insee_code", "") or ""
    if getattr(organisation, "kind", "commune") != "commune":
        return None
    for prefix in _OVERSEAS:
        if code.startswith(prefix):
            return prefix
    return _SUBDIVISION_BY_INSEE_PREFIX.get(code[:2])


@lru_cache(maxsize=64)
def _holidays(year, subdiv):
    return frozenset(holidays.France(years=year, subdiv=subdiv).keys())


def is_public_holiday(day, subdiv=None):
    return day in _holidays(day.year, subdiv)


def is_working_day(day, subdiv=None):
    return day.weekday() < 5 and not is_public_holiday(day, subdiv)


def working_days_after(start, n, subdiv=None):
    """The n-th working day after `start` (the start day itself is not counted)."""
    if isinstance(start, datetime.datetime):
        start = start.date()
    day = start
    remaining = int(n)
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day, subdiv):
            remaining -= 1
    return day


def calendar_days_after(start, n):
    if isinstance(start, datetime.datetime):
        start = start.date()
    return start + datetime.timedelta(days=int(n))
