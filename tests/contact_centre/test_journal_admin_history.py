"""The journal of contacts, the administrators' telephony page, the citizen's history, the demo data."""

import datetime
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from guichet.citizen_records.history import HistoryItem
from guichet.contact_centre import demo, history, services
from guichet.contact_centre.models import Contact, TelephonySecret
from tests.conftest import client_for, make_agent, make_citizen

from .conftest import post_call

pytestmark = pytest.mark.django_db

JOURNAL = "/agents/appels/journal/"
TELEPHONY = "/agents/appels/telephonie/"


def _logged(organisation, agent, citizen=None, kind=Contact.Kind.CALL, outcome="answered", reason="Horaires",
            days_ago=0):
    contact = services.start_contact(organisation, agent, kind, citizen=citizen)
    Contact.objects.filter(pk=contact.pk).update(started_at=timezone.now() - datetime.timedelta(days=days_ago))
    contact.refresh_from_db()
    return services.log_contact(contact, agent, reason=reason, outcome=outcome)


def test_the_journal_lists_and_filters_contacts(organisation, other_organisation, phone_agent, agent, caller,
                                                django_assert_max_num_queries):
    _logged(organisation, phone_agent, caller, reason="Horaires de la mairie")
    _logged(organisation, agent, kind=Contact.Kind.VISIT, outcome="other", reason="Plan de la ville", days_ago=3)
    _logged(other_organisation, make_agent(other_organisation, email="b@example.org"), reason="Secret de Montclair")
    client = client_for(organisation, agent)
    with django_assert_max_num_queries(10):
        page = unescape(client.get(JOURNAL).content.decode())
    assert "Horaires de la mairie" in page and "Plan de la ville" in page and "Montclair" not in page
    page = unescape(client.get(JOURNAL, {"agent": phone_agent.pk}).content.decode())
    assert "Horaires de la mairie" in page and "Plan de la ville" not in page
    page = unescape(client.get(JOURNAL, {"outcome": "other"}).content.decode())
    assert "Plan de la ville" in page and "Horaires de la mairie" not in page
    today = timezone.localdate().isoformat()
    page = unescape(client.get(JOURNAL, {"date_from": today}).content.decode())
    assert "Horaires de la mairie" in page and "Plan de la ville" not in page


@pytest.mark.parametrize("query, message", [
    ({"date_from": "0001-01-01"}, "Indiquez une date entre 1900 et 2999."),
    ({"date_from": "pas une date"}, "Indiquez une date valide"),
    ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "La date de fin précède la date de début."),
    ({"agent": "99999999999999999999"}, "Choisissez une valeur de la liste."),
    ({"outcome": "bidon"}, "Choisissez une valeur de la liste."),
])
def test_bad_journal_filters_are_explained(organisation, agent, query, message):
    response = client_for(organisation, agent).get(JOURNAL, query)
    assert response.status_code == 400 and message in unescape(response.content.decode())


def test_the_journal_is_paginated(organisation, agent):
    for _index in range(55):
        services.start_contact(organisation, agent, Contact.Kind.CALL)
    client = client_for(organisation, agent)
    assert "Page 1 sur 2" in client.get(JOURNAL).content.decode()
    assert "Page 2 sur 2" in client.get(JOURNAL, {"page": "2"}).content.decode()


