"""'Tell us once': the plain structure procedures use to pre-fill their forms."""

import dataclasses
import datetime

import pytest
from django.core.exceptions import ValidationError

from guichet.households.models import HouseholdMember
from guichet.households.services import CitizenData, MemberData, add_member, age_on, citizen_data
from tests.conftest import make_citizen
from tests.households.conftest import make_member

TODAY = datetime.date(2026, 6, 15)


def test_age_on():
    assert age_on(datetime.date(2016, 6, 15), TODAY) == 10
    assert age_on(datetime.date(2016, 6, 16), TODAY) == 9
    assert age_on(datetime.date(2008, 2, 29), datetime.date(2026, 2, 28)) == 17
    assert age_on(datetime.date(2008, 2, 29), datetime.date(2026, 3, 1)) == 18
    assert age_on(None, TODAY) is None


def test_citizen_data_gathers_profile_and_household(organisation, other_organisation, citizen):
    citizen.civility = "mme"
    citizen.birth_date = datetime.date(1985, 4, 12)
    citizen.phone = "+33612345678"
    citizen.address_line, citizen.postcode, citizen.city = "3 rue des Lilas", "54470", "Saint-Aubin"
    citizen.preferred_channel = "letter"
    citizen.save()
    make_member(citizen, relationship="spouse", civility="m", first_name="Alex", last_name="Petit",
                birth_date=datetime.date(1984, 1, 2))
    make_member(citizen, first_name="Jules", birth_date=datetime.date(2016, 6, 16))
    make_member(citizen, relationship="adult", first_name="Rose", last_name="Martin", birth_date=None)
    # Other people's members never appear.
    make_member(make_citizen(organisation, email="voisin@example.org"), first_name="Léo")
    make_member(make_citizen(other_organisation, email=citizen.email), first_name="Zoé")

    data = citizen_data(citizen, today=TODAY)
    assert isinstance(data, CitizenData) and dataclasses.is_dataclass(data)
    assert (data.civility, data.first_name, data.last_name, data.email) == (
        "mme", "Camille", "Martin", "camille.martin@example.org"
    )
    assert data.birth_date == datetime.date(1985, 4, 12) and data.age == 41
    assert data.phone == "06 12 34 56 78"
    assert data.postal_address == "3 rue des Lilas\n54470 Saint-Aubin"
    assert (data.postcode, data.city, data.preferred_channel) == ("54470", "Saint-Aubin", "letter")

    assert {member.first_name for member in data.members} == {"Alex", "Jules", "Rose"}
    jules = next(member for member in data.members if member.first_name == "Jules")
    assert jules == MemberData(
        relationship="child", relationship_label="Enfant", civility="", first_name="Jules", last_name="Martin",
        birth_date=datetime.date(2016, 6, 16), age=9,
    )
    assert data.children == (jules,)
    assert data.spouse.first_name == "Alex" and data.spouse.age == 42
    rose = next(member for member in data.members if member.first_name == "Rose")
    assert rose.age is None and rose.relationship_label == "Autre adulte"


def test_citizen_data_of_a_new_account(citizen):
    data = citizen_data(citizen)
    assert data.members == () and data.children == () and data.spouse is None
    assert data.phone == "" and data.postal_address == "" and data.age is None


def test_add_member_validates(citizen):
    with pytest.raises(ValidationError) as error:
        add_member(citizen, relationship="child", first_name="Jules", last_name="Martin")
    assert error.value.message_dict == {"birth_date": ["Indiquez la date de naissance de l'enfant."]}
    assert not HouseholdMember.objects.exists()
    member = add_member(citizen, relationship="adult", first_name="Rose", last_name="Martin")
    assert member.organisation == citizen.organisation and member.citizen == citizen
