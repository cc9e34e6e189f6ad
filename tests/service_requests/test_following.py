"""After sending: « Mes demandes », the request page (visible statuses only), answering a request for
information, events."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guichet.service_requests.messaging import post_agent_message
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import add_event, unique_tracking_code
from guichet.workflows import engine
from tests.conftest import client_for, make_citizen
from tests.service_requests.conftest import fill_all, fill_contact, page_url, send, start, text

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00"
       b"\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


def submitted(client, procedure):
    draft = start(client, procedure)
    fill_all(client, draft)
    send(client, draft)
    draft.refresh_from_db()
    return draft


def test_my_requests_lists_drafts_and_sent_requests_with_their_visible_status(citizen_client, agent, procedure):
    sent = submitted(citizen_client, procedure)
    draft = start(citizen_client, procedure)
    page = text(citizen_client.get("/compte/demandes/"))
    assert f"Brouillon {draft.tracking_code}" in page
    assert f'href="/demandes/{draft.tracking_code}/supprimer/"' in page
    assert sent.tracking_code in page and "Reçue" in page
    assert sent.deadline.strftime("%Y") in page
    # An internal status is never named: the last visible one is shown.
    engine.press(sent, "instruire", agent)
    sent.refresh_from_db()
    assert sent.status == "instruction"
    page = text(citizen_client.get("/compte/demandes/"))
    assert "Contrôle interne" not in page and "Reçue" in page
    detail = text(citizen_client.get(f"/demandes/{sent.tracking_code}/"))
    assert "Contrôle interne" not in detail and "Reçue" in detail
    post_agent_message(sent, agent, "Votre acte est prêt.", answer=True)  # a final status needs a written answer
    engine.press(sent, "accepter", agent)
    page = text(citizen_client.get("/compte/demandes/"))
    assert "Acceptée" in page
    detail = text(citizen_client.get(f"/demandes/{sent.tracking_code}/"))
    assert "Nouveau statut : Acceptée" in detail and "Nouveau statut : Contrôle interne" not in detail


def test_my_requests_needs_a_citizen_account(anonymous_client, agent_client):
    response = anonymous_client.get("/compte/demandes/")
    assert response.status_code == 302 and "/compte/connexion/" in response.url
    assert agent_client.get("/compte/demandes/").status_code == 403


def test_my_requests_shows_only_my_own(organisation, citizen_client, procedure):
    mine = submitted(citizen_client, procedure)
    other = make_citizen(organisation, email="dominique@example.org", first_name="Dominique", last_name="Petit")
    theirs = submitted(client_for(organisation, other), procedure)
    page = text(citizen_client.get("/compte/demandes/"))
    assert mine.tracking_code in page and theirs.tracking_code not in page


def test_my_requests_is_paginated_with_a_constant_number_of_queries(organisation, citizen, citizen_client, agent,
                                                                    procedure):
    version = procedure.current_version

    def add_requests(count):
        for _index in range(count):
            item = ServiceRequest.objects.create(
                organisation=organisation, version=version, procedure=procedure, citizen=citizen,
                tracking_code=unique_tracking_code(), state="submitted", status="recue", data={"nom": "Martin"},
                submitted_at=timezone.now(),
            )
            add_event(item, "status_changed", status_to="recue", visible_to_citizen=True)
            add_event(item, "status_changed", status_from="recue", status_to="instruction")
            ServiceRequest.objects.filter(pk=item.pk).update(status="instruction")

    add_requests(2)
    with CaptureQueriesContext(connection) as few:
        assert citizen_client.get("/compte/demandes/").status_code == 200
    add_requests(15)
    with CaptureQueriesContext(connection) as many:
        page = citizen_client.get("/compte/demandes/")
    assert len(many.captured_queries) == len(few.captured_queries)
    assert text(page).count("Reçue") == 17
    add_requests(10)  # 27: two pages of 20
    second = citizen_client.get("/compte/demandes/?page=2")
    assert "Page 2 sur 2" in text(second)


def test_the_request_page_shows_answers_files_and_the_visible_timeline(citizen_client, agent, procedure):
    draft = start(citizen_client, procedure)
    citizen_client.post(page_url(draft, "demandeur"),
                        {"nom": "Martin", "prenom": "Camille", "motif": "naissance", "action": "next"})
    response = citizen_client.post(page_url(draft, "pieces"), {
        "precisions": "Pour un dossier de mariage.", "action": "next",
        "justificatif": SimpleUploadedFile("scan.png", PNG, content_type="image/png"),
    })
    assert response.status_code == 302, text(response)[:3000]
    draft.refresh_from_db()
    attachment = draft.attachments.get()
    assert draft.data["justificatif"] == [attachment.pk]
    send(citizen_client, draft)
    sent = ServiceRequest.objects.get(pk=draft.pk)
    add_event(sent, "note", actor=agent, text="Note interne à ne pas montrer")
    add_event(sent, "message_agent", actor=agent, visible_to_citizen=True, text="Votre acte est en préparation.")
    page = text(citizen_client.get(f"/demandes/{sent.tracking_code}/"))
    assert "Pour un dossier de mariage." in page and "Acte de naissance" in page
    assert f'href="/pieces/{attachment.pk}/"' in page and "scan.png" in page
    assert "Demande envoyée" in page and "Votre acte est en préparation." in page
    assert "Note interne à ne pas montrer" not in page
    assert citizen_client.get(f"/pieces/{attachment.pk}/").status_code == 200


def test_a_forged_file_is_refused_on_its_page_and_changes_nothing(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    citizen_client.post(page_url(draft, "demandeur"),
                        {"nom": "Martin", "prenom": "Camille", "motif": "naissance", "action": "next"})
    draft.refresh_from_db()
    before = dict(draft.data)
    response = citizen_client.post(page_url(draft, "pieces"), {
        "precisions": "x", "action": "next",
        "justificatif": SimpleUploadedFile("facture.pdf", b"<html><script>alert(1)</script></html>",
                                           content_type="application/pdf"),
    })
    assert response.status_code == 400
    assert "error-summary" in text(response)
    draft.refresh_from_db()
    assert draft.data == before and not draft.attachments.exists()


def test_too_many_files_are_refused(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    citizen_client.post(page_url(draft, "demandeur"),
                        {"nom": "Martin", "prenom": "Camille", "motif": "naissance", "action": "next"})
    files = [SimpleUploadedFile(f"scan{index}.png", PNG, content_type="image/png") for index in range(3)]
    response = citizen_client.post(page_url(draft, "pieces"), {"action": "next", "justificatif": files})
    assert response.status_code == 400
    draft.refresh_from_db()
    assert not draft.attachments.exists() and "justificatif" not in draft.data


def test_a_file_can_be_removed_from_a_draft(citizen_client, procedure):
    draft = start(citizen_client, procedure)
    citizen_client.post(page_url(draft, "demandeur"),
                        {"nom": "Martin", "prenom": "Camille", "motif": "naissance", "action": "next"})
    citizen_client.post(page_url(draft, "pieces"), {
        "action": "save", "justificatif": SimpleUploadedFile("scan.png", PNG, content_type="image/png")})
    draft.refresh_from_db()
    attachment = draft.attachments.get()
    page = text(citizen_client.get(page_url(draft, "pieces")))
    assert "Retirer « scan.png »" in page
    citizen_client.post(page_url(draft, "pieces"), {"action": "next", "justificatif__remove": str(attachment.pk)})
    draft.refresh_from_db()
    assert "justificatif" not in draft.data
    send(citizen_client, draft)
    draft.refresh_from_db()
    assert draft.is_submitted and not draft.attachments.exists()  # the unused file is deleted on sending


def test_forged_attachment_ids_of_another_request_are_ignored(organisation, citizen_client, procedure):
    other = make_citizen(organisation, email="dominique@example.org")
    other_client = client_for(organisation, other)
    theirs = start(other_client, procedure)
    other_client.post(page_url(theirs, "demandeur"),
                      {"nom": "Petit", "prenom": "Dominique", "motif": "naissance", "action": "next"})
    other_client.post(page_url(theirs, "pieces"), {
        "action": "save", "justificatif": SimpleUploadedFile("secret.png", PNG, content_type="image/png")})
    secret = theirs.attachments.get()
    mine = start(citizen_client, procedure)
    citizen_client.post(page_url(mine, "demandeur"),
                        {"nom": "Martin", "prenom": "Camille", "motif": "naissance", "action": "next"})
    citizen_client.post(page_url(mine, "pieces"), {"action": "next", "justificatif": str(secret.pk)})
    mine.refresh_from_db()
    assert "justificatif" not in mine.data
    assert citizen_client.get(f"/pieces/{secret.pk}/").status_code == 404


def test_answering_a_request_for_information(citizen_client, agent, procedure):
    sent = submitted(citizen_client, procedure)
    # Nothing asked yet: the page says so.
    response = citizen_client.get(f"/demandes/{sent.tracking_code}/complement/")
    assert response.status_code == 302
    engine.press(sent, "completer", agent, form_data={"message": "Merci de joindre votre livret de famille."})
    sent.refresh_from_db()
    assert sent.waiting_for_citizen
    page = text(citizen_client.get(f"/demandes/{sent.tracking_code}/"))
    assert "Répondre à la demande de complément" in page and "livret de famille" in page
    mine = text(citizen_client.get("/compte/demandes/"))
    assert "Complément demandé" in mine
    # An empty answer is refused in French, nothing changes.
    response = citizen_client.post(f"/demandes/{sent.tracking_code}/complement/", {"message": "  "})
    assert response.status_code == 400 and "Écrivez votre réponse au service." in text(response)
    sent.refresh_from_db()
    assert sent.waiting_for_citizen
    # A disguised file is refused, nothing changes.
    response = citizen_client.post(f"/demandes/{sent.tracking_code}/complement/", {
        "message": "Voici.", "files": SimpleUploadedFile("livret.pdf", b"MZ\x90\x00 not a pdf")})
    assert response.status_code == 400
    sent.refresh_from_db()
    assert sent.waiting_for_citizen and not sent.attachments.exists()
    response = citizen_client.post(f"/demandes/{sent.tracking_code}/complement/", {
        "message": "Voici le livret.", "files": SimpleUploadedFile("livret.png", PNG)})
    assert response.status_code == 302
    sent.refresh_from_db()
    assert not sent.waiting_for_citizen and sent.status == "recue"
    answer = sent.events.get(kind="information_answered")
    assert answer.visible_to_citizen and answer.text == "Voici le livret."
    assert sent.attachments.get().original_name == "livret.png"
    page = text(citizen_client.get(f"/demandes/{sent.tracking_code}/"))
    assert "Vous avez apporté un complément" in page and "Voici le livret." in page


def test_an_anonymous_follower_answers_a_request_for_information(anonymous_client, agent, open_procedure):
    draft = start(anonymous_client, open_procedure)
    fill_contact(anonymous_client, draft)
    fill_all(anonymous_client, draft)
    send(anonymous_client, draft)
    draft.refresh_from_db()
    engine.press(draft, "completer", agent, form_data={"message": "Précisez l'adresse."})
    response = anonymous_client.post(f"/demandes/{draft.tracking_code}/complement/", {"message": "12 rue Haute."})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert not draft.waiting_for_citizen


def test_events_are_append_only(citizen_client, procedure):
    sent = submitted(citizen_client, procedure)
    event = sent.events.get(kind="submitted")
    event.text = "réécrit"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        RequestEvent.objects.filter(request=sent).delete()
    with pytest.raises(ValueError):
        add_event(sent, "invented_kind")
    with pytest.raises(ValueError):
        add_event(sent, "note", colour="red")
    assert RequestEvent.objects.get(pk=event.pk).text == "Demande envoyée."
