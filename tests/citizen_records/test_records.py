"""Minimal records, the citizen's record and its one history, requests entered on a citizen's behalf through the
real pages, the receipt (printed when the citizen has neither e-mail nor phone), continuity across channels."""

import datetime
import html

import pytest

from guichet.accounts.models import User
from guichet.citizen_records.history import citizen_history
from guichet.citizen_records import services
from guichet.households.services import add_member
from guichet.notifications.models import Delivery, Notification
from guichet.service_requests.models import RequestEvent, ServiceRequest
from tests.conftest import client_for, make_citizen
from tests.service_requests.conftest import fill_all, page_url, send, start


def text(response):
    return html.unescape(response.content.decode())


def create(client, **fields):
    data = {"last_name": "Durand", "preferred_channel": "email", "civility": ""}
    data.update(fields)
    return client.post("/agents/usagers/nouveau/", data)


# --- Minimal record ---------------------------------------------------------------------------------------------


def test_a_record_with_just_a_name_has_no_password_and_a_hidden_placeholder_address(agent_client, organisation):
    response = create(agent_client, last_name="Durand", first_name="Josette")
    assert response.status_code == 302
    josette = User.objects.get(last_name="Durand")
    assert response.url == f"/agents/usagers/{josette.pk}/"
    assert josette.is_citizen and josette.organisation == organisation and not josette.has_usable_password()
    assert services.is_placeholder_email(josette.email) and josette.email.endswith("@guichet.invalid")
    assert josette.preferred_channel == User.Channel.LETTER  # no e-mail, no phone: letters
    page = text(agent_client.get(response.url))
    assert "guichet.invalid" not in page and "sans-courriel" not in page
    assert "Ni adresse électronique ni téléphone" in page


def test_two_records_without_e_mail_may_coexist(agent_client):
    assert create(agent_client, last_name="Durand", first_name="Josette").status_code == 302
    assert create(agent_client, last_name="Petit", first_name="Marcel", phone="06 11 22 33 44").status_code == 302
    marcel = User.objects.get(last_name="Petit")
    assert marcel.preferred_channel == User.Channel.SMS and str(marcel.phone) == "06 11 22 33 44"


def test_a_full_record(agent_client):
    response = create(agent_client, civility="mme", first_name="Anne", last_name="Leroy", birth_date="02/05/1950",
                      email="Anne.Leroy@Example.org", phone="+33 6 12 34 56 70", address_line="1 rue Haute",
                      postcode="54470", city="Saint-Aubin", preferred_channel="letter")
    assert response.status_code == 302
    anne = User.objects.get(last_name="Leroy")
    assert anne.email == "anne.leroy@example.org" and anne.birth_date == datetime.date(1950, 5, 2)
    assert anne.preferred_channel == "letter" and anne.phone.as_e164 == "+33612345670"


@pytest.mark.parametrize("fields, message", [
    ({"last_name": ""}, "Ce champ est obligatoire"),
    ({"birth_date": "32/13/1990"}, "JJ/MM/AAAA"),
    ({"birth_date": "01/01/2999"}, "dans le futur"),
    ({"phone": "123"}, "numéro de téléphone français valide"),
    ({"email": "pas-une-adresse"}, "adresse de courriel valide"),
    ({"postcode": "5447"}, "5 chiffres"),
    ({"preferred_channel": "sms"}, "indiquez un numéro de téléphone"),
    ({"preferred_channel": "pigeon"}, "Sélectionnez un choix valide"),
])
def test_bad_input_on_the_record_form_keeps_what_was_typed(agent_client, fields, message):
    response = create(agent_client, first_name="Josette", **fields)
    assert response.status_code == 400
    page = text(response)
    assert message in page and 'value="Josette"' in page
    assert not User.objects.filter(first_name="Josette").exists()


