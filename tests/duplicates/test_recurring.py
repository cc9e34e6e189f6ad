"""« Problèmes récurrents »: requests grouped by procedure and place over a period, one aggregate query."""

import datetime
import html
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guichet.duplicates.services import recurring_problems
from guichet.service_requests.agent_services import requests_for_agent
from guichet.service_requests.models import ServiceRequest
from tests.conftest import client_for, make_agent, make_service
from tests.documents.builders import make_version

from .conftest import FORM, WORKFLOW, make_request

pytestmark = pytest.mark.django_db
URL = "/agents/doublons/recurrents/"


def text(response):
    return html.unescape(response.content.decode())


def several(version, count, *, district="", address="", days_ago=0, **fields):
    return [make_request(version, None, contact_email=f"{district or address}-{days_ago}-{i}@example.org",
                         district=district, address=address, days_ago=days_ago, **fields) for i in range(count)]


def rows(response):
    return [(row["procedure__title"], row["place_value"], row["total"]) for row in response.context["rows"]]


def test_groups_of_at_least_three_biggest_first(voirie, other_voirie, agent_client):
    several(voirie, 4, district="Centre")
    several(voirie, 3, district="Les Hauts")
    several(voirie, 2, district="La Gare")  # under the threshold
    several(other_voirie, 3, district="Centre")
    response = agent_client.get(URL)
    assert response.status_code == 200
    assert rows(response) == [
        ("Signaler un problème de voirie", "Centre", 4),
        ("Signaler un lampadaire en panne", "Centre", 3),
        ("Signaler un problème de voirie", "Les Hauts", 3),
    ]
    page = text(response)
    assert "Problèmes récurrents" in page and "La Gare" not in page
    response = agent_client.get(URL, {"periode": "90", "lieu": "district", "seuil": "2"})
    assert ("Signaler un problème de voirie", "La Gare", 2) in rows(response)


def test_each_group_links_to_the_queue_filtered_on_it(voirie, agent_client):
    several(voirie, 3, district="Centre")
    response = agent_client.get(URL, {"periode": "30", "lieu": "district", "seuil": "3"})
    (row,) = response.context["rows"]
    link = urlparse(row["queue_url"])
    assert link.path == "/agents/demandes/"
    query = parse_qs(link.query)
    today = timezone.localdate()
    assert query == {"procedure": [str(voirie.procedure_id)], "district": ["Centre"], "state": ["all"],
                     "submitted_from": [(today - datetime.timedelta(days=29)).isoformat()],
                     "submitted_to": [today.isoformat()]}
    assert row["queue_url"].replace("&", "&amp;") in response.content.decode()


def test_by_address_and_merged_requests_counted_once(voirie, agent_client, agent):
    from guichet.duplicates.services import merge

    requests = several(voirie, 3, address="3 rue des Lilas, 54470 Saint-Aubin", district="Centre")
    response = agent_client.get(URL, {"periode": "90", "lieu": "address", "seuil": "3"})
    assert rows(response) == [("Signaler un problème de voirie", "3 rue des Lilas, 54470 Saint-Aubin", 3)]
    assert "address=3+rue+des+Lilas" in response.context["rows"][0]["queue_url"]
    merge(requests[0], requests[1], agent)
    response = agent_client.get(URL, {"periode": "90", "lieu": "address", "seuil": "3"})
    assert rows(response) == []


def test_the_period(voirie, agent_client):
    several(voirie, 3, district="Centre", days_ago=45)
    several(voirie, 3, district="Les Hauts", days_ago=200)
    assert rows(agent_client.get(URL, {"periode": "30", "seuil": "3"})) == []
    assert [r[1] for r in rows(agent_client.get(URL, {"periode": "90", "seuil": "3"}))] == ["Centre"]
    assert [r[1] for r in rows(agent_client.get(URL, {"periode": "365", "seuil": "3"}))] == ["Centre", "Les Hauts"]
    today = timezone.localdate()
    dates = {"periode": "dates", "du": (today - datetime.timedelta(days=210)).isoformat(),
             "au": (today - datetime.timedelta(days=190)).isoformat(), "seuil": "3"}
    assert [r[1] for r in rows(agent_client.get(URL, dates))] == ["Les Hauts"]
    # French dates too; the last day is included.
    day = timezone.localtime(ServiceRequest.objects.filter(district="Centre").first().submitted_at).date()
    dates = {"periode": "dates", "du": day.strftime("%d/%m/%Y"), "au": day.strftime("%d/%m/%Y"), "seuil": "3"}
    assert [r[1] for r in rows(agent_client.get(URL, dates))] == ["Centre"]


