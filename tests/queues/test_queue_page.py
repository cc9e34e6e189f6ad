"""The queue page /agents/demandes/: what each agent sees, every filter and its errors, sorts, deadline states,
pagination with a capped count, constant number of queries."""

import datetime
import html

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guichet.agents.models import Membership
from guichet.queues import services
from guichet.queues.services import deadline_state
from guichet.service_requests.models import ServiceRequest
from tests.conftest import client_for, make_agent, make_citizen

from .conftest import days, new_request

URL = "/agents/demandes/"


def codes(response):
    return [item.tracking_code for item in response.context["page"].object_list]


def text(response):
    return html.unescape(response.content.decode())


# --- deadline states -------------------------------------------------------------------------------------------


def test_deadline_state_of_a_request():
    today = datetime.date(2026, 3, 10)
    request = ServiceRequest(deadline=None)
    assert deadline_state(request, today) == ""
    for deadline, state in [
        (datetime.date(2026, 3, 9), "overdue"), (today, "due_soon"), (datetime.date(2026, 3, 13), "due_soon"),
        (datetime.date(2026, 3, 14), "on_time"),
    ]:
        assert deadline_state(ServiceRequest(deadline=deadline), today) == state
    closed = ServiceRequest(deadline=datetime.date(2026, 1, 1), closed_at=timezone.now())
    withdrawn = ServiceRequest(deadline=datetime.date(2026, 1, 1), withdrawn_at=timezone.now())
    assert deadline_state(closed, today) == deadline_state(withdrawn, today) == ""
    # Default: today in Paris.
    assert deadline_state(ServiceRequest(deadline=timezone.localdate() - datetime.timedelta(days=1))) == "overdue"


def test_the_badge_says_the_state_in_words_not_only_colour():
    template = Template("{% load queues_tags %}{% deadline_badge r %}|{% priority_badge r %}|{{ r|deadline_state }}")
    rendered = template.render(Context({"r": ServiceRequest(deadline=days(-2), priority=4)}))
    assert 'class="badge deadline deadline-overdue">En retard</span>' in rendered
    assert "priority-4" in rendered and "Urgente" in rendered and rendered.endswith("|overdue")
    assert Template("{% load queues_tags %}{% deadline_badge r %}").render(
        Context({"r": ServiceRequest(deadline=None)})).strip() == ""


# --- who sees what ---------------------------------------------------------------------------------------------


def test_an_agent_lands_on_the_open_requests_of_their_services_by_deadline(
        organisation, other_organisation, agent, org_admin, version, voirie_version, other_version, citizen):
    later = new_request(version, citizen, deadline=days(20))
    overdue = new_request(version, citizen, deadline=days(-3))
    no_deadline = new_request(version, citizen, deadline=None)
    soon = new_request(version, citizen, deadline=days(1))
    closed = new_request(version, citizen, deadline=days(-10))
    ServiceRequest.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    withdrawn = new_request(version, citizen, deadline=days(-9))
    ServiceRequest.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())
    voirie = new_request(voirie_version, citizen, deadline=days(-5))
    new_request(other_version, make_citizen(other_organisation, email="m@example.org"), deadline=days(-8))
    draft = new_request(version, citizen, start=False, deadline=days(-7))
    ServiceRequest.objects.filter(pk=draft.pk).update(state=ServiceRequest.State.DRAFT)

    response = client_for(organisation, agent).get(URL)
    assert response.status_code == 200
    assert codes(response) == [overdue.tracking_code, soon.tracking_code, later.tracking_code,
                               no_deadline.tracking_code]
    page = text(response)
    assert "<caption>4 demandes (ici de 1 à 4) — tri : date limite, la plus proche d'abord</caption>" in page
    assert 'deadline-overdue">En retard' in page and 'deadline-due_soon">Bientôt due' in page
    assert 'deadline-on_time">Dans les temps' in page and "Sans date limite" in page
    assert "Reçue" in page and "Normale" in page
    # The org administrator sees every service's.
    admin_codes = codes(client_for(organisation, org_admin).get(URL))
    assert admin_codes[0] == voirie.tracking_code and len(admin_codes) == 5


