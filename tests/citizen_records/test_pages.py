"""The agents' pages of citizen records: look-up, minimal record, the record, a request on the citizen's behalf,
a draft taken over, the receipt; tenant isolation and permissions."""

import datetime
import html

import pytest

from guichet.citizen_records import services
from guichet.households.services import add_member
from tests.conftest import client_for, make_agent, make_citizen
from tests.service_requests.conftest import fill_all, page_url, send, start


def text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def camille(organisation):
    citizen = make_citizen(organisation, phone="+33612345678", birth_date=datetime.date(1985, 7, 14),
                           address_line="3 rue des Lilas", postcode="54470", city="Saint-Aubin")
    add_member(citizen, relationship="child", first_name="Léo", last_name="Martin",
               birth_date=datetime.date(2015, 3, 2))
    return citizen


# --- Look-up ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    {"nom": "mar cam"}, {"nom": "Martin"}, {"naissance": "14/07/1985"}, {"telephone": "06 12 34 56 78"},
    {"telephone": "0033612345678"}, {"courriel": "Camille.Martin@example.org"}, {"adresse": "lilas"},
    {"adresse": "54470"},
])
def test_search_finds_the_citizen_by_each_criterion(agent_client, camille, query):
    make_citizen(camille.organisation, email="bob@example.org", first_name="Bob", last_name="Durand")
    response = agent_client.get("/agents/usagers/", query)
    assert response.status_code == 200
    page = text(response)
    assert "1 usager trouvé" in page and "MARTIN Camille" in page and "DURAND" not in page
    assert "Léo Martin" in page  # the household


def test_search_by_tracking_code_and_open_requests_count(agent_client, camille, procedure):
    client = client_for(camille.organisation, camille)
    draft = start(client, procedure)
    fill_all(client, draft)
    send(client, draft)
    draft.refresh_from_db()
    response = agent_client.get("/agents/usagers/", {"code": draft.tracking_code.lower().replace("-", " ")})
    page = text(response)
    assert "MARTIN Camille" in page
    assert '<td>1</td>' in page  # one open request


def test_search_of_a_request_without_account_links_to_the_request(agent_client, organisation, open_procedure):
    anonymous = client_for(organisation)
    draft = start(anonymous, open_procedure)
    from tests.service_requests.conftest import fill_contact
    fill_contact(anonymous, draft)
    fill_all(anonymous, draft)
    send(anonymous, draft)
    page = text(agent_client.get("/agents/usagers/", {"code": draft.tracking_code}))
    assert "déposée sans compte, par Alex Dupont" in page
    assert f"/agents/demandes/{draft.tracking_code}/" in page


@pytest.mark.parametrize("query, message", [
    ({"naissance": "31/02/1985"}, "JJ/MM/AAAA"),
    ({"naissance": "demain"}, "JJ/MM/AAAA"),
    ({"telephone": "12 34"}, "numéro français valide"),
    ({"code": "RQ-12"}, "numéro de suivi n'est pas valide"),
    ({"nom": "a"}, "au moins deux lettres"),
    ({"courriel": "camille"}, "adresse électronique entière"),
])
def test_search_bad_input_gets_a_french_error_and_keeps_what_was_typed(agent_client, camille, query, message):
    response = agent_client.get("/agents/usagers/", query)
    assert response.status_code == 400
    page = text(response)
    assert message in page and "usager trouvé" not in page
    assert f'value="{list(query.values())[0]}"' in page


def test_search_is_paginated_with_a_constant_number_of_queries(agent_client, organisation,
                                                               django_assert_max_num_queries):
    for number in range(25):
        citizen = make_citizen(organisation, email=f"martin{number}@example.org", first_name=f"P{number:02d}")
        add_member(citizen, relationship="spouse", first_name="Alix", last_name="Martin")
    # 7 for every agent page (host, organisation, session, user, second factor, navigation), then the count, the
    # page of citizens (with their open requests counted in a subquery) and their household members.
    with django_assert_max_num_queries(10):
        response = agent_client.get("/agents/usagers/", {"nom": "martin"})
    assert "25 usagers trouvés" in text(response) and "Page 1 sur 2" in text(response)
    with django_assert_max_num_queries(10):
        response = agent_client.get("/agents/usagers/", {"nom": "martin", "page": "2"})
    assert text(response).count('href="/agents/usagers/') >= 5


def test_search_never_shows_other_collectivites_citizens(agent_client, other_organisation):
    make_citizen(other_organisation, phone="+33612345678")
    page = text(agent_client.get("/agents/usagers/", {"telephone": "0612345678"}))
    assert "Aucun usager trouvé" in page


# --- Permissions and tenant isolation ---------------------------------------------------------------------------


def test_citizens_get_403_and_anonymous_visitors_the_agents_login(organisation, camille):
    citizen_client = client_for(organisation, camille)
    for url in ["/agents/usagers/", "/agents/usagers/nouveau/", f"/agents/usagers/{camille.pk}/",
                f"/agents/usagers/{camille.pk}/nouvelle-demande/"]:
        assert citizen_client.get(url).status_code == 403
        response = client_for(organisation).get(url)
        assert response.status_code == 302 and "/agents/" in response.url


def test_an_agent_of_another_collectivite_gets_404(organisation, other_organisation, camille, procedure):
    stranger = make_agent(other_organisation, email="ailleurs@example.org")
    client = client_for(other_organisation, stranger)
    draft = services.start_on_behalf(version=procedure.current_version, agent=make_agent(
        organisation, email="guichet@example.org"), citizen=camille, channel="counter")
    assert client.get(f"/agents/usagers/{camille.pk}/").status_code == 404
    assert client.get(f"/agents/usagers/{camille.pk}/nouvelle-demande/").status_code == 404
    assert client.post(f"/agents/usagers/{camille.pk}/brouillons/{draft.tracking_code}/reprendre/",
                       {"canal": "phone"}).status_code == 404
    assert client.get(page_url(draft, "demandeur")).status_code == 404  # the draft is on another host
    # Another agent of the same collectivité may not open a draft entered by a colleague's session either.
    colleague = client_for(organisation, make_agent(organisation, email="collegue@example.org"))
    assert colleague.get(page_url(draft, "demandeur")).status_code == 404


def test_an_anonymised_or_agent_account_has_no_record(agent_client, organisation, agent):
    gone = make_citizen(organisation, email="parti@example.org", anonymised_at=datetime.datetime(
        2025, 1, 1, tzinfo=datetime.UTC))
    assert agent_client.get(f"/agents/usagers/{gone.pk}/").status_code == 404
    assert agent_client.get(f"/agents/usagers/{agent.pk}/").status_code == 404


def test_the_pages_read_in_english(agent_client, camille, settings):
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = text(agent_client.get("/agents/usagers/", {"naissance": "31/02/1985"}))
    assert "Enter the birth date as DD/MM/YYYY" in page
    page = text(agent_client.get(f"/agents/usagers/{camille.pk}/"))
    assert "Citizen record: Camille Martin" in page and "History of every contact" in page