def test_likely_duplicates_are_shown_before_creating_another_record(agent_client, organisation):
    existing = make_citizen(organisation, first_name="Paul", last_name="Roux", birth_date=datetime.date(1970, 1, 2),
                            email="paul@example.org")
    other_phone = make_citizen(organisation, email="x@example.org", first_name="Zoé", last_name="Bel",
                               phone="+33699887766")
    response = create(agent_client, first_name="paul", last_name="ROUX", birth_date="02/01/1970")
    assert response.status_code == 400
    page = text(response)
    assert "ressemblent à celle-ci" in page and f"/agents/usagers/{existing.pk}/" in page
    response = create(agent_client, first_name="Zoë", last_name="Belle", phone="06 99 88 77 66")
    assert f"/agents/usagers/{other_phone.pk}/" in text(response)
    assert User.objects.filter(kind="citizen").count() == 2
    # The agent checked: another person with the same name and birth date.
    response = create(agent_client, first_name="Paul", last_name="Roux", birth_date="02/01/1970",
                      confirm_duplicate="on")
    assert response.status_code == 302 and User.objects.filter(last_name="Roux").count() == 2


def test_an_e_mail_already_used_is_refused(agent_client, organisation):
    make_citizen(organisation, email="paul@example.org")
    response = create(agent_client, email="PAUL@example.org")
    assert response.status_code == 400 and "existe déjà avec cette adresse" in text(response)


# --- Record and history -----------------------------------------------------------------------------------------


@pytest.fixture
def camille(organisation):
    citizen = make_citizen(organisation, phone="+33612345678")
    add_member(citizen, relationship="child", first_name="Léo", last_name="Martin",
               birth_date=datetime.date(2015, 3, 2))
    return citizen


def test_the_record_shows_requests_and_one_history_in_bounded_queries(
        organisation, agent, agent_client, camille, procedure, django_assert_max_num_queries):
    citizen_client = client_for(organisation, camille)
    for _number in range(3):
        sent = start(citizen_client, procedure)
        fill_all(citizen_client, sent)
        send(citizen_client, sent)
    online_draft = start(citizen_client, procedure)
    services.start_on_behalf(version=procedure.current_version, agent=agent, citizen=camille, channel="phone")
    closed = ServiceRequest.objects.filter(state="submitted").first()
    ServiceRequest.objects.filter(pk=closed.pk).update(closed_at=datetime.datetime.now(datetime.UTC))
    url = f"/agents/usagers/{camille.pk}/"
    # 18 today: 7 for every agent page, the citizen, household, requests, then the history's providers (4 for
    # requests and notifications, the contact centre's and the mail room's); the margin is for their growth.
    with django_assert_max_num_queries(24) as captured:
        response = agent_client.get(url)
    first = len(captured)
    page = text(response)
    assert "Léo Martin" in page and "06 12 34 56 78" in page
    assert page.count("Demande envoyée (En ligne) : Demande d'acte d'état civil") == 3
    assert "Brouillon commencé : Demande d'acte d'état civil" in page and "Notification envoyée" in page
    assert "Commencé en ligne par l'usager" in page and "Saisi par Dominique Agent (Téléphone)" in page
    assert "Reprendre ce brouillon" in page and online_draft.tracking_code in page
    assert "Closes ou retirées" in page and closed.tracking_code in page
    for _number in range(3):  # more requests and notifications: not one query more
        sent = start(citizen_client, procedure)
        fill_all(citizen_client, sent)
        send(citizen_client, sent)
    with django_assert_max_num_queries(first):
        agent_client.get(url)


def test_the_history_lists_notifications_by_channel_and_hides_the_placeholder_address(organisation, agent):
    from guichet.notifications.services import notify

    josette = services.create_citizen(organisation, agent, last_name="Durand", address_line="2 rue Basse",
                                      postcode="54470", city="Saint-Aubin")
    notify(josette, "message.free", {"objet": "Votre rendez-vous", "message": "Texte"})
    [item] = citizen_history(organisation, josette)
    assert item.kind == "notification" and item.channel == "letter"
    assert item.label == "Notification envoyée : Votre rendez-vous"
    assert "Courrier postal" in item.detail and "guichet.invalid" not in item.detail


