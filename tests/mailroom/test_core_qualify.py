"""Qualifying a message: a request made from it, added to an existing request, answered directly, filed,
assigned — each once, under the message's lock."""

import pytest
from django.core import mail as outbox

from guichet.background.testing import run_ready_jobs
from guichet.mailroom.models import IncomingMail
from guichet.mailroom.services import HandlingRefused, create_request_from_mail, file_mail, process_mail
from guichet.notifications.models import Delivery, Notification
from guichet.search.services import search_requests
from guichet.service_requests.models import Attachment, RequestEvent, ServiceRequest
from guichet.service_requests.services import submit
from tests.conftest import client_for, make_agent, make_citizen, make_service
from tests.mailroom.conftest import PDF, verified
from tests.service_requests.conftest import make_procedure
from tests.workflows.conftest import make_request, make_version

pytestmark = pytest.mark.django_db
BASE = "/agents/courrier-entrant/"

FORM = {"pages": [{"id": "signalement", "title": "Votre signalement", "condition": None, "fields": [
    {"id": "objet", "type": "text", "label": "Objet", "required": True},
    {"id": "lieu", "type": "text", "label": "Lieu", "required": False},
    {"id": "description", "type": "textarea", "label": "Description", "required": True},
    {"id": "photo", "type": "file", "label": "Photo", "required": False, "accept": ["jpeg", "png"]},
]}]}


def html(response):
    import html as html_module

    return html_module.unescape(response.content.decode())


@pytest.fixture
def procedure(organisation, service):
    return make_procedure(organisation, service, slug="signalement", title="Signaler un problème", form=FORM)


@pytest.fixture
def agent_only(organisation, service):
    return make_procedure(organisation, service, slug="interne", title="Saisie interne", who="agent", form=FORM)


def queued(make_mail, **fields):
    mail = make_mail(**fields)
    process_mail(mail)
    mail.refresh_from_db()
    return mail


def letter(make_mail, text="Le lampadaire de la rue des Tilleuls clignote toute la nuit.", **fields):
    fields.setdefault("sender_name", "Jean Durand")
    fields.setdefault("sender_address", "3 rue des Tilleuls\n54470 Saint-Aubin")
    return queued(make_mail, channel=IncomingMail.Channel.POSTAL, sender_email="", subject="", body="",
                  ocr_text=text, files=[("lettre.pdf", PDF, "application/pdf", "")], **fields)


def post(client, mail, action, prefix, **data):
    data.setdefault("lock_version", mail.lock_version)
    return client.post(f"{BASE}{mail.pk}/{action}/", {f"{prefix}-{key}": value for key, value in data.items()})


# -- « Créer une demande » ---------------------------------------------------------------------------------------

def test_a_letter_becomes_a_postal_request_whose_text_is_searchable(make_mail, procedure, agent, organisation):
    scanned = letter(make_mail)
    client = client_for(organisation, agent)
    page = html(client.get(f"{BASE}{scanned.pk}/"))
    assert 'value="Durand"' in page and 'value="3 rue des Tilleuls"' in page
    response = post(client, scanned, "creer-demande", "creer", version=procedure.current_version_id,
                    first_name="Jean", last_name="", address_line="", postcode="", city="")
    assert response.status_code == 409 and "indiquez au moins le nom" in html(response)
    response = post(client, scanned, "creer-demande", "creer", version=procedure.current_version_id,
                    first_name="Jean", last_name="Durand", address_line="3 rue des Tilleuls", postcode="54470",
                    city="Saint-Aubin")
    assert response.status_code == 302
    draft = ServiceRequest.objects.get()
    assert response.url.startswith(f"/demandes/{draft.tracking_code}/")
    assert draft.is_draft and draft.channel == ServiceRequest.Channel.POSTAL and draft.entered_by == agent
    # A minimal citizen record: a request without account would need an e-mail address.
    assert draft.citizen.last_name == "Durand" and draft.citizen.city == "Saint-Aubin"
    assert draft.data["description"].startswith("Le lampadaire de la rue des Tilleuls")
    scanned.refresh_from_db()
    assert scanned.state == IncomingMail.State.QUALIFIED and scanned.request == draft and scanned.handled_by == agent
    assert scanned.citizen == draft.citizen
    attachment = Attachment.objects.get(request=draft)
    assert attachment.original_name == "lettre.pdf" and attachment.file.read() == PDF
    event = RequestEvent.objects.get(request=draft, kind=RequestEvent.Kind.MAIL_RECEIVED)
    assert "Tilleuls" in event.text and event.data["registry_number"] == scanned.registry_number
    # The agent fills what is missing and sends it: the letter's words are found by the back office's search,
    # and its scan is still there.
    draft.data["objet"] = "Éclairage public"
    draft.save()
    submit(draft, actor=agent)
    assert list(search_requests(verified(agent), organisation, "tilleuls")) == [draft]
    assert Attachment.objects.filter(request=draft).count() == 1


