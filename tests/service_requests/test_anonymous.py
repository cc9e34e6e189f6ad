"""Requests without an account: contact details, receipt by e-mail, follow-up with the code AND the e-mail."""

from django.core import mail

from guichet.background.testing import run_ready_jobs
from guichet.notifications.models import Notification
from guichet.service_requests.models import ServiceRequest
from tests.conftest import client_for
from tests.service_requests.conftest import fill_all, fill_contact, page_url, send, start, text


def submit_anonymously(client, procedure, email="alex.dupont@example.org"):
    draft = start(client, procedure)
    fill_contact(client, draft, email=email)
    fill_all(client, draft)
    send(client, draft)
    draft.refresh_from_db()
    return draft


def test_contact_details_are_asked_first_and_checked(anonymous_client, open_procedure):
    draft = start(anonymous_client, open_procedure)
    # The form's pages wait for the contact details.
    response = anonymous_client.get(page_url(draft, "demandeur"))
    assert response.status_code == 302 and response.url.endswith("/coordonnees/")
    response = anonymous_client.post(f"/demandes/{draft.tracking_code}/coordonnees/",
                                     {"contact_name": " ", "contact_email": "pas-une-adresse", "action": "next"})
    assert response.status_code == 200
    body = text(response)
    assert "Indiquez vos prénom et nom." in body
    assert "Indiquez une adresse électronique valide" in body
    draft.refresh_from_db()
    assert draft.contact_name == "" and draft.contact_email == ""
    response = anonymous_client.post(f"/demandes/{draft.tracking_code}/coordonnees/", {
        "contact_name": "Alex  Dupont", "contact_email": "Alex.Dupont@Example.org", "contact_phone": "0612345678",
        "action": "next",
    })
    assert response.status_code == 302 and response.url == page_url(draft, "demandeur")
    draft.refresh_from_db()
    assert (draft.contact_name, draft.contact_email, draft.contact_phone) == (
        "Alex Dupont", "alex.dupont@example.org", "06 12 34 56 78")


def test_a_bad_phone_number_is_refused(anonymous_client, open_procedure):
    draft = start(anonymous_client, open_procedure)
    response = anonymous_client.post(f"/demandes/{draft.tracking_code}/coordonnees/", {
        "contact_name": "Alex Dupont", "contact_email": "alex@example.org", "contact_phone": "12", "action": "next"})
    assert "Indiquez un numéro de téléphone valide" in text(response)
    draft.refresh_from_db()
    assert draft.contact_email == ""


def test_sending_without_contact_details_goes_back_to_them(anonymous_client, open_procedure):
    draft = start(anonymous_client, open_procedure)
    response = send(anonymous_client, draft)
    assert response.status_code == 302 and response.url.endswith("/coordonnees/")
    draft.refresh_from_db()
    assert draft.is_draft


def test_the_receipt_goes_by_e_mail_to_the_address_given(anonymous_client, open_procedure):
    draft = submit_anonymously(anonymous_client, open_procedure)
    assert draft.is_submitted
    assert not Notification.objects.exists()  # nobody's account to notify
    assert run_ready_jobs() >= 1
    receipts = [message for message in mail.outbox if draft.tracking_code in message.subject]
    assert len(receipts) == 1
    assert receipts[0].to == ["alex.dupont@example.org"]
    assert "Alex Dupont" in receipts[0].body or "Bonjour" in receipts[0].body
    assert "/demandes/suivre/" in receipts[0].body
    # The session that made it sees it, and its receipt.
    assert anonymous_client.get(f"/demandes/{draft.tracking_code}/").status_code == 200
    assert anonymous_client.get(f"/demandes/{draft.tracking_code}/accuse-de-reception.pdf").status_code == 200


def test_another_browser_never_sees_a_request_by_its_code_alone(organisation, anonymous_client, open_procedure):
    draft = submit_anonymously(anonymous_client, open_procedure)
    stranger = client_for(organisation)
    for url in [f"/demandes/{draft.tracking_code}/", f"/demandes/{draft.tracking_code}/accuse-de-reception.pdf",
                f"/demandes/{draft.tracking_code}/accuse-de-reception/"]:
        assert stranger.get(url).status_code == 404


def test_following_with_code_and_e_mail(organisation, anonymous_client, open_procedure):
    draft = submit_anonymously(anonymous_client, open_procedure)
    follower = client_for(organisation)
    assert follower.get("/demandes/suivre/").status_code == 200
    # Wrong e-mail: a French message, no access.
    response = follower.post("/demandes/suivre/", {"code": draft.tracking_code, "email": "autre@example.org"})
    assert response.status_code == 400
    assert "Aucune demande ne correspond" in text(response)
    assert follower.get(f"/demandes/{draft.tracking_code}/").status_code == 404
    # A malformed code is told apart.
    response = follower.post("/demandes/suivre/", {"code": "RQ-ABCD", "email": "alex.dupont@example.org"})
    assert "Ce numéro de suivi n'est pas valide" in text(response)
    # The right pair, typed carelessly (lower case, spaces, capitals in the address).
    typed = draft.tracking_code.lower().replace("-", " ")
    response = follower.post("/demandes/suivre/", {"code": typed, "email": "Alex.Dupont@example.org"})
    assert response.status_code == 302 and response.url == f"/demandes/{draft.tracking_code}/"
    page = follower.get(response.url)
    assert page.status_code == 200 and draft.tracking_code in text(page)


def test_follow_up_is_rate_limited(organisation, anonymous_client, open_procedure):
    draft = submit_anonymously(anonymous_client, open_procedure)
    follower = client_for(organisation)
    for _attempt in range(5):
        response = follower.post("/demandes/suivre/", {"code": draft.tracking_code, "email": "x@example.org"})
        assert response.status_code == 400
    response = follower.post("/demandes/suivre/", {"code": draft.tracking_code, "email": "alex.dupont@example.org"})
    assert response.status_code == 429
    assert "Trop d'essais" in text(response)
    assert follower.get(f"/demandes/{draft.tracking_code}/").status_code == 404
    # A new session from the same address is limited too.
    fresh = client_for(organisation)
    response = fresh.post("/demandes/suivre/", {"code": draft.tracking_code, "email": "alex.dupont@example.org"})
    assert response.status_code == 429


def test_requests_of_citizens_cannot_be_followed_without_signing_in(organisation, citizen_client, citizen,
                                                                    open_procedure):
    draft = start(citizen_client, open_procedure)
    fill_all(citizen_client, draft)
    send(citizen_client, draft)
    follower = client_for(organisation)
    response = follower.post("/demandes/suivre/", {"code": draft.tracking_code, "email": citizen.email})
    assert response.status_code == 400
    assert follower.get(f"/demandes/{draft.tracking_code}/").status_code == 404


def test_follow_is_scoped_to_the_collectivite(other_organisation, anonymous_client, open_procedure):
    draft = submit_anonymously(anonymous_client, open_procedure)
    montclair = client_for(other_organisation)
    response = montclair.post("/demandes/suivre/", {"code": draft.tracking_code, "email": "alex.dupont@example.org"})
    assert response.status_code == 400
    assert ServiceRequest.objects.filter(organisation=other_organisation).count() == 0