def test_the_history_of_one_citizen_never_shows_another_ones(organisation, agent, camille, procedure):
    other = make_citizen(organisation, email="autre@example.org")
    services.start_on_behalf(version=procedure.current_version, agent=agent, citizen=other, channel="phone")
    assert citizen_history(organisation, camille) == []


# --- On the citizen's behalf, through the real pages -----------------------------------------------------------


def test_the_start_page_lists_every_published_procedure_and_defaults_the_channel(
        agent_client, camille, procedure, agents_procedure, open_procedure, organisation, service):
    from tests.service_requests.conftest import make_procedure

    make_procedure(organisation, service, slug="brouillon", title="Pas encore publiée", publish=False)
    response = agent_client.get(f"/agents/usagers/{camille.pk}/nouvelle-demande/?canal=phone")
    page = text(response)
    for title in ("Demande d'acte d'état civil", "Inscription à la cantine", "Signaler un problème"):
        assert title in page
    assert "Pas encore publiée" not in page
    import re

    [checked] = re.findall(r'<input type="radio" name="canal" value="(\w+)"[^>]*checked', page)
    assert checked == "phone"


def test_an_agent_fills_an_agents_only_procedure_by_phone_and_the_citizen_gets_the_receipt_by_sms(
        organisation, agent, agent_client, camille, agents_procedure):
    camille.preferred_channel = User.Channel.SMS
    camille.save()
    response = agent_client.post(f"/agents/usagers/{camille.pk}/nouvelle-demande/",
                                 {"procedure": agents_procedure.pk, "canal": "phone"})
    draft = ServiceRequest.objects.get()
    assert response.status_code == 302 and response.url == page_url(draft, "demandeur")
    assert draft.citizen == camille and draft.entered_by == agent and draft.channel == "phone"
    page = text(agent_client.get(response.url))
    assert 'value="Martin"' in page  # pre-filled from the citizen's profile
    fill_all(agent_client, draft)
    response = send(agent_client, draft)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_submitted and draft.entered_by == agent and draft.channel == "phone"
    assert draft.events.get(kind=RequestEvent.Kind.SUBMITTED).actor == agent
    receipt = text(agent_client.get(response.url))
    assert "La demande est envoyée" in receipt and f"/agents/usagers/{camille.pk}/" in receipt
    assert "Remettez l'accusé de réception imprimé" not in receipt
    delivery = Delivery.objects.get(notification__key="request.receipt")
    assert delivery.channel == "sms" and delivery.address == "+33612345678"
    assert agent_client.get(f"/demandes/{draft.tracking_code}/accuse-de-reception.pdf").status_code == 200


