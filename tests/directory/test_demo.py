"""The demo directory: loaded twice, the same dozen entries; the graffiti team is found."""

import pytest

from guichet.directory.demo import load_demo
from guichet.directory.models import DirectoryEntry
from guichet.directory.services import search_directory
from tests.conftest import make_agent

pytestmark = pytest.mark.django_db


def test_demo_loads_once_and_finds_graffiti(organisation):
    make_agent(organisation, email="admin@saint-aubin.localhost", is_org_admin=True, first_name="Agnès",
               last_name="Administratrice")
    count = load_demo(organisation)
    assert count == load_demo(organisation) == DirectoryEntry.objects.of(organisation).count()
    assert 10 <= count <= 13
    found = search_directory(organisation, "graffiti")
    assert found[0].display_name == "Karine Lemoine"
    assert {entry.display_name for entry in found} >= {"Karine Lemoine", "Services techniques"}
    assert search_directory(organisation, "Administratrice")[0].user.is_org_admin
