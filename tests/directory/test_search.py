"""Search of the directory: by name, service or mission, the collectivité's active entries only, best first."""

import pytest

from guichet.agents.models import Membership
from guichet.directory.models import DirectoryEntry
from guichet.directory.services import search_directory
from tests.conftest import make_agent

from .conftest import make_entry

pytestmark = pytest.mark.django_db


def names(entries):
    return [entry.display_name for entry in entries]


def test_who_handles_graffiti(organisation, graffiti_person, other_entry):
    make_entry(organisation, first_name="Sophie", last_name="Marchal", missions="actes de naissance, mariages")
    assert names(search_directory(organisation, "graffiti")) == ["Karine Lemoine"]
    assert names(search_directory(organisation, "Graffitis")) == ["Karine Lemoine"]
    assert names(search_directory(organisation, "tag")) == ["Karine Lemoine"]
    # A question as the caller asks it: no entry has every word, the ones with any are given.
    assert names(search_directory(organisation, "qui s'occupe des graffitis ?")) == ["Karine Lemoine"]


def test_by_name_service_phone_accents(organisation, graffiti_person):
    for text in ("lemoine", "Karine", "LEMOINE Karine", "services techniques", "technique", "propreté", "proprete",
                 "03 83 00 20 41", "+33 3 83 00 20 41", "2041"):
        assert names(search_directory(organisation, text)) == ["Karine Lemoine"], text


def test_nothing_to_search(organisation, graffiti_person):
    for text in ("", "   ", "de la", "?", None, 42):
        assert search_directory(organisation, text) == []
    assert search_directory(organisation, "piscine") == []


def test_missions_rank_above_other_fields(organisation, technical):
    make_entry(organisation, first_name="Alain", last_name="Bureau", building="Local des graffitis")
    make_entry(organisation, first_name="Zoé", last_name="Zeller", missions="Graffitis sur les bâtiments publics")
    assert names(search_directory(organisation, "graffitis")) == ["Zoé Zeller", "Alain Bureau"]


def test_inactive_and_other_collectivite_never_found(organisation, graffiti_person, other_entry, other_organisation):
    graffiti_person.is_active = False
    graffiti_person.save()
    assert search_directory(organisation, "graffiti") == []
    assert names(search_directory(other_organisation, "graffiti")) == ["Gaston Graffiti"]
    assert search_directory(None, "graffiti") == []


def test_limit(organisation):
    for index in range(5):
        make_entry(organisation, last_name=f"Agent{index}", missions="voirie")
    assert len(search_directory(organisation, "voirie", limit=3)) == 3


def test_linked_agent_found_by_account_data_kept_up_to_date(organisation, technical):
    agent = make_agent(organisation, email="bruno.roy@saint-aubin.example.org", first_name="Bruno", last_name="Roy",
                       job_title="Jardinier", phone_extension="2077", services=[technical])
    entry = make_entry(organisation, user=agent, missions="tonte, massifs")
    assert entry.display_name == "Bruno Roy"
    assert entry.display_email == "bruno.roy@saint-aubin.example.org"
    assert names(search_directory(organisation, "jardinier")) == ["Bruno Roy"]
    assert names(search_directory(organisation, "2077")) == ["Bruno Roy"]
    agent.last_name = "Royer"
    agent.job_title = "Chef jardinier"
    agent.save()
    assert names(search_directory(organisation, "royer")) == ["Bruno Royer"]
    assert names(search_directory(organisation, "roy")) == ["Bruno Royer"]  # a name being typed
    technical.name = "Espaces verts"
    technical.save()
    assert names(search_directory(organisation, "espaces verts")) == ["Bruno Royer"]
    Membership.objects.filter(user=agent).delete()
    assert search_directory(organisation, "espaces verts") == []


def test_service_entry_shows_service_data(organisation, technical):
    entry = make_entry(organisation, kind=DirectoryEntry.Kind.SERVICE, service=technical)
    assert entry.display_name == "Services techniques"
    assert entry.display_missions == "Voirie, espaces verts"
    assert entry.display_phone == "03 83 00 20 40"
    assert names(search_directory(organisation, "voirie")) == ["Services techniques"]


def test_search_queries_are_constant(organisation, technical, django_assert_max_num_queries):
    for index in range(15):
        agent = make_agent(organisation, email=f"a{index}@example.org", last_name=f"Voirie{index}",
                           services=[technical])
        make_entry(organisation, user=agent, missions="voirie")
    with django_assert_max_num_queries(3):
        found = search_directory(organisation, "voirie")
        for entry in found:
            entry.display_services, entry.display_email, entry.display_name, entry.display_phone
    assert len(found) == 15


def test_agent_who_left_leaves_the_directory(organisation, technical):
    agent = make_agent(organisation, email="leo@example.org", first_name="Léo", last_name="Parti",
                       job_title="Fontainier", phone_extension="2099")
    entry = make_entry(organisation, user=agent, missions="fontaines")
    make_entry(organisation, last_name="Sans compte", missions="fontaines")
    assert len(search_directory(organisation, "fontaines")) == 2
    agent.is_active = False
    agent.save()
    assert names(search_directory(organisation, "fontaines")) == ["Sans compte"]
    agent.delete()
    entry.refresh_from_db()
    assert (entry.user, entry.is_active, entry.display_name, entry.job_title, entry.phone_extension) == (
        None, False, "Léo Parti", "Fontainier", "2099")


def test_deleted_service_no_longer_found(organisation, technical, graffiti_person):
    assert names(search_directory(organisation, "services")) == ["Karine Lemoine"]
    technical.delete()
    assert search_directory(organisation, "services") == []
    assert names(search_directory(organisation, "graffiti")) == ["Karine Lemoine"]
