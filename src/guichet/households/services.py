"""Household (foyer) rules, and the "tell us once" data that procedures use to pre-fill their forms."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from guichet.accounts.services import format_phone

from .models import HouseholdMember


def members_of(user):
    """The household members declared by this citizen, in their collectivité only."""
    return HouseholdMember.objects.of(user.organisation).filter(citizen=user)


def age_on(birth_date, today=None):
    """Age in whole years on `today` (the local date by default), or None without a birth date."""
    if birth_date is None:
        return None
    today = today or timezone.localdate()
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def add_member(citizen, **fields):
    """Add a person to the citizen's household (validated: names, no future birth date, a child's birth date)."""
    member = HouseholdMember(organisation=citizen.organisation, citizen=citizen, **fields)
    member.full_clean()
    member.save()
    return member


@dataclass(frozen=True)
class MemberData:
    """One person of the household, as procedures read it."""

    relationship: str  # HouseholdMember.Relationship value: "spouse", "child" or "adult"
    relationship_label: str  # "Conjoint ou conjointe", "Enfant", "Autre adulte" (translated)
    civility: str  # "mme", "m" or ""
    first_name: str
    last_name: str
    birth_date: datetime.date | None
    age: int | None  # whole years today, None without a birth date


@dataclass(frozen=True)
class CitizenData:
    """What the citizen told the collectivité once, to pre-fill every procedure.

    Strings are "" when unknown; `phone` is in French national format ("06 12 34 56 78");
    `postal_address` joins the address lines ("" when no address); `members` lists the household.
    """

    civility: str
    first_name: str
    last_name: str
    email: str
    birth_date: datetime.date | None
    age: int | None
    phone: str
    address_line: str
    address_complement: str
    postcode: str
    city: str
    postal_address: str
    preferred_channel: str  # User.Channel value: "email", "sms" or "letter"
    members: tuple[MemberData, ...] = field(default_factory=tuple)

    @property
    def children(self):
        return tuple(member for member in self.members if member.relationship == HouseholdMember.Relationship.CHILD)

    @property
    def spouse(self):
        return next((m for m in self.members if m.relationship == HouseholdMember.Relationship.SPOUSE), None)


def citizen_data(user, today=None):
    """The citizen's profile and household as a plain CitizenData (ages computed on `today`)."""
    today = today or timezone.localdate()
    members = tuple(
        MemberData(
            relationship=member.relationship,
            relationship_label=str(member.get_relationship_display()),
            civility=member.civility,
            first_name=member.first_name,
            last_name=member.last_name,
            birth_date=member.birth_date,
            age=age_on(member.birth_date, today),
        )
        for member in members_of(user)
    )
    return CitizenData(
        civility=user.civility,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        birth_date=user.birth_date,
        age=age_on(user.birth_date, today),
        phone=format_phone(user.phone),
        address_line=user.address_line,
        address_complement=user.address_complement,
        postcode=user.postcode,
        city=user.city,
        postal_address=user.postal_address,
        preferred_channel=user.preferred_channel,
        members=members,
    )