def test_a_citizen_without_e_mail_nor_phone_gets_the_printed_receipt_and_a_letter(
        organisation, agent, agent_client, procedure):
    create(agent_client, first_name="Josette", last_name="Durand", address_line="2 rue Basse", postcode="54470",
           city="Saint-Aubin")
    josette = User.objects.get(last_name="Durand")
    agent_client.post(f"/agents/usagers/{josette.pk}/nouvelle-demande/", {"procedure": procedure.pk,
                                                                           "canal": "counter"})
    draft = ServiceRequest.objects.get()
    fill_all(agent_client, draft)
    response = send(agent_client, draft)
    receipt = text(agent_client.get(response.url))
    assert "Remettez l'accusé de réception imprimé" in receipt
    assert f"/demandes/{draft.tracking_code}/accuse-de-reception.pdf" in receipt
    pdf = agent_client.get(f"/demandes/{draft.tracking_code}/accuse-de-reception.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    [delivery] = Delivery.objects.filter(notification__recipient=josette)
    assert delivery.channel == "letter" and "2 rue Basse" in delivery.address
    assert not Delivery.objects.filter(address__endswith="guichet.invalid").exists()
    # The record's history shows the request entered at the counter and the receipt sent by letter.
    page = text(agent_client.get(f"/agents/usagers/{josette.pk}/"))
    assert "Demande envoyée (Accueil) : Demande d'acte d'état civil" in page
    assert "Notification envoyée : Accusé de réception" in page


def test_nothing_is_ever_sent_to_the_placeholder_address(organisation, agent):
    from guichet.notifications.services import notify

    nobody = services.create_citizen(organisation, agent, last_name="Sansadresse")
    notify(nobody, "message.free", {"objet": "Bonjour", "message": "Texte"})
    assert not Delivery.objects.filter(address__endswith="guichet.invalid").exists()


def test_a_request_for_someone_without_a_record(organisation, agent, agent_client, open_procedure):
    response = agent_client.post("/agents/usagers/nouvelle-demande/", {
        "procedure": open_procedure.pk, "canal": "email", "contact_name": "Alex Dupont",
        "contact_email": "alex@example.org", "contact_phone": "06 12 34 56 78"})
    draft = ServiceRequest.objects.get()
    assert response.status_code == 302 and response.url.endswith("/coordonnees/")
    assert draft.citizen is None and draft.contact_email == "alex@example.org" and draft.channel == "email"
    page = text(agent_client.get(response.url))
    assert 'value="Alex Dupont"' in page


@pytest.mark.parametrize("data, message", [
    ({"canal": "phone"}, "Choisissez la démarche"),
    ({"procedure": "999999", "canal": "phone"}, "Choisissez une démarche de la liste"),
    ({"procedure": "abc", "canal": "phone"}, "Choisissez une démarche de la liste"),
    ({"canal": "web", "procedure": "PROC"}, "Choisissez un canal de la liste"),
])
def test_bad_input_on_the_start_page(agent_client, camille, procedure, data, message):
    data = {key: (str(procedure.pk) if value == "PROC" else value) for key, value in data.items()}
    response = agent_client.post(f"/agents/usagers/{camille.pk}/nouvelle-demande/", data)
    assert response.status_code == 400 and message in text(response)
    assert not ServiceRequest.objects.exists()


def test_a_procedure_of_another_collectivite_cannot_be_started(agent_client, camille, other_organisation):
    from tests.conftest import make_service
    from tests.service_requests.conftest import make_procedure

    foreign = make_procedure(other_organisation, make_service(other_organisation), slug="ailleurs")
    response = agent_client.post(f"/agents/usagers/{camille.pk}/nouvelle-demande/",
                                 {"procedure": foreign.pk, "canal": "phone"})
    assert response.status_code == 400 and not ServiceRequest.objects.exists()


# --- Continuity across channels ---------------------------------------------------------------------------------


def test_the_agent_takes_over_a_draft_started_online(organisation, agent, agent_client, camille, procedure):
    citizen_client = client_for(organisation, camille)
    draft = start(citizen_client, procedure)
    citizen_client.post(page_url(draft, "demandeur"), {"nom": "Martin", "prenom": "Camille", "motif": "naissance",
                                                       "action": "save"})
    # Before the take-over, the agent may not open the citizen's draft.
    assert agent_client.get(page_url(draft, "pieces")).status_code == 404
    response = agent_client.post(f"/agents/usagers/{camille.pk}/brouillons/{draft.tracking_code}/reprendre/",
                                 {"canal": "phone"})
    assert response.status_code == 302 and response.url == page_url(draft, "demandeur")  # where it was left
    draft.refresh_from_db()
    assert draft.entered_by == agent and draft.channel == "phone" and draft.data["motif"] == "naissance"
    event = draft.events.get(kind=RequestEvent.Kind.TAKEN_OVER)
    assert event.actor == agent and event.data["channel"] == "phone" and event.data["previous_channel"] == "web"
    response = agent_client.post(page_url(draft, "pieces"), {"precisions": "Au téléphone", "action": "next"})
    send(agent_client, draft)
    draft.refresh_from_db()
    assert draft.is_submitted and draft.citizen == camille
    history = text(agent_client.get(f"/agents/usagers/{camille.pk}/"))
    assert "Brouillon repris par un agent" in history and "Demande envoyée (Téléphone)" in history


def test_take_over_refusals(organisation, agent, agent_client, camille, procedure):
    citizen_client = client_for(organisation, camille)
    draft = start(citizen_client, procedure)
    url = f"/agents/usagers/{camille.pk}/brouillons/{draft.tracking_code}/reprendre/"
    assert agent_client.get(url).status_code == 405
    response = agent_client.post(url, {"canal": "web"})
    assert response.status_code == 302 and response.url == f"/agents/usagers/{camille.pk}/"
    draft.refresh_from_db()
    assert draft.entered_by is None and draft.channel == "web"
    other = make_citizen(organisation, email="autre@example.org")
    assert agent_client.post(f"/agents/usagers/{other.pk}/brouillons/{draft.tracking_code}/reprendre/",
                             {"canal": "phone"}).status_code == 404
    fill_all(citizen_client, draft)
    send(citizen_client, draft)
    response = agent_client.post(url, {"canal": "phone"}, follow=True)
    assert "n'est plus un brouillon" in text(response)
    assert client_for(organisation, camille).post(url, {"canal": "phone"}).status_code == 403


def test_a_draft_started_by_an_agent_is_finished_online_by_the_citizen(organisation, agent, agent_client, camille,
                                                                         procedure):
    agent_client.post(f"/agents/usagers/{camille.pk}/nouvelle-demande/", {"procedure": procedure.pk,
                                                                           "canal": "phone"})
    draft = ServiceRequest.objects.get()
    response = agent_client.post(page_url(draft, "demandeur"), {"nom": "Martin", "prenom": "Camille",
                                                                "motif": "naissance", "action": "save"})
    assert response.status_code == 302 and response.url == f"/agents/usagers/{camille.pk}/"
    citizen_client = client_for(organisation, camille)
    mine = text(citizen_client.get("/compte/demandes/"))
    assert "Brouillons à terminer" in mine and f"/demandes/{draft.tracking_code}/page/demandeur/" in mine
    response = citizen_client.post(page_url(draft, "pieces"), {"precisions": "Fini en ligne", "action": "next"})
    assert response.status_code == 302
    send(citizen_client, draft)
    draft.refresh_from_db()
    assert draft.is_submitted and draft.channel == "phone" and draft.entered_by == agent
    assert draft.events.get(kind=RequestEvent.Kind.SUBMITTED).actor == camille
    assert Notification.objects.filter(recipient=camille, key="request.receipt").exists()


def test_a_record_with_an_e_mail_is_invited_to_open_its_online_account(organisation, agent_client):
    import re

    from django.core import mail

    create(agent_client, first_name="Anne", last_name="Leroy", email="anne@example.org")
    anne = User.objects.get(last_name="Leroy")
    page = text(agent_client.get(f"/agents/usagers/{anne.pk}/"))
    assert "Lui envoyer le lien d'ouverture de compte" in page
    response = agent_client.post(f"/agents/usagers/{anne.pk}/invitation/", follow=True)
    assert "est envoyé à anne@example.org" in text(response)
    [message] = mail.outbox
    assert message.to == ["anne@example.org"] and "ouvrez votre compte en ligne" in message.subject
    link = re.search(r"http://[^/]+(/compte/mot-de-passe/reinitialiser/\S+)", message.body).group(1)
    citizen_client = client_for(organisation)
    response = citizen_client.get(link, follow=True)
    response = citizen_client.post(response.redirect_chain[-1][0], {
        "new_password1": "Un-mot-de-passe-solide-77", "new_password2": "Un-mot-de-passe-solide-77"})
    assert response.status_code == 302
    anne.refresh_from_db()
    assert anne.has_usable_password() and anne.email_confirmed
    assert "Lui envoyer le lien" not in text(agent_client.get(f"/agents/usagers/{anne.pk}/"))


def test_no_invitation_without_a_real_e_mail(organisation, agent_client):
    from django.core import mail

    create(agent_client, first_name="Josette", last_name="Durand")
    josette = User.objects.get(last_name="Durand")
    assert "Lui envoyer le lien" not in text(agent_client.get(f"/agents/usagers/{josette.pk}/"))
    response = agent_client.post(f"/agents/usagers/{josette.pk}/invitation/", follow=True)
    assert "l'invitation n'est pas envoyée" in text(response) and mail.outbox == []


def test_the_agent_continues_their_own_draft_from_the_record(agent, agent_client, camille, procedure):
    draft = services.start_on_behalf(version=procedure.current_version, agent=agent, citizen=camille,
                                     channel="phone")
    page = text(agent_client.get(f"/agents/usagers/{camille.pk}/"))
    assert "saisi par vous (Téléphone)" in page
    response = agent_client.get(f"/demandes/{draft.tracking_code}/")
    assert response.status_code == 302 and response.url == page_url(draft, "demandeur")


def test_once_sent_the_agent_who_entered_it_keeps_the_receipt_not_the_citizens_pages(
        organisation, agent, agent_client, camille, procedure):
    """The agent fills the citizen's draft and hands over the receipt; the citizen's pages of the sent request
    (answers, messages, files) are the citizen's: the agent reads the request in the agents' space."""
    draft = services.start_on_behalf(version=procedure.current_version, agent=agent, citizen=camille,
                                     channel="counter")
    code = draft.tracking_code
    fill_all(agent_client, draft)
    assert send(agent_client, draft).url == f"/demandes/{code}/accuse-de-reception/"
    assert send(agent_client, draft).url == f"/demandes/{code}/accuse-de-reception/"  # a second click
    assert agent_client.get(f"/demandes/{code}/accuse-de-reception/").status_code == 200
    assert agent_client.get(f"/demandes/{code}/accuse-de-reception.pdf").status_code == 200
    for url in (f"/demandes/{code}/", f"/demandes/{code}/message/", f"/demandes/{code}/complement/"):
        assert agent_client.get(url).status_code == 404, url
    assert client_for(organisation, camille).get(f"/demandes/{code}/").status_code == 200
    # Another agent, or another citizen, never opens the citizen's draft or request.
    other_draft = services.start_on_behalf(version=procedure.current_version, agent=agent, citizen=camille,
                                           channel="phone")
    from tests.conftest import make_agent

    colleague = client_for(organisation, make_agent(organisation, email="collegue@example.org"))
    stranger = client_for(organisation, make_citizen(organisation, email="autre@example.org"))
    for client in (colleague, stranger):
        assert client.get(page_url(other_draft, "demandeur")).status_code == 404
        assert client.get(f"/demandes/{code}/accuse-de-reception/").status_code == 404


def test_a_citizen_completes_an_agents_only_draft_online_but_only_an_agent_sends_it(
        organisation, agent, agent_client, camille, agents_procedure):
    draft = services.start_on_behalf(version=agents_procedure.current_version, agent=agent, citizen=camille,
                                     channel="phone")
    citizen_client = client_for(organisation, camille)
    fill_all(citizen_client, draft)
    summary = text(citizen_client.get(f"/demandes/{draft.tracking_code}/recapitulatif/"))
    assert "un agent enverra la demande avec vous" in summary
    assert f'action="/demandes/{draft.tracking_code}/envoyer/"' not in summary
    response = send(citizen_client, draft)
    assert response.status_code == 302 and response.url == f"/demandes/{draft.tracking_code}/recapitulatif/"
    draft.refresh_from_db()
    assert draft.is_draft and draft.data  # nothing lost, nothing sent
    assert not Notification.objects.filter(key="request.receipt").exists()
    send(agent_client, draft)
    draft.refresh_from_db()
    assert draft.is_submitted and draft.events.get(kind=RequestEvent.Kind.SUBMITTED).actor == agent