def test_an_email_becomes_an_email_request_for_the_matched_citizen(make_mail, procedure, agent, citizen,
                                                                     organisation):
    email = queued(make_mail, subject="Trottoir abîmé", body="Le trottoir devant le 12 est cassé.")
    assert email.citizen == citizen
    response = post(client_for(organisation, agent), email, "creer-demande", "creer",
                    version=procedure.current_version_id)
    assert response.status_code == 302
    draft = ServiceRequest.objects.get()
    assert draft.citizen == citizen and draft.channel == ServiceRequest.Channel.EMAIL
    assert draft.data["objet"] == "Trottoir abîmé" and draft.data["description"] == "Le trottoir devant le 12 est cassé."
    assert "lieu" not in draft.data


def test_agent_only_procedures_are_offered(make_mail, procedure, agent_only, agent, organisation):
    email = queued(make_mail)
    page = html(client_for(organisation, agent).get(f"{BASE}{email.pk}/"))
    assert "Saisie interne" in page and "Signaler un problème" in page
    response = post(client_for(organisation, agent), email, "creer-demande", "creer",
                    version=agent_only.current_version_id)
    assert response.status_code == 302
    assert ServiceRequest.objects.get().procedure == agent_only


def test_another_collectivites_procedure_is_refused(make_mail, agent, organisation, other_organisation):
    foreign = make_procedure(other_organisation, make_service(other_organisation), slug="ailleurs", form=FORM)
    email = queued(make_mail)
    response = post(client_for(organisation, agent), email, "creer-demande", "creer",
                    version=foreign.current_version_id)
    assert response.status_code == 400
    assert "Choisissez une démarche publiée" in html(response)
    assert not ServiceRequest.objects.exists()


# -- « Ajouter à une demande existante » -------------------------------------------------------------------------

def test_attach_by_tracking_code_typed_loosely(make_mail, organisation, agent, service):
    version = make_version(organisation, service)
    target = make_request(version, make_citizen(organisation, email="autre@example.org"))
    email = queued(make_mail, sender_email="voisin@example.net", subject="Complément",
                   body="Voici la photo.", files=[("photo.pdf", PDF, "application/pdf", "")])
    assert email.state == IncomingMail.State.TO_QUALIFY
    response = post(client_for(organisation, agent), email, "ajouter-a-une-demande", "ajouter",
                    code=target.tracking_code.lower().replace("-", " "))
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.state == IncomingMail.State.ATTACHED and email.request == target
    message = RequestEvent.objects.get(request=target, kind=RequestEvent.Kind.MESSAGE_CITIZEN)
    assert "Voici la photo." in message.text and len(message.data["attachments"]) == 1
    assert RequestEvent.objects.get(request=target, kind=RequestEvent.Kind.MAIL_RECEIVED).actor == agent


