"""The duplicates panel of the agents' request page, the merge and link pages, the counter entry's summary."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.agents.models import Membership
from guichet.duplicates.models import RequestLink
from guichet.duplicates.services import link, merge
from guichet.service_requests.models import ServiceRequest
from tests.conftest import client_for, make_agent, make_citizen, make_service

from .conftest import LAT, LON, make_request, metres_north

pytestmark = pytest.mark.django_db


def text(response):
    return html.unescape(response.content.decode())


def detail(code):
    return f"/agents/demandes/{code}/"


@pytest.fixture
def lea(organisation):
    return make_citizen(organisation, email="lea.durand@example.org", first_name="Léa", last_name="Durand")


def test_the_panel_shows_likely_duplicates_with_their_reasons_and_actions(voirie, citizen, lea, agent_client):
    earlier = make_request(voirie, lea, address="1 place de l'Église", lat=metres_north(40), lon=LON)
    mine = make_request(voirie, citizen, address="1 Pl. de l'Eglise", lat=LAT, lon=LON)
    page = text(agent_client.get(detail(mine.tracking_code)))
    assert "Doublons possibles" in page
    assert earlier.tracking_code in page and "même adresse" in page
    assert f"/agents/doublons/{mine.tracking_code}/regrouper/?autre={earlier.tracking_code}" in page
    assert f'action="/agents/doublons/{mine.tracking_code}/lier/"' in page


def test_the_panel_only_shows_requests_the_agent_may_see(voirie, citizen, lea, organisation, agent):
    roads = make_service(organisation, name="Voirie", slug="voirie")
    elsewhere = make_request(voirie, lea, address="1 place de l'Église")
    ServiceRequest.objects.filter(pk=elsewhere.pk).update(service=roads)
    mine = make_request(voirie, citizen, address="1 place de l'Église")
    page = text(client_for(organisation, agent).get(detail(mine.tracking_code)))
    assert elsewhere.tracking_code not in page
    assert "Aucun doublon probable" in page


def test_merge_through_the_pages_choosing_the_other_request_as_main(voirie, citizen, lea, agent_client, agent):
    earlier = make_request(voirie, lea, address="1 place de l'Église")
    mine = make_request(voirie, citizen, address="1 place de l'Église")
    url = f"/agents/doublons/{mine.tracking_code}/regrouper/"
    page = agent_client.get(url, {"autre": earlier.tracking_code})
    assert page.status_code == 200
    assert "Les deux demandes" in text(page) and "Demande à garder" in text(page)
    response = agent_client.post(url, {"autre": earlier.tracking_code, "principale": earlier.tracking_code,
                                       "message": "Nous traitons déjà ce signalement.",
                                       "verrou_a": mine.lock_version, "verrou_b": earlier.lock_version})
    assert response.status_code == 302 and response.url == detail(earlier.tracking_code)
    mine.refresh_from_db()
    assert mine.merged_into_id == earlier.pk
    # Both pages show it.
    page = text(agent_client.get(detail(earlier.tracking_code)))
    assert "Demandes regroupées dans celle-ci" in page and mine.tracking_code in page
    assert "La demande %s est regroupée dans la demande %s" % (mine.tracking_code, earlier.tracking_code) in page
    page = text(agent_client.get(detail(mine.tracking_code)))
    assert "Cette demande est regroupée dans la demande" in page and earlier.tracking_code in page


def test_merge_page_bad_input(voirie, citizen, lea, agent_client, organisation):
    mine = make_request(voirie, citizen)
    url = f"/agents/doublons/{mine.tracking_code}/regrouper/"
    response = agent_client.get(url, {"autre": "n'importe quoi"})
    assert response.status_code == 400 and "Ce numéro de suivi n'est pas valide" in text(response)
    response = agent_client.get(url, {"autre": mine.tracking_code})
    assert response.status_code == 400 and "une autre demande que celle-ci" in text(response)
    roads = make_service(organisation, name="Voirie", slug="voirie")
    hidden = make_request(voirie, lea)
    ServiceRequest.objects.filter(pk=hidden.pk).update(service=roads)
    response = agent_client.get(url, {"autre": hidden.tracking_code})
    assert response.status_code == 400 and f"Aucune demande de vos services ne porte le numéro {hidden.tracking_code}" in text(response)
    other = make_request(voirie, lea)
    # No main chosen, a message too long: errors on the fields, the message typed is kept.
    response = agent_client.post(url, {"autre": other.tracking_code, "message": "Texte gardé " + "x" * 2000,
                                       "verrou_a": 0, "verrou_b": 0})
    page = text(response)
    assert response.status_code == 400
    assert "Choisissez la demande à garder." in page and "Le message est trop long" in page
    assert "Texte gardé" in page
    # A request changed meanwhile: refused, nothing done.
    ServiceRequest.objects.filter(pk=other.pk).update(lock_version=3)
    response = agent_client.post(url, {"autre": other.tracking_code, "principale": mine.tracking_code,
                                       "verrou_a": 0, "verrou_b": 0})
    assert response.status_code == 400 and "a changé entre-temps" in text(response)
    assert not ServiceRequest.objects.filter(merged_into__isnull=False).exists()


def test_link_and_unlink_through_the_pages(voirie, citizen, lea, agent_client, agent):
    first = make_request(voirie, citizen)
    second = make_request(voirie, lea)
    response = agent_client.post(f"/agents/doublons/{first.tracking_code}/lier/", {"autre": second.tracking_code.lower()})
    assert response.status_code == 302
    created = RequestLink.objects.get()
    for here, there in ((first, second), (second, first)):
        page = text(agent_client.get(detail(here.tracking_code)))
        assert "Demandes liées" in page and there.tracking_code in page and "Retirer le lien" in page
    response = agent_client.post(f"/agents/doublons/{first.tracking_code}/lier/", {"autre": second.tracking_code})
    assert response.status_code == 400 and "sont déjà liées" in text(response)
    response = agent_client.post(f"/agents/doublons/{first.tracking_code}/lier/", {"autre": ""})
    assert response.status_code == 400 and "Indiquez le numéro de suivi de l'autre demande." in text(response)
    # The link is removed from the other side too.
    response = agent_client.post(f"/agents/doublons/{second.tracking_code}/liens/{created.pk}/retirer/")
    assert response.status_code == 302
    assert not RequestLink.objects.exists()
    # A link of other requests cannot be removed through this request's URL.
    third = make_request(voirie, lea)
    link(second, third, agent)
    other_link = RequestLink.objects.get()
    assert agent_client.post(f"/agents/doublons/{first.tracking_code}/liens/{other_link.pk}/retirer/").status_code == 404
    assert RequestLink.objects.filter(pk=other_link.pk).exists()


def test_wrong_users(voirie, citizen, lea, organisation, agent):
    first = make_request(voirie, citizen)
    second = make_request(voirie, lea)
    urls = [f"/agents/doublons/{first.tracking_code}/regrouper/?autre={second.tracking_code}",
            f"/agents/doublons/{first.tracking_code}/lier/"]
    # A citizen: 403; an agent of another service: 404 (the request is not theirs).
    assert client_for(organisation, citizen).get(urls[0]).status_code == 403
    assert client_for(organisation, citizen).post(urls[1], {"autre": second.tracking_code}).status_code == 403
    outsider = make_agent(organisation, email="voirie@example.org",
                          services=[make_service(organisation, name="Voirie", slug="voirie")])
    client = client_for(organisation, outsider)
    assert client.get(urls[0]).status_code == 404
    assert client.post(urls[1], {"autre": second.tracking_code}).status_code == 404
    assert client.post(f"/agents/doublons/{first.tracking_code}/regrouper/", {
        "autre": second.tracking_code, "principale": first.tracking_code, "verrou_a": 0, "verrou_b": 0,
    }).status_code == 404
    # Anonymous: to the sign-in page.
    assert client_for(organisation).get(urls[0]).status_code == 302
    assert not ServiceRequest.objects.filter(merged_into__isnull=False).exists()
    assert not RequestLink.objects.exists()


def test_an_admin_without_service_may_merge(voirie, citizen, lea, admin_client_org):
    first, second = make_request(voirie, citizen), make_request(voirie, lea)
    response = admin_client_org.post(f"/agents/doublons/{first.tracking_code}/regrouper/", {
        "autre": second.tracking_code, "principale": first.tracking_code, "verrou_a": 0, "verrou_b": 0})
    assert response.status_code == 302
    assert ServiceRequest.objects.get(pk=second.pk).merged_into_id == first.pk


def test_the_panel_has_a_constant_number_of_queries(voirie, citizen, agent, agent_client, organisation):
    mine = make_request(voirie, citizen, address="1 place de l'Église", lat=LAT, lon=LON)
    counts = []
    for size in (1, 6):
        for i in range(size):
            other = make_request(voirie, make_citizen(organisation, email=f"c{size}-{i}@example.org"),
                                 address="1 place de l'Église", lat=LAT, lon=LON)
            link(mine, other, agent)
            merged = make_request(voirie, make_citizen(organisation, email=f"m{size}-{i}@example.org"))
            merge(mine, merged, agent)
        agent_client.get(detail(mine.tracking_code))  # the « viewed » trace is written once an hour
        with CaptureQueriesContext(connection) as queries:
            assert agent_client.get(detail(mine.tracking_code)).status_code == 200
        counts.append(len([q for q in queries if "duplicates_requestlink" in q["sql"]
                           or "merged_into_id" in q["sql"].split("WHERE")[-1]]))
        total = len(queries)
        counts.append(total)
    assert counts[0] == counts[2]  # the panel's own queries
    assert counts[1] == counts[3]  # the whole page


def test_counter_entry_summary_shows_likely_duplicates_before_sending(voirie, citizen, agent, agent_client):
    existing = make_request(voirie, citizen, address="8 rue des Lilas, 54470 Saint-Aubin")
    draft = make_request(voirie, None, state=ServiceRequest.State.DRAFT, entered_by=agent,
                         channel=ServiceRequest.Channel.COUNTER, contact_name="Camille Martin",
                         contact_email="camille.martin@example.org",
                         data={"adresse": {"street": "8 Rue des Lilas", "postcode": "54470", "city": "Saint-Aubin"},
                               "description": "Nid-de-poule."})
    page = text(agent_client.get(f"/demandes/{draft.tracking_code}/recapitulatif/"))
    assert "Demandes semblables déjà reçues" in page
    assert existing.tracking_code in page and "même courriel, même adresse" in page
    assert page.index("Demandes semblables déjà reçues") < page.index("Envoyer</button>")


def test_citizens_summary_shows_nothing_of_it(voirie, citizen, citizen_client):
    make_request(voirie, citizen, address="8 rue des Lilas")
    draft = make_request(voirie, citizen, state=ServiceRequest.State.DRAFT,
                         data={"adresse": {"street": "8 rue des Lilas"}, "description": "Trou."})
    page = text(citizen_client.get(f"/demandes/{draft.tracking_code}/recapitulatif/"))
    assert "Demandes semblables" not in page


def test_an_elected_member_gets_no_merge_actions(voirie, citizen, lea, organisation, service):
    elected = make_agent(organisation, email="elu@example.org", services=[service], role=Membership.Role.ELECTED)
    first = make_request(voirie, citizen)
    response = client_for(organisation, elected).get(f"/agents/doublons/{first.tracking_code}/lier/")
    assert response.status_code == 404  # not even the request (read-only dashboards only)


def test_in_english(voirie, citizen, lea, agent_client):
    earlier = make_request(voirie, lea, address="1 place de l'Église", lat=metres_north(40), lon=LON)
    mine = make_request(voirie, citizen, lat=LAT, lon=LON)
    agent_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = text(agent_client.get(detail(mine.tracking_code)))
    assert "Likely duplicates" in page and "40 m away" in page and "Remove the link" not in page
    assert "Doublons possibles" not in page
    page = text(agent_client.get(f"/agents/doublons/{mine.tracking_code}/regrouper/", {"autre": earlier.tracking_code}))
    assert "Request to keep (the main request)" in page and "Merge the two requests" in page
    page = text(agent_client.get("/agents/doublons/recurrents/", {"seuil": "1"}))
    assert "Recurring problems" in page and "Enter at least 2 requests." in page


def test_another_collectivites_request_cannot_be_the_other_one(voirie, citizen, agent_client, other_organisation):
    from tests.documents.builders import make_version

    from .conftest import FORM, WORKFLOW

    montclair = make_request(make_version(other_organisation, make_service(other_organisation), slug="voirie",
                                          form=FORM, workflow=WORKFLOW), make_citizen(other_organisation))
    mine = make_request(voirie, citizen)
    code = montclair.tracking_code
    response = agent_client.get(f"/agents/doublons/{mine.tracking_code}/regrouper/", {"autre": code})
    assert response.status_code == 400 and f"Aucune demande de vos services ne porte le numéro {code}" in text(response)
    response = agent_client.post(f"/agents/doublons/{mine.tracking_code}/regrouper/", {
        "autre": code, "principale": code, "verrou_a": 0, "verrou_b": 0})
    assert response.status_code == 400
    response = agent_client.post(f"/agents/doublons/{mine.tracking_code}/lier/", {"autre": code})
    assert response.status_code == 400 and "Aucune demande de vos services" in text(response)
    montclair.refresh_from_db()
    assert montclair.merged_into_id is None and not RequestLink.objects.exists()
