"""Storing e-mails before processing them: dedup, the processing job, tracking codes, faults."""

from unittest import mock

import pytest

from guichet.background.testing import run_ready_jobs
from guichet.mailroom import email_in
from guichet.mailroom.email_in import receive_raw_email
from guichet.mailroom.models import IncomingMail
from guichet.service_requests.models import RequestEvent

from .mail_samples import EXE, PDF, message

pytestmark = pytest.mark.django_db
INBOUND = IncomingMail.Source.INBOUND


def test_stored_first_then_processed_to_qualify(organisation):
    raw = message(attachments=[("plan.pdf", PDF, "application", "pdf")])
    mail, created = receive_raw_email(organisation, raw, source=INBOUND)
    assert created
    assert mail.state == IncomingMail.State.RECEIVED
    assert mail.registry_number.startswith("E-")
    assert mail.raw.read() == raw  # the bytes as received, before anything else
    assert mail.subject == "Trou dans la chaussée" and mail.sender_email == "camille.martin@example.org"
    assert run_ready_jobs() == 1
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY
    assert mail.body.startswith("Bonjour,")
    assert mail.processing_error == ""
    [attachment] = mail.attachments.all()
    assert attachment.original_name == "plan.pdf" and attachment.file.read() == PDF
    assert attachment.organisation_id == organisation.pk


def test_same_message_id_twice_is_one_message(organisation):
    raw = message(message_id="<twice@example.org>")
    first, created = receive_raw_email(organisation, raw, source=INBOUND)
    again, created_again = receive_raw_email(organisation, raw.replace(b"Bonjour", b"Bonsoir"), source=INBOUND)
    assert created and not created_again
    assert again.pk == first.pk
    assert IncomingMail.objects.count() == 1
    assert run_ready_jobs() == 1  # one job, not two


def test_without_message_id_same_bytes_dedup(organisation):
    raw = message(message_id=False)
    first, _ = receive_raw_email(organisation, raw, source=INBOUND)
    again, created = receive_raw_email(organisation, raw, source=INBOUND)
    assert not created and again.pk == first.pk
    other, created = receive_raw_email(organisation, message(message_id=False, subject="Autre"), source=INBOUND)
    assert created and other.pk != first.pk


def test_same_message_id_in_two_collectivites_is_two_messages(organisation, other_organisation):
    raw = message(message_id="<shared@example.org>")
    mine, _ = receive_raw_email(organisation, raw, source=INBOUND)
    theirs, created = receive_raw_email(other_organisation, raw, source=INBOUND)
    assert created and theirs.pk != mine.pk and theirs.organisation == other_organisation


def test_concurrent_duplicate_delivery_returns_the_stored_one(organisation):
    """The other delivery committed between our check and our insert: the unique constraint answers, and we
    return its row instead of failing."""
    raw = message(message_id="<race@example.org>")
    existing, _ = receive_raw_email(organisation, raw, source=INBOUND)
    real = email_in.find_duplicate
    with mock.patch.object(email_in, "find_duplicate", side_effect=[None, real(organisation,
                                                                             message_id="<race@example.org>")]):
        before = stored_mail_files(organisation)
        mail, created = receive_raw_email(organisation, raw, source=INBOUND)
    assert not created and mail.pk == existing.pk
    assert IncomingMail.objects.count() == 1
    assert stored_mail_files(organisation) == before  # the losing copy's raw file is not left behind


def stored_mail_files(organisation):
    from guichet.service_requests.storage import get_private_storage

    storage, base = get_private_storage(), f"{organisation.pk}/mail"
    if not storage.exists(base):
        return set()
    folders, _files = storage.listdir(base)
    return {f"{base}/{folder}/{name}" for folder in folders for name in storage.listdir(f"{base}/{folder}")[1]}


def test_tracking_code_adds_the_message_to_the_request(organisation, service_request, citizen):
    raw = message(subject=f"Re: votre demande {service_request.tracking_code}",
                  body="Voici la photo demandée.", attachments=[("photo.pdf", PDF, "application", "pdf")])
    mail, _ = receive_raw_email(organisation, raw, source=INBOUND)
    run_ready_jobs()
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.ATTACHED
    assert mail.request == service_request
    assert mail.citizen == citizen
    event = service_request.events.get(kind=RequestEvent.Kind.MAIL_RECEIVED)
    assert "Voici la photo demandée." in event.text
    assert service_request.attachments.filter(original_name="photo.pdf").exists()


