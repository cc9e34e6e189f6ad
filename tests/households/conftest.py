"""Helpers for the household tests."""

import datetime

from guichet.households.models import HouseholdMember


def make_member(citizen, relationship="child", first_name="Jules", last_name="Martin",
                birth_date=datetime.date(2015, 6, 1), **fields):
    return HouseholdMember.objects.create(
        organisation=citizen.organisation, citizen=citizen, relationship=relationship, first_name=first_name,
        last_name=last_name, birth_date=birth_date, **fields,
    )


def member_data(**overrides):
    data = {"relationship": "child", "civility": "", "first_name": "Jules", "last_name": "Martin",
            "birth_date": "2015-06-01"}
    data.update(overrides)
    return data
