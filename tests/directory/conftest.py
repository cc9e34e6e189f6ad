"""Fixtures of the directory tests: a few entries of Saint-Aubin, and one of Montclair that must never show."""

import pytest

from guichet.agents.models import Service
from guichet.directory.models import DirectoryEntry
from guichet.directory.phones import parse_phone


def make_entry(organisation, **fields):
    fields.setdefault("kind", DirectoryEntry.Kind.PERSON)
    if "phone" in fields and isinstance(fields["phone"], str):
        fields["phone"] = parse_phone(fields["phone"])
    return DirectoryEntry.objects.create(organisation=organisation, **fields)


@pytest.fixture
def technical(organisation):
    return Service.objects.create(organisation=organisation, name="Services techniques", slug="services-techniques",
                                  description="Voirie, espaces verts", phone="0383002040")


@pytest.fixture
def graffiti_person(organisation, technical):
    return make_entry(organisation, first_name="Karine", last_name="Lemoine", service=technical,
                      job_title="Cheffe d'équipe propreté", missions="graffitis, tags, affichage sauvage",
                      building="Centre technique", office="12", phone="03.83.00.20.41", phone_extension="2041",
                      email="karine.lemoine@saint-aubin.example.org", hours="8 h 30 – 17 h")


@pytest.fixture
def other_entry(other_organisation):
    return make_entry(other_organisation, first_name="Gaston", last_name="Graffiti",
                      missions="graffitis de Montclair", email="gaston@montclair.example.org")
