"""Messages between the citizen and the service: « Écrire au service » on the citizen's request page (account
holders and followers without an account), « Écrire à l'usager » on the agents' page, files, bad input, wrong
users, double posts, and two agents writing at the same time."""

import re
import threading

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from guichet.agents.models import Membership
from guichet.background.testing import run_ready_jobs
from guichet.notifications.models import Notification
from guichet.service_requests import messaging, withdrawal
from guichet.service_requests.models import Attachment, RequestEvent, ServiceRequest
from guichet.workflows import engine
from tests.conftest import client_for, make_agent, make_citizen, make_service

from .citizen_side import anonymous_request, pdf, png, sent_request
from .conftest import text


def citizen_url(item, action=""):
    return f"/demandes/{item.tracking_code}/{action}"


def agent_url(item, action=""):
    return f"/agents/demandes/{item.tracking_code}/{action}"


def token_of(page):
    return re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)


def test_the_citizen_writes_to_the_service_with_a_file(citizen, citizen_client, agent, procedure):
    item = sent_request(procedure, citizen)
    page = text(citizen_client.get(citizen_url(item)))
    assert "Écrire au service" in page and f'action="/demandes/{item.tracking_code}/message/"' in page
    response = citizen_client.post(citizen_url(item, "message/"), {
        "message": "Voici le livret de famille.", "files": [png("livret.png"), pdf("acte.pdf")],
        "token": token_of(page),
    })
    assert response.status_code == 302 and response.url == citizen_url(item)
    event = item.events.get(kind=RequestEvent.Kind.MESSAGE_CITIZEN)
    assert event.visible_to_citizen and event.actor == citizen and event.text == "Voici le livret de famille."
    files = list(Attachment.objects.filter(pk__in=event.data["attachments"]).order_by("pk"))
    assert [f.original_name for f in files] == ["livret.png", "acte.pdf"]
    assert all(f.source == "citizen" and f.request_id == item.pk and f.uploaded_by == citizen for f in files)
    # The agents of the service are told; the message and its files are in both histories.
    assert Notification.objects.filter(recipient=agent, key="request.citizen_message").count() == 1
    page = text(citizen_client.get(citizen_url(item)))
    assert "Votre message a été envoyé au service." in page
    assert "Votre message" in page and "Voici le livret de famille." in page
    assert f'href="/pieces/{files[0].pk}/"' in page and f'href="/pieces/{files[1].pk}/"' in page
    assert citizen_client.get(f"/pieces/{files[0].pk}/").status_code == 200
    agent_client = client_for(agent.organisation, agent)
    agent_page = text(agent_client.get(agent_url(item)))
    assert "Message de l'usager" in agent_page and "Voici le livret de famille." in agent_page
    history = agent_page.split('id="historique-titre"', 1)[1]
    assert f'href="/pieces/{files[0].pk}/"' in history and f'href="/pieces/{files[1].pk}/"' in history


def test_the_agent_writes_to_the_citizen_with_a_file(citizen, citizen_client, agent, procedure):
    item = sent_request(procedure, citizen)
    agent_client = client_for(agent.organisation, agent)
    page = text(agent_client.get(agent_url(item)))
    assert "Écrire à l'usager" in page and f'action="/agents/demandes/{item.tracking_code}/message/"' in page
    response = agent_client.post(agent_url(item, "message/"), {
        "message": "Votre acte sera prêt jeudi.", "files": [pdf("horaires.pdf")], "token": token_of(page),
    })
    assert response.status_code == 302 and response.url == agent_url(item)
    event = item.events.get(kind=RequestEvent.Kind.MESSAGE_AGENT)
    assert event.visible_to_citizen and event.actor == agent
    attachment = Attachment.objects.get(pk=event.data["attachments"][0])
    assert attachment.source == "agent" and attachment.uploaded_by == agent
    notification = Notification.objects.get(recipient=citizen, key="request.message")
    assert "Votre acte sera prêt jeudi." in notification.body
    item.refresh_from_db()
    assert item.answered_at is None  # a plain message is not the written answer
    page = text(citizen_client.get(citizen_url(item)))
    assert "Message du service" in page and "Votre acte sera prêt jeudi." in page
    assert f'href="/pieces/{attachment.pk}/"' in page and "horaires.pdf" in page
    assert citizen_client.get(f"/pieces/{attachment.pk}/").status_code == 200
    history = text(agent_client.get(agent_url(item))).split('id="historique-titre"', 1)[1]
    assert "Votre acte sera prêt jeudi." in history and f'href="/pieces/{attachment.pk}/"' in history