def test_attach_refuses_another_collectivites_code_and_nonsense(make_mail, organisation, other_organisation, agent):
    foreign = make_request(make_version(other_organisation, make_service(other_organisation), slug="x"))
    email = queued(make_mail)
    client = client_for(organisation, agent)
    response = post(client, email, "ajouter-a-une-demande", "ajouter", code=foreign.tracking_code)
    assert response.status_code == 409
    assert "Aucune demande envoyée ne porte le numéro de suivi" in html(response)
    response = post(client, email, "ajouter-a-une-demande", "ajouter", code="n'importe quoi")
    assert response.status_code == 409 and "n'est pas valide" in html(response)
    assert "n'importe quoi" in html(response)  # what was typed is given back
    assert not RequestEvent.objects.filter(request=foreign, kind=RequestEvent.Kind.MESSAGE_CITIZEN).exists()
    email.refresh_from_db()
    assert email.state == IncomingMail.State.TO_QUALIFY


def test_suggested_request_is_offered_for_a_sender_mismatch(make_mail, organisation, agent, service, citizen):
    target = make_request(make_version(organisation, service), citizen)
    email = queued(make_mail, sender_email="conjoint@example.net", subject=f"Dossier {target.tracking_code}")
    page = html(client_for(organisation, agent).get(f"{BASE}{email.pk}/"))
    assert "n'est pas le demandeur" in page and f'value="{target.tracking_code}"' in page


# -- « Répondre directement » ------------------------------------------------------------------------------------

def test_answer_to_an_email_without_account_is_emailed(make_mail, organisation, agent):
    email = queued(make_mail, sender_email="curieux@example.net", subject="Horaires ?")
    response = post(client_for(organisation, agent), email, "repondre", "repondre",
                    text="La mairie est ouverte de 9 h à 17 h.")
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.state == IncomingMail.State.ANSWERED and "9 h à 17 h" in email.handling_note
    run_ready_jobs()
    sent = [message for message in outbox.outbox if "curieux@example.net" in message.to]
    assert len(sent) == 1 and sent[0].subject == "Re: Horaires ?" and "9 h à 17 h" in sent[0].body


def test_answer_to_a_citizen_is_a_notification_by_email(make_mail, organisation, agent, citizen):
    email = queued(make_mail, subject="Question")
    response = post(client_for(organisation, agent), email, "repondre", "repondre", text="Voici la réponse.")
    assert response.status_code == 302
    notification = Notification.objects.get(recipient=citizen, key="mail.answer")
    assert notification.deliveries.get().channel == "email" and "Voici la réponse." in notification.body


def test_answer_to_a_letter_without_email_goes_by_post(make_mail, organisation, agent):
    scanned = letter(make_mail)
    client = client_for(organisation, agent)
    page = html(client.get(f"{BASE}{scanned.pk}/"))
    assert 'value="Durand"' in page and 'value="54470"' in page  # address pre-filled from the letter
    response = post(client, scanned, "repondre", "repondre", text="Nous passerons vérifier.", last_name="Durand",
                    first_name="Jean", address_line="", postcode="54470", city="Saint-Aubin")
    assert response.status_code == 409 and "adresse postale" in html(response)
    assert "Nous passerons vérifier." in html(response)
    response = post(client, scanned, "repondre", "repondre", text="Nous passerons vérifier.", last_name="Durand",
                    first_name="Jean", address_line="3 rue des Tilleuls", postcode="54470", city="Saint-Aubin")
    assert response.status_code == 302
    scanned.refresh_from_db()
    assert scanned.state == IncomingMail.State.ANSWERED and scanned.citizen.last_name == "Durand"
    delivery = Delivery.objects.get(notification__recipient=scanned.citizen)
    assert delivery.channel == "letter" and "3 rue des Tilleuls" in delivery.address
    assert "Nous passerons vérifier." in delivery.content and scanned.registry_number in delivery.content
    run_ready_jobs()
    from guichet.letters.models import Letter

    assert Letter.objects.filter(delivery=delivery).exists()


def test_empty_answer_is_refused(make_mail, organisation, agent):
    email = queued(make_mail)
    response = post(client_for(organisation, agent), email, "repondre", "repondre", text="   ")
    assert response.status_code == 400 and "Écrivez la réponse" in html(response)


# -- « Classer pour information », attribution -------------------------------------------------------------------

