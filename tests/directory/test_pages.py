"""The directory's pages: read by every verified agent, maintained by administrators, one collectivité only."""

import pytest

from guichet.directory.models import DirectoryEntry
from tests.conftest import client_for, make_agent, make_service

from .conftest import make_entry

pytestmark = pytest.mark.django_db

LIST = "/agents/annuaire/"
SEARCH = "/agents/annuaire/recherche/"


def test_agent_reads_and_searches(agent_client, graffiti_person, other_entry):
    response = agent_client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Karine Lemoine" in page and "Gaston" not in page
    assert "03 83 00 20 41" in page  # French format, whatever was typed
    assert 'href="tel:0383002041"' in page
    assert "/agents/annuaire/nouvelle/" not in page  # no editing for a plain agent
    response = agent_client.get(SEARCH, {"q": "graffiti"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Karine Lemoine" in page and "1 résultat pour « graffiti »" in page and "Gaston" not in page
    assert "<html" in page


def test_partial_returns_only_the_fragment(agent_client, graffiti_person):
    response = agent_client.get(SEARCH, {"q": "graffiti", "partial": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div class="directory-results">')
    assert "<html" not in page and "Karine Lemoine" in page and "Modifier" not in page
    empty = agent_client.get(SEARCH, {"q": "piscine", "partial": "1"}).content.decode()
    assert "Personne ni aucun service ne correspond à « piscine »" in empty
    short = agent_client.get(SEARCH, {"q": "?", "partial": "1"}).content.decode()
    assert "au moins deux lettres" in short


def test_citizen_and_anonymous_kept_out(citizen_client, anonymous_client, organisation, graffiti_person):
    for url in (LIST, SEARCH + "?q=graffiti", "/agents/annuaire/nouvelle/", f"/agents/annuaire/{graffiti_person.pk}/",
                "/agents/annuaire/import/", "/agents/annuaire/export.csv"):
        assert citizen_client.get(url).status_code == 403, url
        response = anonymous_client.get(url)
        assert response.status_code == 302 and "/agents/" in response["Location"], url
    assert citizen_client.post(f"/agents/annuaire/{graffiti_person.pk}/activer/").status_code == 403


def test_only_admins_edit(agent_client, graffiti_person):
    assert agent_client.get("/agents/annuaire/nouvelle/").status_code == 403
    assert agent_client.post("/agents/annuaire/nouvelle/", {"kind": "person", "last_name": "X"}).status_code == 403
    assert agent_client.post(f"/agents/annuaire/{graffiti_person.pk}/", {"kind": "person"}).status_code == 403
    assert agent_client.post(f"/agents/annuaire/{graffiti_person.pk}/activer/").status_code == 403
    assert agent_client.get("/agents/annuaire/import/").status_code == 403
    assert agent_client.get("/agents/annuaire/export.csv").status_code == 403
    graffiti_person.refresh_from_db()
    assert graffiti_person.is_active


def test_admin_creates_edits_deactivates(admin_client_org, organisation, technical):
    response = admin_client_org.post("/agents/annuaire/nouvelle/", {
        "kind": "person", "first_name": "Zoé", "last_name": "Zeller", "service": technical.pk,
        "missions": "graffitis", "phone": "0383002099", "email": "Zoe.Zeller@Example.org", "hours": "9 h – 12 h",
    })
    assert response.status_code == 302, response.content.decode()
    entry = DirectoryEntry.objects.of(organisation).get()
    assert entry.email == "zoe.zeller@example.org" and entry.phone.as_e164 == "+33383002099"
    response = admin_client_org.post(f"/agents/annuaire/{entry.pk}/", {
        "kind": "person", "first_name": "Zoé", "last_name": "Zeller-Martin", "missions": "graffitis, tags",
        "phone": "", "email": "zoe.zeller@example.org",
    })
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.last_name == "Zeller-Martin" and not entry.phone and entry.service is None
    assert admin_client_org.post(f"/agents/annuaire/{entry.pk}/activer/").status_code == 302
    entry.refresh_from_db()
    assert not entry.is_active
    assert "<strong>Zoé Zeller-Martin</strong>" not in admin_client_org.get(LIST).content.decode()
    assert "<strong>Zoé Zeller-Martin</strong>" in admin_client_org.get(LIST + "?desactivees=1").content.decode()
    admin_client_org.post(f"/agents/annuaire/{entry.pk}/activer/")
    entry.refresh_from_db()
    assert entry.is_active


def test_bad_input_is_explained_and_kept(admin_client_org, organisation, graffiti_person):
    response = admin_client_org.post("/agents/annuaire/nouvelle/", {
        "kind": "person", "first_name": "", "last_name": "", "phone": "12", "email": "pas-une-adresse",
        "missions": "Ma mission gardée",
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert "Indiquez le nom de la personne" in page
    assert "numéro de téléphone français valide" in page
    assert "adresse électronique valide" in page or "Saisissez une adresse" in page
    assert "Ma mission gardée" in page
    response = admin_client_org.post("/agents/annuaire/nouvelle/", {
        "kind": "person", "last_name": "Doublon", "email": "KARINE.lemoine@saint-aubin.example.org"})
    assert response.status_code == 400
    assert "porte déjà cette adresse" in response.content.decode()
    response = admin_client_org.post("/agents/annuaire/nouvelle/", {"kind": "service"})
    assert response.status_code == 400 and "Choisissez le service" in response.content.decode()
    assert DirectoryEntry.objects.of(organisation).count() == 1


def test_linked_agent_and_service_entries(admin_client_org, organisation, technical):
    agent = make_agent(organisation, email="bruno@example.org", first_name="Bruno", last_name="Roy",
                       job_title="Jardinier", services=[technical])
    response = admin_client_org.post("/agents/annuaire/nouvelle/", {
        "kind": "person", "user": agent.pk, "last_name": "ignoré", "email": "autre@example.org", "building": "Serres"})
    assert response.status_code == 302, response.content.decode()
    entry = DirectoryEntry.objects.of(organisation).get(user=agent)
    assert entry.display_name == "Bruno Roy" and entry.display_email == "bruno@example.org" and entry.email == ""
    # The same agent cannot get a second entry: no longer offered.
    response = admin_client_org.post("/agents/annuaire/nouvelle/", {"kind": "person", "user": agent.pk})
    assert response.status_code == 400
    response = admin_client_org.post("/agents/annuaire/nouvelle/", {"kind": "service", "service": technical.pk})
    assert response.status_code == 302
    response = admin_client_org.post("/agents/annuaire/nouvelle/", {"kind": "service", "service": technical.pk})
    assert response.status_code == 400 and "déjà sa fiche" in response.content.decode()


def test_other_collectivite_entries_services_agents_out_of_reach(admin_client_org, organisation, other_organisation,
                                                                 other_entry):
    foreign_service = make_service(other_organisation, name="Voirie de Montclair", slug="voirie")
    foreign_agent = make_agent(other_organisation, email="agent@montclair.example.org")
    assert admin_client_org.get(f"/agents/annuaire/{other_entry.pk}/").status_code == 404
    assert admin_client_org.post(f"/agents/annuaire/{other_entry.pk}/", {"kind": "person", "last_name": "Pirate"}
                                 ).status_code == 404
    assert admin_client_org.post(f"/agents/annuaire/{other_entry.pk}/activer/").status_code == 404
    other_entry.refresh_from_db()
    assert other_entry.last_name == "Graffiti" and other_entry.is_active
    response = admin_client_org.post("/agents/annuaire/nouvelle/", {
        "kind": "person", "last_name": "Pirate", "service": foreign_service.pk})
    assert response.status_code == 400
    response = admin_client_org.post("/agents/annuaire/nouvelle/", {"kind": "person", "user": foreign_agent.pk})
    assert response.status_code == 400
    response = admin_client_org.post("/agents/annuaire/nouvelle/", {"kind": "service", "service": foreign_service.pk})
    assert response.status_code == 400
    assert not DirectoryEntry.objects.of(organisation).exists()
    page = admin_client_org.get("/agents/annuaire/nouvelle/").content.decode()
    assert "Voirie de Montclair" not in page and "agent@montclair.example.org" not in page
    # The same entry's page on the other collectivité's host is that collectivité's business, not ours.
    montclair_admin = make_agent(other_organisation, email="admin@montclair.example.org", is_org_admin=True)
    assert client_for(other_organisation, montclair_admin).get(f"/agents/annuaire/{other_entry.pk}/").status_code == 200


def test_list_and_search_query_counts(agent_client, organisation, technical, django_assert_max_num_queries):
    for index in range(30):
        agent = make_agent(organisation, email=f"a{index}@example.org", last_name=f"Agent{index}",
                           services=[technical])
        make_entry(organisation, user=agent, missions="voirie", phone="0383002000")
        make_entry(organisation, last_name=f"Personne{index}", service=technical, missions="voirie")
    agent_client.get(LIST)  # warm the session and the caches
    with django_assert_max_num_queries(12):
        response = agent_client.get(LIST)
    assert response.status_code == 200 and response.content.decode().count('class="directory-entry') == 50
    with django_assert_max_num_queries(12):
        response = agent_client.get(SEARCH, {"q": "voirie", "partial": "1"})
    assert response.content.decode().count('class="directory-entry') == 20