def test_an_agent_of_another_service_or_an_elected_member_sees_none_of_them(organisation, service, version, citizen,
                                                                         voirie):
    new_request(version, citizen, deadline=days(2))
    other_agent = make_agent(organisation, email="voirie@example.org", services=[voirie])
    elected = make_agent(organisation, email="elu@example.org", services=[service], role=Membership.Role.ELECTED)
    for user in (other_agent, elected):
        response = client_for(organisation, user).get(URL)
        assert response.status_code == 200 and codes(response) == []
        assert "Aucune demande ne correspond." in text(response)


def test_the_queue_is_for_verified_agents_only(organisation, citizen):
    assert client_for(organisation, citizen).get(URL).status_code == 403
    response = client_for(organisation).get(URL)
    assert response.status_code == 302 and reverse("agents:login") in response["Location"]


def test_the_agent_home_and_navigation_lead_to_the_queue(organisation, agent):
    page = text(client_for(organisation, agent).get("/agents/"))
    assert f'<a href="{URL}">File des demandes de mes services</a>' in page


# --- filters ---------------------------------------------------------------------------------------------------


@pytest.fixture
def varied(organisation, service, voirie, agent, colleague, version, voirie_version, citizen):
    """Requests that differ on one criterion each (all open, Saint-Aubin), by name."""
    other = make_agent(organisation, email="multi@example.org", services=[service, voirie])
    rows = {
        "phone": new_request(version, citizen, channel="phone", deadline=days(30)),
        "mine": new_request(version, citizen, assigned_to=agent, deadline=days(31)),
        "colleague": new_request(version, citizen, assigned_to=colleague, deadline=days(32)),
        "urgent": new_request(version, citizen, priority=4, deadline=days(33)),
        "centre": new_request(version, citizen, district="Centre-ville", address="3 rue de la Paix",
                              deadline=days(34)),
        "old": new_request(version, citizen, deadline=days(35)),
        "voirie": new_request(voirie_version, citizen, deadline=days(36)),
    }
    ServiceRequest.objects.filter(pk=rows["old"].pk).update(
        submitted_at=timezone.make_aware(datetime.datetime(2026, 1, 15, 10, 0)))
    instruct = rows["phone"]
    from guichet.workflows import engine

    engine.press(instruct, "instruire", agent)
    return other, rows


def test_each_filter(organisation, version, agent, colleague, varied):
    multi, rows = varied
    client = client_for(organisation, multi)
    every = set(codes(client.get(URL)))
    assert every == {row.tracking_code for row in rows.values()}

    def only(params):
        response = client.get(URL, params)
        assert response.status_code == 200, params
        assert response.context["form"].is_valid(), response.context["form"].errors
        return {code for code in codes(response)}

    code = {name: row.tracking_code for name, row in rows.items()}
    assert only({"channel": "phone"}) == {code["phone"]}
    assert only({"status": "instruction"}) == {code["phone"]}
    assert only({"priority": "4"}) == {code["urgent"]}
    assert only({"assignee": str(agent.pk)}) == {code["mine"]}
    assert only({"assignee": str(colleague.pk)}) == {code["colleague"]}
    assert only({"assignee": "nobody"}) == every - {code["mine"], code["colleague"]}
    assert only({"district": "Centre-ville"}) == {code["centre"]}
    assert only({"address": "RUE DE LA paix"}) == {code["centre"]}
    assert only({"service": str(rows["voirie"].service_id)}) == {code["voirie"]}
    assert only({"procedure": str(version.procedure_id)}) == every - {code["voirie"]}
    assert only({"submitted_to": "2026-01-15"}) == {code["old"]}
    assert only({"submitted_from": "2026-01-16"}) == every - {code["old"]}
    assert only({"submitted_from": "2026-01-15", "submitted_to": "2026-01-15"}) == {code["old"]}
    # « me » is the agent looking at the queue.
    assert set(codes(client_for(organisation, agent).get(URL, {"assignee": "me"}))) == {code["mine"]}