def test_file_with_a_note(make_mail, organisation, agent):
    email = queued(make_mail)
    client = client_for(organisation, agent)
    assert post(client, email, "classer", "classer", note="").status_code == 400
    response = post(client, email, "classer", "classer", note="Publicité, sans suite.")
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.state == IncomingMail.State.FILED and email.handling_note == "Publicité, sans suite."
    page = html(client.get(f"{BASE}{email.pk}/"))
    assert "Publicité, sans suite." in page and "Créer la demande" not in page


def test_assign_to_a_service_and_agent(make_mail, organisation, agent, service, other_organisation):
    email = queued(make_mail)
    colleague = make_agent(organisation, email="collegue@example.org", services=[service])
    client = client_for(organisation, agent)
    response = post(client, email, "attribuer", "attribuer", service=service.pk, assigned_to=colleague.pk)
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.service == service and email.assigned_to == colleague
    assert email.state == IncomingMail.State.TO_QUALIFY
    foreign_agent = make_agent(other_organisation, email="ailleurs@example.org")
    response = post(client, email, "attribuer", "attribuer", assigned_to=foreign_agent.pk)
    assert response.status_code == 400 and "Choisissez un agent de la liste" in html(response)


# -- Locks and double submissions ---------------------------------------------------------------------------------

def test_a_handled_message_cannot_be_handled_twice(make_mail, organisation, agent, procedure):
    email = queued(make_mail)
    client = client_for(organisation, agent)
    version = email.lock_version
    assert post(client, email, "classer", "classer", note="Classé.").status_code == 302
    response = post(client, email, "creer-demande", "creer", version=procedure.current_version_id,
                    lock_version=version)
    assert response.status_code == 409 and "déjà été traité" in html(response)
    response = post(client, email, "classer", "classer", note="Encore.", lock_version=version + 1)
    assert response.status_code == 409
    assert not ServiceRequest.objects.exists()
    email.refresh_from_db()
    assert email.handling_note == "Classé."


def test_double_click_on_create_makes_one_request(make_mail, organisation, agent, procedure):
    email = queued(make_mail)
    client = client_for(organisation, agent)
    first = post(client, email, "creer-demande", "creer", version=procedure.current_version_id)
    second = post(client, email, "creer-demande", "creer", version=procedure.current_version_id)
    assert first.status_code == 302 and second.status_code == 409
    assert ServiceRequest.objects.count() == 1


def test_a_stale_page_is_refused(make_mail, organisation, agent, service):
    email = queued(make_mail)
    client = client_for(organisation, agent)
    stale = email.lock_version
    assert post(client, email, "attribuer", "attribuer", service=service.pk).status_code == 302
    response = post(client, email, "classer", "classer", note="Vu.", lock_version=stale)
    assert response.status_code == 409 and "modifié par quelqu'un d'autre" in html(response)
    assert "Vu." in html(response)


def test_service_refuses_direct_calls_on_handled_message(make_mail, agent):
    email = queued(make_mail)
    file_mail(email, agent=agent, note="Classé.", lock_version=email.lock_version)
    with pytest.raises(HandlingRefused):
        file_mail(email, agent=agent, note="Encore", lock_version=None)


# -- One history ------------------------------------------------------------------------------------------------

def test_history_lists_the_citizens_emails_and_letters_in_one_query(make_mail, organisation, citizen,
                                                                    other_organisation, django_assert_num_queries):
    from guichet.mailroom.history import history_items

    first = queued(make_mail, subject="Premier courriel")
    second = queued(make_mail, channel=IncomingMail.Channel.POSTAL, sender_email="", subject="Ma lettre")
    second.citizen = citizen
    second.save()
    queued(make_mail, sender_email="autre@example.net", subject="Pas de lui")
    with django_assert_num_queries(1):
        items = history_items(organisation, citizen)
    assert [item.label for item in items] == ["Courrier reçu : Ma lettre", "Courriel reçu : Premier courriel"]
    assert items[1].channel == "email" and items[1].url == f"{BASE}{first.pk}/" and items[1].kind == "mail"
    assert history_items(other_organisation, citizen) == []


