"""Who may start a procedure: anyone, signed-in citizens, or agents only (counter entry)."""

from guichet.service_requests.models import ServiceRequest
from tests.conftest import client_for
from tests.service_requests.conftest import make_procedure, start, start_url, text


def test_citizen_procedures_send_anonymous_visitors_to_the_sign_in_page(anonymous_client, procedure):
    for method in (anonymous_client.get, anonymous_client.post):
        response = method(start_url(procedure))
        assert response.status_code == 302
        assert response.url.startswith("/compte/connexion/") or "next=" in response.url
        assert "commencer" in response.url
    assert not ServiceRequest.objects.exists()


def test_agents_only_procedures_are_refused_to_citizens_in_french(organisation, service, citizen_client,
                                                                 anonymous_client):
    counter = make_procedure(organisation, service, slug="guichet", title="Saisie au guichet", who="agents")
    for client in (citizen_client, anonymous_client):
        response = client.post(start_url(counter))
        assert response.status_code == 403
        assert "adressez-vous à l'accueil de la mairie" in text(response)
    assert not ServiceRequest.objects.exists()


def test_an_agent_enters_an_agents_only_procedure_at_the_counter(organisation, service, agent, agent_client):
    counter = make_procedure(organisation, service, slug="guichet", title="Saisie au guichet", who="agents")
    draft = start(agent_client, counter)
    assert draft.citizen is None and draft.entered_by == agent
    assert draft.channel == ServiceRequest.Channel.COUNTER
    assert draft.current_page == "coordonnees"
    assert agent_client.get(f"/demandes/{draft.tracking_code}/coordonnees/").status_code == 200
    # Another agent does not see it.
    from tests.conftest import make_agent

    other = client_for(organisation, make_agent(organisation, email="autre.agent@example.org", services=[service]))
    assert other.get(f"/demandes/{draft.tracking_code}/coordonnees/").status_code == 404


def test_agents_cannot_file_a_citizen_procedure_for_themselves(agent_client, procedure):
    response = agent_client.post(start_url(procedure))
    assert response.status_code == 403
    assert "compte d'un usager" in text(response)
    assert not ServiceRequest.objects.exists()


def test_an_agent_without_second_factor_cannot_start_a_counter_entry(organisation, service, agent):
    counter = make_procedure(organisation, service, slug="guichet", title="Saisie au guichet", who="agents")
    client = client_for(organisation)
    client.force_login(agent, backend="guichet.accounts.backends.OrganisationBackend")  # no TOTP
    assert client.post(start_url(counter)).status_code == 403
    assert not ServiceRequest.objects.exists()


def test_anyone_procedures_accept_visitors_without_account(anonymous_client, open_procedure):
    draft = start(anonymous_client, open_procedure)
    assert draft.citizen is None and draft.entered_by is None
    assert draft.channel == ServiceRequest.Channel.WEB
    assert draft.data == {}  # nothing to pre-fill
    assert draft.current_page == "coordonnees"


def test_anyone_procedures_are_owned_by_a_signed_in_citizen(citizen_client, citizen, open_procedure):
    draft = start(citizen_client, open_procedure)
    assert draft.citizen == citizen
    assert draft.current_page == "demandeur"  # no contact step: the account says who it is


def test_existing_drafts_are_offered_on_the_start_page(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    page = citizen_client.get(start_url(procedure)).content.decode()
    assert f"Reprendre le brouillon {draft.tracking_code}" in page
    assert "Commencer une nouvelle demande" in page


def test_a_counter_entry_is_sent_with_the_contact_details_and_seen_by_its_agent(
        organisation, service, agent, agent_client):
    from django.core import mail

    from guichet.background.testing import run_ready_jobs
    from tests.service_requests.conftest import fill_all, fill_contact, send

    counter = make_procedure(organisation, service, slug="guichet", title="Saisie au guichet", who="agents")
    draft = start(agent_client, counter)
    fill_contact(agent_client, draft, name="Jeanne Roux", email="jeanne.roux@example.org")
    fill_all(agent_client, draft)
    response = send(agent_client, draft)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_submitted and draft.entered_by == agent and draft.citizen is None
    assert agent_client.get(response.url).status_code == 200
    assert agent_client.get(f"/demandes/{draft.tracking_code}/accuse-de-reception.pdf").status_code == 200
    run_ready_jobs()
    assert [message.to for message in mail.outbox if draft.tracking_code in message.subject] == [
        ["jeanne.roux@example.org"]]


def test_computed_values_are_never_taken_from_the_browser(organisation, service, citizen, citizen_client):
    citizen.city = "Saint-Aubin"
    citizen.save()
    form = {"pages": [{"id": "p", "title": "Demande", "condition": None, "fields": [
        {"id": "objet", "type": "text", "label": "Objet", "required": True},
        {"id": "commune", "type": "computed", "label": "Commune", "expression": "{{ profile.city }}"},
    ]}]}
    computed = make_procedure(organisation, service, slug="calcul", title="Calcul", form=form)
    draft = start(citizen_client, computed)
    response = citizen_client.post(f"/demandes/{draft.tracking_code}/page/p/",
                                   {"objet": "Test", "commune": "Paris", "action": "next"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.data == {"objet": "Test", "commune": "Saint-Aubin"}
