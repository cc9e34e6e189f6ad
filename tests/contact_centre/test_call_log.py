"""Logging a call or a visit: the form, its French errors, the event on the request, transfers kept inside the
collectivité, the duration."""

import datetime
import re
from html import unescape

import pytest
from django.utils import timezone

from guichet.contact_centre import services
from guichet.contact_centre.models import Contact
from guichet.service_requests.models import RequestEvent
from tests.conftest import client_for, make_agent, make_citizen, make_service
from tests.workflows.conftest import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(organisation, phone_agent, caller):
    contact = services.start_contact(organisation, phone_agent, Contact.Kind.CALL, citizen=caller)
    Contact.objects.filter(pk=contact.pk).update(started_at=timezone.now() - datetime.timedelta(minutes=4, seconds=5))
    contact.refresh_from_db()
    return contact


def _url(contact):
    return f"/agents/appels/contacts/{contact.pk}/"


def test_the_log_form_proposes_the_computed_duration_and_the_citizen_s_requests(organisation, phone_agent, call,
                                                                                open_request):
    page = unescape(client_for(organisation, phone_agent).get(_url(call)).content.decode())
    assert re.search(r'name="duration" value="4:\d\d"', page)  # from the start of the call to now
    assert open_request.tracking_code in page and "Karim Benali" in page
    assert "Consigner l'appel" in page


def test_a_call_about_a_request_adds_a_call_event_seen_by_agents_only(organisation, phone_agent, call,
                                                                      open_request):
    client = client_for(organisation, phone_agent)
    response = client.post(_url(call), {
        "reason": "Suivi de l'acte", "outcome": "answered", "duration": "3:30", "notes": "Délai rappelé.",
        "related_request": open_request.pk,
    })
    assert response.status_code == 302 and response["Location"] == _url(call)
    report = unescape(client.get(_url(call)).content.decode())
    assert "Compte rendu" in report and "Délai rappelé." in report and "3:30" in report
    assert "Consigner l'appel" not in report and "Corriger le compte rendu" in report
    assert "Consigner l'appel" in unescape(client.get(_url(call), {"modifier": "1"}).content.decode())
    call.refresh_from_db()
    assert (call.reason, call.outcome, call.duration, call.notes, call.related_request) == (
        "Suivi de l'acte", "answered", datetime.timedelta(minutes=3, seconds=30), "Délai rappelé.", open_request)
    assert call.ended_at is not None and call.logged_at is not None
    event = RequestEvent.objects.get(request=open_request, kind=RequestEvent.Kind.CALL)
    assert (event.actor, event.visible_to_citizen, event.text) == (phone_agent, False, "Suivi de l'acte")
    assert event.data["contact_id"] == call.pk
    # Correcting the log does not trace the call a second time.
    client.post(_url(call), {"reason": "Suivi de l'acte de naissance", "outcome": "answered", "duration": "4",
                             "related_request": open_request.pk})
    assert RequestEvent.objects.filter(request=open_request, kind=RequestEvent.Kind.CALL).count() == 1
    call.refresh_from_db()
    assert call.duration == datetime.timedelta(minutes=4)
    # The citizen's own page of the request does not show it.
    from tests.conftest import client_for as browser

    citizen_page = browser(organisation, open_request.citizen).get(f"/demandes/{open_request.tracking_code}/")
    assert citizen_page.status_code == 200
    assert "Suivi de l" not in citizen_page.content.decode() and "Appel téléphonique" not in citizen_page.content.decode()


def test_a_visit_adds_a_visit_event(organisation, phone_agent, caller, open_request):
    visit = services.start_contact(organisation, phone_agent, Contact.Kind.VISIT, citizen=caller)
    client_for(organisation, phone_agent).post(_url(visit), {
        "reason": "Dépôt de pièce", "outcome": "other", "related_request": open_request.pk})
    assert RequestEvent.objects.filter(request=open_request, kind=RequestEvent.Kind.VISIT).count() == 1


def test_request_created_names_the_request_created_during_the_call(organisation, phone_agent, call, version,
                                                                  caller, open_request):
    new = make_request(version, caller)  # entered on the caller's behalf during the call
    client = client_for(organisation, phone_agent)
    page = client.get(_url(call)).content.decode()
    assert f'<option value="{new.pk}" selected>' in page  # pre-selected: the latest created since the start
    client.post(_url(call), {"reason": "Nouvelle demande", "outcome": "request_created", "created_request": new.pk})
    call.refresh_from_db()
    assert call.created_request == new
    assert RequestEvent.objects.filter(request=new, kind=RequestEvent.Kind.CALL).count() == 1
    assert services.outcome_detail(call) == f"Demande créée : {new.tracking_code}"