def test_deadline_state_and_open_or_closed_filters(organisation, agent, version, citizen):
    overdue = new_request(version, citizen, deadline=days(-1))
    today = new_request(version, citizen, deadline=days(0))
    soon = new_request(version, citizen, deadline=days(3))
    later = new_request(version, citizen, deadline=days(4))
    none = new_request(version, citizen, deadline=None)
    closed = new_request(version, citizen, deadline=days(-20))
    ServiceRequest.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    client = client_for(organisation, agent)
    assert codes(client.get(URL, {"deadline_state": "overdue"})) == [overdue.tracking_code]
    assert codes(client.get(URL, {"deadline_state": "due_soon"})) == [today.tracking_code, soon.tracking_code]
    assert codes(client.get(URL, {"deadline_state": "on_time"})) == [later.tracking_code]
    assert codes(client.get(URL, {"deadline_state": "none"})) == [none.tracking_code]
    assert codes(client.get(URL, {"state": "closed"})) == [closed.tracking_code]
    assert len(codes(client.get(URL, {"state": "all"}))) == 6
    page = text(client.get(URL, {"state": "closed"}))
    assert "Demande close</span>" in page
    # A closed request is never « overdue ».
    assert codes(client.get(URL, {"state": "closed", "deadline_state": "overdue"})) == []


def test_bad_filters_are_explained_in_french_and_show_nothing(organisation, other_organisation, agent, version,
                                                              voirie_version, other_version, citizen):
    new_request(version, citizen, deadline=days(2), district="Centre")
    client = client_for(organisation, agent)
    cases = [
        ({"procedure": str(other_version.procedure_id)}, "Démarche", "Sélectionnez un choix valide"),
        ({"procedure": str(voirie_version.procedure_id)}, "Démarche", "Sélectionnez un choix valide"),
        ({"status": "inconnu"}, "Statut", "Sélectionnez un choix valide"),
        ({"channel": "pigeon"}, "Canal", "Sélectionnez un choix valide"),
        ({"priority": "9"}, "Priorité", "Sélectionnez un choix valide"),
        ({"assignee": "99999"}, "Agent en charge", "Sélectionnez un choix valide"),
        ({"deadline_state": "hier"}, "Délai", "Sélectionnez un choix valide"),
        ({"district": "Atlantide"}, "Quartier ou commune", "Sélectionnez un choix valide"),
        ({"sort": "hasard"}, "Trier par", "Sélectionnez un choix valide"),
        ({"submitted_from": "31/02/2026"}, "Envoyée à partir du", "Saisissez une date valide"),
        ({"submitted_from": "2026-03-02", "submitted_to": "2026-03-01"}, "Envoyée jusqu'au",
         "Cette date doit être postérieure ou égale à la date de début."),
        ({"address": "x" * 201}, "Adresse (contient)", "au plus 200 caractères"),
        ({"submitted_from": "0001-01-01"}, "Envoyée à partir du", "Saisissez une date entre le 01/01/1900"),
        ({"submitted_to": "9999-12-31"}, "Envoyée jusqu'au", "Saisissez une date entre le 01/01/1900"),
    ]
    for params, label, error in cases:
        response = client.get(URL, params)
        assert response.status_code == 200
        assert codes(response) == [], params
        page = text(response)
        assert error in page and f"{label} : " in page, params  # in the summary, linked to its field
        assert "Corrigez les filtres pour afficher les demandes." in page


def test_a_district_new_since_the_choices_were_cached_is_found(organisation, agent, version, citizen):
    client = client_for(organisation, agent)
    new_request(version, citizen, district="Centre")
    assert client.get(URL).status_code == 200  # caches ["Centre"]
    fresh = new_request(version, citizen, district="Les Hauts")
    response = client.get(URL, {"district": "Les Hauts"})
    assert response.context["form"].is_valid() and codes(response) == [fresh.tracking_code]


def test_sorts(organisation, agent, version, citizen):
    now = timezone.now()
    a = new_request(version, citizen, deadline=days(5), priority=1)
    b = new_request(version, citizen, deadline=None, priority=4)
    c = new_request(version, citizen, deadline=days(1), priority=3)
    for n, item in enumerate((a, b, c)):
        ServiceRequest.objects.filter(pk=item.pk).update(
            submitted_at=now - datetime.timedelta(days=10 - n), updated_at=now - datetime.timedelta(days=n))
    client = client_for(organisation, agent)
    order = lambda sort: [code for code in codes(client.get(URL, {"sort": sort}))]  # noqa: E731
    assert order("deadline") == [c.tracking_code, a.tracking_code, b.tracking_code]
    assert order("recent") == [c.tracking_code, b.tracking_code, a.tracking_code]
    assert order("oldest") == [a.tracking_code, b.tracking_code, c.tracking_code]
    assert order("priority") == [b.tracking_code, c.tracking_code, a.tracking_code]
    assert order("updated") == [a.tracking_code, b.tracking_code, c.tracking_code]