def test_bad_input(agent_client):
    cases = [
        ({"periode": "dates"}, "Indiquez la date de début de la période."),
        ({"periode": "dates", "du": "2026-03-10", "au": "2026-03-01"}, "La date de fin doit suivre la date de début."),
        ({"periode": "dates", "du": "31/02/2026", "au": "2026-03-01"}, "Indiquez une date valide"),
        ({"seuil": "1"}, "Indiquez au moins 2 demandes."),
        ({"seuil": "beaucoup"}, "Indiquez un nombre entier"),
        ({"periode": "7"}, "Sélectionnez un choix valide"),
        ({"periode": "dates", "du": "2000-01-01", "au": "2026-01-01"}, "cinq ans au plus"),
    ]
    for params, message in cases:
        response = agent_client.get(URL, params)
        assert response.status_code == 400, params
        assert message in text(response), params


def test_permissions_and_isolation(voirie, organisation, other_organisation, citizen):
    roads = make_service(organisation, name="Voirie", slug="voirie")
    roads_version = make_version(organisation, roads, slug="trottoirs", title="Trottoirs", form=FORM,
                                 workflow=WORKFLOW)
    several(voirie, 3, district="Centre")
    several(roads_version, 3, district="Centre")
    montclair_service = make_service(other_organisation, name="Voirie", slug="voirie")
    montclair = make_version(other_organisation, montclair_service, slug="voirie", title="Voirie de Montclair",
                             form=FORM, workflow=WORKFLOW)
    several(montclair, 5, district="Centre")
    roads_agent = make_agent(organisation, email="voirie@example.org", services=[roads])
    assert rows(client_for(organisation, roads_agent).get(URL)) == [("Trottoirs", "Centre", 3)]
    admin = make_agent(organisation, email="admin2@example.org", is_org_admin=True)
    assert sorted(rows(client_for(organisation, admin).get(URL))) == [
        ("Signaler un problème de voirie", "Centre", 3), ("Trottoirs", "Centre", 3)]
    assert client_for(organisation, citizen).get(URL).status_code == 403
    assert client_for(organisation).get(URL).status_code == 302


def test_one_aggregate_query_and_a_constant_page(voirie, other_voirie, agent_client, agent, organisation):
    counts = []
    for size in (2, 8):
        for i in range(size):
            several(voirie if i % 2 else other_voirie, 3, district=f"Quartier {size}-{i}")
        with CaptureQueriesContext(connection) as queries:
            response = agent_client.get(URL, {"periode": "90", "seuil": "3"})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    agent.is_verified = lambda: True  # what the OTP middleware sets on a signed-in agent
    groups = recurring_problems(requests_for_agent(agent, organisation), timezone.now() - datetime.timedelta(days=1),
                                timezone.now() + datetime.timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        assert len(list(groups)) == 10
    assert len(queries) == 1 and "GROUP BY" in queries[0]["sql"]


def test_paginated(voirie, agent_client, settings):
    from guichet.duplicates import views

    original = views.GROUPS_PER_PAGE
    views.GROUPS_PER_PAGE = 2
    try:
        for i in range(3):
            several(voirie, 3, district=f"Quartier {i}")
        first = agent_client.get(URL, {"periode": "90", "seuil": "3"})
        second = agent_client.get(URL, {"periode": "90", "seuil": "3", "page": "2"})
    finally:
        views.GROUPS_PER_PAGE = original
    assert len(first.context["rows"]) == 2 and len(second.context["rows"]) == 1
    assert "Page 1 sur 2" in text(first)
    assert "periode=90" in text(first) and "page=2" in text(first)