def test_an_empty_or_too_long_message_is_refused_and_nothing_is_lost(citizen, citizen_client, agent, procedure):
    item = sent_request(procedure, citizen)
    response = citizen_client.post(citizen_url(item, "message/"), {"message": "   "})
    assert response.status_code == 400 and "Écrivez un message ou joignez un fichier." in text(response)
    long_text = "x" * 5001
    response = citizen_client.post(citizen_url(item, "message/"), {"message": long_text})
    page = text(response)
    assert response.status_code == 400 and "Le message est trop long : 5000 caractères au plus" in page
    assert long_text in page  # what was typed is given back
    assert 'id="id_message_error"' in page and 'href="#id_message"' in page  # tied to the field, in the summary
    agent_client = client_for(agent.organisation, agent)
    response = agent_client.post(agent_url(item, "message/"), {"message": ""})
    assert response.status_code == 400 and "Écrivez un message ou joignez un fichier." in text(response)
    response = agent_client.post(agent_url(item, "message/"), {"message": long_text})
    assert response.status_code == 400 and "Le message est trop long" in text(response)
    assert not item.events.filter(kind__in=["message_citizen", "message_agent"]).exists()
    assert not Attachment.objects.filter(request=item).exists()


def test_a_file_alone_is_a_message(citizen, citizen_client, procedure):
    item = sent_request(procedure, citizen)
    response = citizen_client.post(citizen_url(item, "message/"), {"message": "", "files": [png()]})
    assert response.status_code == 302
    event = item.events.get(kind="message_citizen")
    assert event.text == "" and len(event.data["attachments"]) == 1


@pytest.mark.parametrize("files, expected", [
    ([lambda: SimpleUploadedFile("faux.pdf", b"MZ\x90\x00 un programme", content_type="application/pdf")],
     "ne correspond pas à un type de fichier accepté"),
    ([lambda: pdf("gros.pdf", size=10 * 1024 * 1024 + 10)], "la limite est de 10 Mo par fichier"),
    ([png] * 6, "Vous pouvez joindre au plus 5 fichiers ici."),
])
def test_bad_files_are_refused_with_the_message_kept(citizen, citizen_client, agent, procedure, files, expected):
    item = sent_request(procedure, citizen)
    uploads = [make() for make in files]
    response = citizen_client.post(citizen_url(item, "message/"), {"message": "Mon texte", "files": uploads})
    page = text(response)
    assert response.status_code == 400 and expected in page and "Mon texte" in page
    uploads = [make() for make in files]
    response = client_for(agent.organisation, agent).post(agent_url(item, "message/"),
                                                          {"message": "Texte agent", "files": uploads})
    assert response.status_code == 400 and expected in text(response)
    assert not Attachment.objects.filter(request=item).exists()
    assert not item.events.filter(kind__in=["message_citizen", "message_agent"]).exists()


def test_a_double_post_writes_one_message(citizen, citizen_client, agent, procedure):
    item = sent_request(procedure, citizen)
    token = token_of(text(citizen_client.get(citizen_url(item))))
    for _attempt in range(2):
        response = citizen_client.post(citizen_url(item, "message/"),
                                       {"message": "Bonjour", "files": [png()], "token": token})
        assert response.status_code == 302
    assert item.events.filter(kind="message_citizen").count() == 1
    assert Attachment.objects.filter(request=item).count() == 1  # the second upload was rolled back
    assert Notification.objects.filter(key="request.citizen_message").count() == 1
    agent_client = client_for(agent.organisation, agent)
    token = token_of(text(agent_client.get(agent_url(item))))
    for _attempt in range(2):
        assert agent_client.post(agent_url(item, "message/"), {"message": "Reçu", "token": token}).status_code == 302
    assert item.events.filter(kind="message_agent").count() == 1
    # A new form (new token) is a new message, even with the same words.
    token = token_of(text(citizen_client.get(citizen_url(item))))
    citizen_client.post(citizen_url(item, "message/"), {"message": "Bonjour", "token": token})
    assert item.events.filter(kind="message_citizen").count() == 2


