"""The receipt (accusé de réception électronique): the mentions French law requires, on screen and in the PDF."""

import datetime
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from guichet.letters.pdf import french_date
from guichet.service_requests.receipt import _add_months, receipt_for
from tests.conftest import client_for
from tests.service_requests.conftest import fill_all, make_procedure, send, start, text


def pdf_text(response):
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def sent_request(client, procedure):
    draft = start(client, procedure)
    fill_all(client, draft)
    send(client, draft)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def contacts(organisation, service):
    service.email = "etat-civil@saint-aubin.example.org"
    service.phone = "03 83 00 20 10"
    service.save()
    organisation.address = "1 place de la Mairie\n54470 Saint-Aubin"
    organisation.email = "mairie@saint-aubin.example.org"
    organisation.phone = "03 83 00 20 00"
    organisation.save()


def test_the_pdf_carries_every_mandatory_mention_when_silence_means_refusal(
        organisation, service, contacts, citizen_client):
    procedure = make_procedure(organisation, service, slug="autorisation", title="Autorisation de voirie",
                               silence="refusal", deadline=2, unit="calendar_days")
    sent = sent_request(citizen_client, procedure)
    response = citizen_client.get(f"/demandes/{sent.tracking_code}/accuse-de-reception.pdf")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    content = pdf_text(response)
    today = timezone.localdate()
    decision_day = today + datetime.timedelta(days=2)
    assert "Accusé de réception électronique" in content
    assert sent.tracking_code in content  # the tracking code
    assert "Autorisation de voirie" in content
    assert french_date(today) in content  # date of receipt
    assert "État civil" in content  # designation of the service in charge
    assert "1 place de la Mairie" in content and "54470 Saint-Aubin" in content  # its postal address
    assert "etat-civil@saint-aubin.example.org" in content  # its e-mail address
    assert "03 83 00 20 10" in content  # its telephone
    assert f"au plus tard le {french_date(decision_day)}" in content  # deadline
    assert "réputée rejetée" in content and "décision implicite de rejet" in content  # silence means refusal
    assert "deux mois" in content and "tribunal administratif" in content  # means and time limits of appeal
    assert "recours gracieux" in content and "L. 232-4" in content
    assert "L. 112-11" in content
    assert "Saint-Aubin" in content  # the letterhead


def test_silence_means_acceptance_mentions_the_certificate(organisation, service, contacts, citizen_client):
    procedure = make_procedure(organisation, service, slug="occupation", title="Occupation du domaine public",
                               silence="acceptance", deadline=10, unit="working_days")
    sent = sent_request(citizen_client, procedure)
    content = pdf_text(citizen_client.get(f"/demandes/{sent.tracking_code}/accuse-de-reception.pdf"))
    assert "réputée acceptée" in content and "décision implicite d'acceptation" in content
    assert "L. 232-3" in content and "attestation" in content
    assert "10 jours ouvrés" in content
    assert french_date(sent.deadline) in content
    assert "tribunal administratif" not in content


def test_no_implicit_decision_is_said_so(organisation, service, contacts, citizen_client, procedure):
    sent = sent_request(citizen_client, procedure)
    content = pdf_text(citizen_client.get(f"/demandes/{sent.tracking_code}/accuse-de-reception.pdf"))
    assert "ne vaut ni acceptation ni refus" in content
    assert "30 jours" in content


def test_silence_without_deadline_falls_back_on_two_months(organisation, service, contacts, citizen_client):
    procedure = make_procedure(organisation, service, slug="sans-delai", title="Sans délai", silence="acceptance",
                               deadline=None)
    sent = sent_request(citizen_client, procedure)
    receipt = receipt_for(sent)
    assert sent.deadline is None
    received = timezone.localdate(sent.submitted_at)
    assert receipt.implicit_decision_on == french_date(_add_months(received, 2))
    assert _add_months(datetime.date(2025, 12, 31), 2) == datetime.date(2026, 2, 28)
    assert "Aucun délai de traitement" in text(citizen_client.get(f"/demandes/{sent.tracking_code}/accuse-de-reception/"))


def test_the_service_falls_back_on_the_collectivite_contacts(organisation, service, citizen_client):
    organisation.address = "Hôtel de ville\n54470 Saint-Aubin"
    organisation.email = "contact@saint-aubin.example.org"
    organisation.phone = "03 83 00 00 00"
    organisation.save()
    procedure = make_procedure(organisation, service, slug="simple", title="Simple")
    sent = sent_request(citizen_client, procedure)
    content = pdf_text(citizen_client.get(f"/demandes/{sent.tracking_code}/accuse-de-reception.pdf"))
    assert "contact@saint-aubin.example.org" in content and "03 83 00 00 00" in content


def test_the_receipt_notification_carries_the_mentions(organisation, service, contacts, citizen, citizen_client):
    from guichet.notifications.models import Notification

    procedure = make_procedure(organisation, service, slug="refus", title="Autorisation", silence="refusal")
    sent = sent_request(citizen_client, procedure)
    notification = Notification.objects.get(recipient=citizen, key="request.receipt")
    assert sent.tracking_code in notification.body
    assert "État civil" in notification.body
    assert french_date(sent.deadline) in notification.body
    assert "réputée rejetée" in notification.body and "tribunal administratif" in notification.body
    assert notification.link == f"/demandes/{sent.tracking_code}/"


def test_drafts_have_no_receipt_and_others_cannot_download_it(organisation, citizen_client, procedure):
    draft = start(citizen_client, procedure)
    assert citizen_client.get(f"/demandes/{draft.tracking_code}/accuse-de-reception.pdf").status_code == 404
    fill_all(citizen_client, draft)
    send(citizen_client, draft)
    assert client_for(organisation).get(f"/demandes/{draft.tracking_code}/accuse-de-reception.pdf").status_code == 404