@pytest.mark.parametrize("data, field, message", [
    ({"outcome": "answered"}, "reason", "Indiquez le motif du contact."),
    ({"reason": "x"}, "outcome", "Choisissez l'issue du contact."),
    ({"reason": "x", "outcome": "n'importe quoi"}, "outcome", "Choisissez l'issue du contact."),
    ({"reason": "x", "outcome": "transferred"}, "transferred_to_service",
     "Indiquez le service ou l'agent vers qui le contact a été transféré."),
    ({"reason": "x", "outcome": "request_created"}, "created_request",
     "Choisissez la demande créée pendant le contact."),
    ({"reason": "x", "outcome": "answered", "duration": "quatre"}, "duration",
     "Écrivez la durée en minutes (« 5 ») ou en minutes et secondes (« 4:30 »)."),
    ({"reason": "x", "outcome": "answered", "duration": "4:75"}, "duration", "Les secondes vont de 00 à 59."),
    ({"reason": "x", "outcome": "answered", "duration": "9999"}, "duration",
     "Une durée de plus de 12 heures n'est pas plausible."),
    ({"reason": "x", "outcome": "answered", "related_request": "99999999999999999999"}, "related_request",
     "Choisissez une demande de cet usager."),
])
def test_bad_input_gets_a_french_error_and_keeps_what_was_typed(organisation, phone_agent, call, data, field,
                                                                message):
    data = {"notes": "Ce que l'agent a tapé", **data}
    response = client_for(organisation, phone_agent).post(_url(call), data)
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert message in page and "Ce que l'agent a tapé" in page
    call.refresh_from_db()
    assert not call.is_logged


def test_a_transfer_stays_inside_the_collectivite(organisation, other_organisation, phone_agent, call, service):
    foreign_service = make_service(other_organisation, name="Voirie de Montclair", slug="voirie")
    foreign_agent = make_agent(other_organisation, email="b@example.org")
    client = client_for(organisation, phone_agent)
    for data in ({"transferred_to_service": foreign_service.pk}, {"transferred_to_agent": foreign_agent.pk}):
        response = client.post(_url(call), {"reason": "x", "outcome": "transferred", **data})
        assert response.status_code == 400
        assert "de la collectivité" in unescape(response.content.decode())
    colleague = make_agent(organisation, email="voirie@example.org", first_name="Vincent", last_name="Voirie")
    client.post(_url(call), {"reason": "Nid de poule", "outcome": "transferred",
                             "transferred_to_service": service.pk, "transferred_to_agent": colleague.pk})
    call.refresh_from_db()
    assert (call.transferred_to_service, call.transferred_to_agent) == (service, colleague)
    assert services.outcome_detail(call) == "Transféré : État civil — Vincent Voirie"
    # The service refuses it too (not only the form's choices).
    with pytest.raises(services.ContactRefused):
        services.log_contact(call, phone_agent, reason="x", outcome="transferred",
                             transferred_to_service=foreign_service)


def test_a_request_of_another_citizen_or_collectivite_is_refused(organisation, other_organisation, phone_agent, call,
                                                                 version):
    someone_else = make_request(version, make_citizen(organisation, email="z@example.org"))
    response = client_for(organisation, phone_agent).post(
        _url(call), {"reason": "x", "outcome": "answered", "related_request": someone_else.pk})
    assert response.status_code == 400
    with pytest.raises(services.ContactRefused):
        services.log_contact(call, phone_agent, reason="x", outcome="answered", related_request=someone_else)
    assert not RequestEvent.objects.filter(kind=RequestEvent.Kind.CALL).exists()


def test_only_its_agent_or_an_administrator_logs_a_contact(organisation, other_organisation, phone_agent, agent,
                                                           org_admin, call):
    data = {"reason": "x", "outcome": "answered"}
    colleague = client_for(organisation, agent)
    page = colleague.get(_url(call))
    assert page.status_code == 200 and "Consigner" not in page.content.decode()
    assert colleague.post(_url(call), data).status_code == 403
    assert client_for(organisation, org_admin).post(_url(call), data).status_code == 302
    intruder = make_agent(other_organisation, email="b@example.org")
    assert client_for(other_organisation, intruder).get(_url(call)).status_code == 404
    assert client_for(organisation, phone_agent).get("/agents/appels/contacts/99999999999999999999/").status_code \
        == 404


@pytest.mark.parametrize("text, seconds", [("5", 300), ("5 min", 300), ("4:30", 270), ("1:02:03", 3723),
                                           ("0:45", 45)])
def test_durations_in_minutes_or_minutes_and_seconds(text, seconds):
    assert services.parse_duration(text) == datetime.timedelta(seconds=seconds)
    assert services.format_duration(datetime.timedelta(seconds=270)) == "4:30"


def test_the_contact_page_links_to_a_new_request_for_the_citizen(organisation, phone_agent, call):
    from django.urls import reverse

    page = client_for(organisation, phone_agent).get(_url(call)).content.decode()
    url = reverse("citizen_records:start", args=[call.citizen.pk])
    assert f'href="{url}?canal=phone"' in page and "Créer une demande pour cet usager" in page


def test_a_contact_started_without_citizen_is_attached_to_one_found_by_phone(organisation, other_organisation,
                                                                            phone_agent, caller):
    contact = services.start_contact(organisation, phone_agent, Contact.Kind.VISIT)
    client = client_for(organisation, phone_agent)
    page = unescape(client.get(_url(contact), {"numero": "07 98 76 54 32"}).content.decode())
    assert "Karim Benali" in page and "C'est cet usager" in page
    assert "Aucun usager avec ce numéro" in unescape(
        client.get(_url(contact), {"numero": "01 99 00 00 00"}).content.decode())
    foreigner = make_citizen(other_organisation, email="f@example.org")
    assert client.post(f"{_url(contact)}usager/", {"citizen": foreigner.pk}).status_code == 404
    assert client.post(f"{_url(contact)}usager/", {"citizen": caller.pk}).status_code == 302
    contact.refresh_from_db()
    assert contact.citizen == caller