def test_wrong_users_get_404_and_nothing_is_written(organisation, citizen, agent, procedure):
    item = sent_request(procedure, citizen)
    neighbour = make_citizen(organisation, email="voisin@example.org")
    other_service = make_service(organisation, "Voirie", "voirie")
    outsider = make_agent(organisation, email="voirie@example.org", services=[other_service])
    for client in (client_for(organisation, neighbour), client_for(organisation, agent), client_for(organisation)):
        assert client.get(citizen_url(item, "message/")).status_code == 404
        assert client.post(citizen_url(item, "message/"), {"message": "Intrus"}).status_code == 404
    for client in (client_for(organisation, outsider),):
        assert client.get(agent_url(item, "message/")).status_code == 404
        assert client.post(agent_url(item, "message/"), {"message": "Intrus"}).status_code == 404
    # A citizen in the back office: refused.
    assert client_for(organisation, citizen).post(agent_url(item, "message/"), {"message": "x"}).status_code == 403
    assert not item.events.filter(kind__in=["message_citizen", "message_agent"]).exists()


def test_an_elected_member_reads_but_does_not_write(organisation, citizen, service, procedure):
    item = sent_request(procedure, citizen)
    elected = make_agent(organisation, email="elu@example.org", services=[service], role=Membership.Role.ELECTED)
    client = client_for(organisation, elected)
    assert client.get(agent_url(item, "message/")).status_code in (403, 404)
    assert client.post(agent_url(item, "message/"), {"message": "Je m'en mêle"}).status_code in (403, 404)
    assert not item.events.filter(kind="message_agent").exists()


def test_the_org_admin_writes_to_any_request(organisation, citizen, org_admin, procedure):
    item = sent_request(procedure, citizen)
    response = client_for(organisation, org_admin).post(agent_url(item, "message/"), {"message": "Bonjour"})
    assert response.status_code == 302
    assert item.events.get(kind="message_agent").actor == org_admin


def test_an_anonymous_follower_writes_and_gets_the_services_messages_by_email(organisation, agent, open_procedure):
    submitter = client_for(organisation)
    item = anonymous_request(submitter, open_procedure)
    # Another browser follows it with its code and e-mail address, then writes.
    follower = client_for(organisation)
    assert follower.get(citizen_url(item, "message/")).status_code == 404
    response = follower.post("/demandes/suivre/", {"code": item.tracking_code, "email": "alex.dupont@example.org"})
    assert response.status_code == 302
    page = text(follower.get(citizen_url(item)))
    assert "Écrire au service" in page
    response = follower.post(citizen_url(item, "message/"), {"message": "Le trou s'agrandit.", "files": [png()],
                                                               "token": token_of(page)})
    assert response.status_code == 302
    event = item.events.get(kind="message_citizen")
    assert event.actor is None and Attachment.objects.get(pk=event.data["attachments"][0]).uploaded_by is None
    run_ready_jobs()  # the receipt and the agents' notice of the citizen's message go first
    mail.outbox.clear()
    messaging.post_agent_message(item, agent, "Une équipe passe demain.")
    run_ready_jobs()
    assert [m.to for m in mail.outbox] == [["alex.dupont@example.org"]]
    assert "Une équipe passe demain." in mail.outbox[0].body
    assert "Une équipe passe demain." in text(follower.get(citizen_url(item)))


def test_the_counter_agent_who_entered_a_request_does_not_write_as_the_citizen(organisation, agent, open_procedure):
    counter = client_for(organisation, agent)
    item = anonymous_request(counter, open_procedure)
    assert item.entered_by == agent and item.citizen is None
    assert counter.get(citizen_url(item)).status_code == 200
    assert "Écrire au service" not in text(counter.get(citizen_url(item)))
    assert counter.post(citizen_url(item, "message/"), {"message": "x"}).status_code == 404