# --- pages and queries -----------------------------------------------------------------------------------------


def many(version, citizen, n, **fields):
    from guichet.service_requests.services import unique_tracking_code

    now = timezone.now()
    ServiceRequest.objects.bulk_create([
        ServiceRequest(
            organisation=version.organisation, version=version, procedure=version.procedure, citizen=citizen,
            service=version.service, state=ServiceRequest.State.SUBMITTED, submitted_at=now, status="recue",
            tracking_code=unique_tracking_code(), deadline=days(n % 40 - 5), **fields,
        ) for n in range(n)
    ])


def test_fifty_rows_a_page_with_the_filters_kept_in_the_links(organisation, agent, version, citizen):
    many(version, citizen, 57, channel="phone")
    many(version, citizen, 3, channel="web")
    client = client_for(organisation, agent)
    first = client.get(URL, {"channel": "phone"})
    assert len(codes(first)) == 50
    page = text(first)
    assert "Page 1 sur 2" in page and "57 demandes (ici de 1 à 50)" in page
    assert '<a href="?channel=phone&page=2">Page suivante</a>' in page
    second = client.get(URL, {"channel": "phone", "page": "2"})
    assert len(codes(second)) == 7 and '<a href="?channel=phone&page=1">Page précédente</a>' in text(second)
    assert set(codes(first)).isdisjoint(codes(second))
    # A page past the end shows the last one; nonsense shows the first.
    assert codes(client.get(URL, {"channel": "phone", "page": "9"})) == codes(second)
    assert codes(client.get(URL, {"channel": "phone", "page": "abc"})) == codes(first)


def test_the_total_is_counted_only_up_to_a_cap(organisation, agent, version, citizen, monkeypatch):
    monkeypatch.setattr(services, "COUNT_CAP", 60)
    many(version, citizen, 120)
    client = client_for(organisation, agent)
    first = client.get(URL)
    page = text(first)
    assert "Plus de 60 demandes (ici de 1 à 50)" in page and "Page 1</li>" in page and "sur" not in page.split(
        "Page 1</li>")[0][-20:]
    third = client.get(URL, {"page": 3})
    assert len(codes(third)) == 20 and "Page suivante" not in text(third)


def test_the_number_of_queries_does_not_grow_with_the_rows(organisation, agent, colleague, version, voirie_version,
                                                           citizen):
    client = client_for(organisation, agent)
    many(version, citizen, 55)
    client.get(URL)  # the districts' choices are cached for a few minutes

    def count(params):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, params)
        assert response.status_code == 200
        return len(queries.captured_queries), len(codes(response))

    small = count({"page": 2})
    others = [make_citizen(organisation, email=f"u{n}@example.org") for n in range(5)]
    for n, other in enumerate(others):
        many(version, other, 30, assigned_to=colleague if n % 2 else agent, district=f"Quartier {n}",
             address=f"{n} rue Haute")
        many(version, None, 10, contact_name="Sans compte")
    client.get(URL)
    large = count({"page": 2})
    assert small[1] == 5 and large[1] == 50
    assert small[0] == large[0]
    assert count({"page": 1})[0] <= large[0]


def test_the_queue_in_english(organisation, agent, version, citizen):
    new_request(version, citizen, deadline=days(-1))
    client = client_for(organisation, agent)
    client.post("/i18n/setlang/", {"language": "en", "next": URL})
    page = text(client.get(URL))
    assert '<html lang="en">' in page
    for english in ("Request queue", "My saved views", "Filter and sort", "Overdue", "Act on the ticked requests",
                    "1 request — sorted by deadline, soonest first", "Assign them to me"):
        assert english in page, english
    for french in ("File des demandes", "Agir sur les demandes cochées", "En retard"):
        assert french not in page, french