def test_answer_to_a_citizen_who_cannot_be_reached_is_refused(make_mail, organisation, agent):
    from guichet.citizen_records.services import create_citizen

    unreachable = create_citizen(organisation, agent, first_name="Paul", last_name="Sansadresse")
    scanned = letter(make_mail, sender_name="Paul Sansadresse")
    scanned.citizen = unreachable
    scanned.save()
    response = post(client_for(organisation, agent), scanned, "repondre", "repondre", text="Bien reçu.")
    assert response.status_code == 409 and "complétez sa fiche" in html(response)
    assert not Notification.objects.filter(recipient=unreachable).exists()
    scanned.refresh_from_db()
    assert scanned.state == IncomingMail.State.TO_QUALIFY


def test_a_letter_from_a_known_citizen_is_answered_by_post(make_mail, organisation, agent, citizen):
    citizen.address_line, citizen.postcode, citizen.city = "8 rue Haute", "54470", "Saint-Aubin"
    citizen.save()
    scanned = letter(make_mail, sender_name="Camille Martin")
    scanned.citizen = citizen
    scanned.save()
    response = post(client_for(organisation, agent), scanned, "repondre", "repondre", text="Bien reçu.")
    assert response.status_code == 302
    delivery = Delivery.objects.get(notification__recipient=citizen, notification__key="mail.answer")
    assert delivery.channel == "letter" and "8 rue Haute" in delivery.address


def test_a_message_still_being_read_cannot_be_qualified_until_its_attachments_are_kept(organisation, agent, service,
                                                                                      procedure):
    """An e-mail whose processing job has not run yet: its text and attachments are not known, so it cannot be
    turned into a request (the job would then leave it unread and its attachments would never reach the
    request); it can be assigned meanwhile, and once read it is qualified with its files."""
    from guichet.mailroom.email_in import receive_raw_email
    from tests.mailroom.mail_samples import PDF as SAMPLE_PDF
    from tests.mailroom.mail_samples import message

    raw = message(attachments=[("plan.pdf", SAMPLE_PDF, "application", "pdf")])
    email, _created = receive_raw_email(organisation, raw, source=IncomingMail.Source.INBOUND)
    client = client_for(organisation, agent)
    page = html(client.get(f"{BASE}{email.pk}/"))
    assert "en cours de lecture" in page and "creer-demande/" not in page and "attribuer/" in page
    response = post(client, email, "creer-demande", "creer", version=procedure.current_version_id)
    assert response.status_code == 409 and "en cours de lecture" in html(response)
    response = post(client, email, "classer", "classer", note="Rien à faire.")
    assert response.status_code == 409
    assert not ServiceRequest.objects.exists()
    assert post(client, email, "attribuer", "attribuer", service=service.pk).status_code == 302
    run_ready_jobs()
    email.refresh_from_db()
    assert email.state == IncomingMail.State.TO_QUALIFY and email.service == service
    response = post(client, email, "creer-demande", "creer", version=procedure.current_version_id)
    assert response.status_code == 302
    draft = ServiceRequest.objects.get()
    assert Attachment.objects.get(request=draft).original_name == "plan.pdf"
    assert draft.data["description"].startswith("Bonjour,")


def test_the_letters_text_stays_searchable_when_the_agent_rewrites_the_answers(make_mail, procedure, agent,
                                                                               organisation):
    """The MAIL_RECEIVED event keeps the whole letter: its words find the request even once the agent replaced
    the pre-filled description by a summary."""
    scanned = letter(make_mail)
    draft = create_request_from_mail(scanned, agent=agent, version=procedure.current_version,
                                     lock_version=scanned.lock_version,
                                     postal_address={"first_name": "Jean", "last_name": "Durand"})
    draft.data.update({"objet": "Éclairage public", "description": "Résumé par l'agent."})
    draft.save()
    submit(draft, actor=agent)
    assert list(search_requests(verified(agent), organisation, "lampadaire clignote")) == [draft]