def test_dangerous_and_oversized_attachments_recorded_without_content(organisation, settings):
    settings.GUICHET_MAIL_ATTACHMENT_MAX_BYTES = 1000
    raw = message(attachments=[("facture.pdf.exe", EXE, "application", "octet-stream"),
                               ("scan.pdf", PDF + b"0" * 5000, "application", "pdf"),
                               ("ok.pdf", PDF, "application", "pdf")])
    mail, _ = receive_raw_email(organisation, raw, source=INBOUND)
    run_ready_jobs()
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY
    rows = {item.original_name: item for item in mail.attachments.all()}
    assert set(rows) == {"facture.pdf.exe", "scan.pdf", "ok.pdf"}
    assert "double extension" in rows["facture.pdf.exe"].refused_reason and not rows["facture.pdf.exe"].file
    assert "trop volumineuse" in rows["scan.pdf"].refused_reason and not rows["scan.pdf"].file
    assert rows["scan.pdf"].size == len(PDF) + 5000
    assert rows["ok.pdf"].refused_reason == "" and rows["ok.pdf"].file


def test_malformed_mime_is_kept_and_goes_to_qualification(organisation):
    raw = (b"From: Camille <camille.martin@example.org>\r\nSubject: casse\r\nMessage-ID: <broken@example.org>\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\ndu texte sans frontiere\r\n")
    mail, created = receive_raw_email(organisation, raw, source=INBOUND)
    assert created
    run_ready_jobs()
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY
    assert "MIME" in mail.processing_error
    assert mail.subject == "casse" and mail.raw.read() == raw


def test_processing_failure_keeps_the_message_to_qualify(organisation):
    mail, _ = receive_raw_email(organisation, message(), source=INBOUND)
    with mock.patch("guichet.mailroom.services.process_mail", side_effect=RuntimeError("panne")):
        run_ready_jobs()
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY
    assert "panne" in mail.processing_error
    assert mail.body.startswith("Bonjour,")  # what was read is kept


def test_parsing_crash_keeps_the_message_to_qualify(organisation):
    mail, _ = receive_raw_email(organisation, message(), source=INBOUND)
    with mock.patch.object(email_in, "parse_email", side_effect=ValueError("illisible")):
        run_ready_jobs()
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY and "illisible" in mail.processing_error
    assert mail.raw.read()


def test_running_the_job_again_is_harmless(organisation):
    from guichet.mailroom.tasks import process_incoming_email

    mail, _ = receive_raw_email(organisation, message(attachments=[("a.pdf", PDF, "application", "pdf")]),
                                source=INBOUND)
    run_ready_jobs()
    process_incoming_email.enqueue(mail.pk)
    run_ready_jobs()
    mail.refresh_from_db()
    assert mail.attachments.count() == 1
    assert mail.state == IncomingMail.State.TO_QUALIFY


def test_headers_only_note_sends_to_qualification(organisation, service_request):
    raw = f"From: camille.martin@example.org\r\nSubject: {service_request.tracking_code}\r\n\r\n".encode()
    mail, _ = receive_raw_email(organisation, raw, source=IncomingMail.Source.IMAP, note="Message trop gros.")
    run_ready_jobs()
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY
    assert mail.processing_error == "Message trop gros."


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("message_id", ["<simultane@example.org>", False])
def test_two_simultaneous_deliveries_store_one_message(organisation, message_id):
    """PostgreSQL: the second delivery waits on the first one's uncommitted row (or, without Message-ID, on the
    registry counter it locked), then returns it."""
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    raw = message(message_id=message_id)
    inserted, release = threading.Event(), threading.Event()
    results = {}

    def first():
        try:
            with transaction.atomic():
                results["first"] = receive_raw_email(organisation, raw, source=INBOUND)
                inserted.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second():
        try:
            inserted.wait(10)
            results["second"] = receive_raw_email(organisation, raw, source=INBOUND)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inserted.wait(10)
    import time

    time.sleep(0.5)  # the second delivery is now waiting on the first one's lock
    release.set()
    for thread in threads:
        thread.join(20)
    (mail, created), (again, created_again) = results["first"], results["second"]
    assert created and not created_again and again.pk == mail.pk
    assert IncomingMail.objects.count() == 1