def test_no_message_on_a_withdrawn_request_and_only_the_service_writes_once_closed(citizen, citizen_client, agent,
                                                                                   procedure):
    removed = sent_request(procedure, citizen)
    withdrawal.withdraw(removed, citizen)
    page = text(citizen_client.get(citizen_url(removed)))
    assert "Vous avez retiré cette demande : elle ne reçoit plus de message." in page
    assert 'action="/demandes/' not in page.split("Écrire au service", 1)[1].split("</section>", 1)[0]
    response = citizen_client.post(citizen_url(removed, "message/"), {"message": "Finalement si"}, follow=True)
    assert "elle ne reçoit plus de message" in text(response)
    agent_client = client_for(agent.organisation, agent)
    assert "L'usager a retiré cette demande : elle ne reçoit plus de message." in text(
        agent_client.get(agent_url(removed)))
    response = agent_client.post(agent_url(removed, "message/"), {"message": "Dommage"}, follow=True)
    assert "L'usager a retiré cette demande" in text(response)
    with pytest.raises(messaging.MessageRefused):
        messaging.post_agent_message(removed, agent, "Réponse", answer=True)
    assert not removed.events.filter(kind__in=["message_citizen", "message_agent", "answer"]).exists()

    closed = sent_request(procedure, citizen)
    messaging.post_agent_message(closed, agent, "Voici votre acte.", answer=True)
    engine.press(closed, "instruire", agent)
    engine.press(ServiceRequest.objects.get(pk=closed.pk), "accepter", agent)
    response = citizen_client.post(citizen_url(closed, "message/"), {"message": "Merci"}, follow=True)
    assert "Cette demande est close" in text(response)
    assert agent_client.post(agent_url(closed, "message/"), {"message": "Pensez à nous noter"}).status_code == 302
    assert closed.events.filter(kind="message_agent").count() == 1
    assert not closed.events.filter(kind="message_citizen").exists()


def test_a_message_cannot_carry_another_requests_file(citizen, agent, procedure):
    mine, other = sent_request(procedure, citizen), sent_request(procedure, citizen)
    from guichet.service_requests.files import store_uploads

    ids, _errors = store_uploads(other, messaging.MESSAGE_FIELD_ID, [png()], messaging.MESSAGE_FILE_RULES)
    with pytest.raises(messaging.MessageRefused):
        messaging.post_citizen_message(mine, citizen, "Regardez", ids)
    with pytest.raises(messaging.MessageRefused):
        messaging.post_agent_message(mine, agent, "Regardez", ids)


@pytest.mark.django_db(transaction=True)
def test_two_agents_writing_at_once_both_land(organisation, service, citizen, procedure):
    first = make_agent(organisation, email="un@example.org", services=[service])
    second = make_agent(organisation, email="deux@example.org", services=[service])
    item = sent_request(procedure, citizen)
    copies = [ServiceRequest.objects.get(pk=item.pk) for _ in range(2)]
    threaded = connection.vendor == "postgresql"  # SQLite's in-memory test database cannot wait on a lock
    barrier = threading.Barrier(2)
    errors = []

    def write(user, copy, words):
        try:
            if threaded:
                barrier.wait(timeout=10)
            messaging.post_agent_message(copy, user, words)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            if threaded:
                connection.close()

    threads = [threading.Thread(target=write, args=(first, copies[0], "Premier")),
               threading.Thread(target=write, args=(second, copies[1], "Second"))]
    for thread in threads:
        thread.start() if threaded else thread.run()
    if threaded:
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    messages = RequestEvent.objects.filter(request=item, kind="message_agent")
    assert sorted(messages.values_list("text", flat=True)) == ["Premier", "Second"]
    assert {m.actor_id for m in messages} == {first.pk, second.pk}
    assert Notification.objects.filter(recipient=citizen, key="request.message").count() == 2