def test_an_administrator_generates_a_secret_shown_once_and_revokes_it(organisation, org_admin):
    client = client_for(organisation, org_admin)
    response = client.post(TELEPHONY, {"label": "Centrex"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    clear = response.context["clear"]
    assert clear.startswith("gtel_") and clear in response.content.decode()
    stored = TelephonySecret.objects.get()
    assert stored.label == "Centrex" and stored.secret_hash == services.hash_secret(clear)
    # Never shown again.
    assert clear not in client.get(TELEPHONY).content.decode()
    # It works on the webhook, until revoked.
    assert post_call(Client(), organisation, {"call_id": "1"}, clear).status_code == 202
    client.post(f"{TELEPHONY}{stored.pk}/revoquer/")
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert post_call(Client(), organisation, {"call_id": "2"}, clear).status_code == 401


def test_the_telephony_page_is_for_administrators_of_the_collectivite(organisation, other_organisation, agent,
                                                                      citizen_client):
    assert client_for(organisation, agent).get(TELEPHONY).status_code == 403
    assert citizen_client.get(TELEPHONY).status_code == 403
    secret = services.generate_secret(organisation)[0]
    other_admin = make_agent(other_organisation, email="admin-b@example.org", is_org_admin=True)
    assert client_for(other_organisation, other_admin).post(f"{TELEPHONY}{secret.pk}/revoquer/").status_code == 404
    secret.refresh_from_db()
    assert secret.is_active


def test_the_history_gives_the_citizen_s_calls_and_visits_in_one_query(organisation, other_organisation,
                                                                       phone_agent, caller, service,
                                                                       django_assert_num_queries):
    _logged(organisation, phone_agent, caller, reason="Horaires")
    services.log_contact(services.start_contact(organisation, phone_agent, Contact.Kind.VISIT, citizen=caller),
                         phone_agent, reason="Cantine", outcome="transferred", transferred_to_service=service)
    _logged(organisation, phone_agent, make_citizen(organisation, email="z@example.org"), reason="Autre usager")
    with django_assert_num_queries(1):
        items = history.history_items(organisation, caller)
    assert [type(item) for item in items] == [HistoryItem, HistoryItem]
    visit, call = items
    assert (visit.kind, visit.channel, visit.label, visit.detail.split(" — ")[0]) == (
        "visit", "counter", "Passage à l'accueil : Cantine", "Transféré : État civil")
    assert (call.kind, call.channel, call.label, call.agent) == (
        "call", "phone", "Appel téléphonique : Horaires", "Sandra Standard")
    assert call.url == f"/agents/appels/contacts/{call.extra['contact_id']}/"
    assert history.history_items(other_organisation, caller) == []


def test_the_one_history_of_citizen_records_carries_the_calls(organisation, phone_agent, caller):
    from guichet.citizen_records.history import citizen_history

    _logged(organisation, phone_agent, caller, reason="Horaires")
    assert any(item.kind == "call" for item in citizen_history(organisation, caller))


def test_the_screen_carries_the_knowledge_and_directory_search_boxes(organisation, agent):
    from django.urls import reverse

    page = client_for(organisation, agent).get("/agents/appels/").content.decode()
    for name in ("knowledge:search", "directory:search"):
        assert f'action="{reverse(name, urlconf="guichet.urls")}"' in page
    assert 'data-inline-search="knowledge-results"' in page


def test_demo_data(organisation, org_admin, agent, citizen):
    from guichet.accounts.models import User

    User.objects.filter(pk=agent.pk).update(email="agent@saint-aubin.localhost")
    clear = demo.load_demo(organisation)
    assert clear == "demo-telephonie-saint-aubin"
    demo.load_demo(organisation)  # idempotent
    assert TelephonySecret.objects.of(organisation).count() == 1
    assert Contact.objects.of(organisation).filter(logged_at__isnull=False).count() == 4
    agent.refresh_from_db()
    assert agent.phone_extension == "204"
    assert post_call(Client(), organisation, {"call_id": "d", "extension": "204"}, clear).json()["assigned"] is True


def test_an_administrator_sets_the_agents_extensions(organisation, other_organisation, org_admin, agent,
                                                     phone_agent):
    client = client_for(organisation, org_admin)
    assert client.get("/agents/appels/telephonie/postes/").status_code == 200
    assert client.post("/agents/appels/telephonie/postes/", {"agent": agent.pk, "extension": "210"}).status_code \
        == 302
    agent.refresh_from_db()
    assert agent.phone_extension == "210"
    taken = client.post("/agents/appels/telephonie/postes/", {"agent": agent.pk, "extension": "204"})
    assert taken.status_code == 400 and "déjà celui de Sandra Standard" in unescape(taken.content.decode())
    bad = client.post("/agents/appels/telephonie/postes/", {"agent": agent.pk, "extension": "2 0"})
    assert bad.status_code == 400 and 'value="2 0"' in bad.content.decode()
    agent.refresh_from_db()
    assert agent.phone_extension == "210"
    foreign = make_agent(other_organisation, email="b@example.org")
    assert client.post("/agents/appels/telephonie/postes/", {"agent": foreign.pk, "extension": "1"}).status_code \
        == 404
    assert client_for(organisation, agent).get("/agents/appels/telephonie/postes/").status_code == 403
