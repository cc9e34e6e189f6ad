"""The IMAP poller against a real IMAP server (pymap, started by these tests on a local port)."""

import pytest

from guichet.background.testing import run_ready_jobs
from guichet.mailroom import imap
from guichet.mailroom.imap import check_connection, ImapError, poll_active_mailboxes, poll_and_record, poll_mailbox
from guichet.mailroom.models import IncomingMail, Mailbox

from . import imap_server
from .mail_samples import PDF, message

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def server():
    running = imap_server.start_server()
    yield running
    imap_server.stop_server(running)


@pytest.fixture
def folder(server):
    return server.new_folder()


def make_mailbox(organisation, server, folder, **fields):
    fields = {"name": "Accueil", "host": server.host, "port": server.port, "security": "plain",
              "username": imap_server.USER, "password": imap_server.PASSWORD, "folder": folder, **fields}
    return Mailbox.objects.create(organisation=organisation, **fields)


def test_new_messages_are_fetched_stored_and_processed(organisation, server, folder, service,
                                                       django_assert_max_num_queries):
    server.append(folder, message(subject="Premier", attachments=[("plan.pdf", PDF, "application", "pdf")]),
                  message(subject="Deuxième"))
    mailbox = make_mailbox(organisation, server, folder, service=service)
    with django_assert_max_num_queries(45):
        result = poll_mailbox(mailbox)
    assert (result.fetched, result.stored, result.duplicates) == (2, 2, 0)
    mails = IncomingMail.objects.of(organisation).order_by("pk")
    assert [mail.subject for mail in mails] == ["Premier", "Deuxième"]
    assert all(mail.source == IncomingMail.Source.IMAP and mail.mailbox == mailbox and mail.service == service
               for mail in mails)
    mailbox.refresh_from_db()
    assert mailbox.last_uid > 0 and mailbox.uidvalidity == server.uidvalidity(folder)
    run_ready_jobs()
    first = mails.first()
    first.refresh_from_db()
    assert first.state == IncomingMail.State.TO_QUALIFY and first.attachments.get().file.read() == PDF
    # Nothing marked read or deleted on the server.
    assert all(b"\\Seen" not in flags and b"\\Deleted" not in flags for flags in server.flags(folder))


def test_polled_twice_no_duplicates_then_only_new_ones(organisation, server, folder):
    server.append(folder, message(subject="Un"))
    mailbox = make_mailbox(organisation, server, folder)
    assert poll_mailbox(mailbox).stored == 1
    again = poll_mailbox(mailbox)
    assert again.fetched == 0  # UID above last_uid only
    server.append(folder, message(subject="Deux"))
    assert poll_mailbox(mailbox).stored == 1
    assert IncomingMail.objects.of(organisation).count() == 2


def test_crash_before_last_uid_moved_is_harmless(organisation, server, folder):
    server.append(folder, message(subject="Un"), message(subject="Deux"))
    mailbox = make_mailbox(organisation, server, folder)
    poll_mailbox(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=0)  # as if the poller died before saving it
    mailbox.refresh_from_db()
    result = poll_mailbox(mailbox)
    assert (result.fetched, result.stored, result.duplicates) == (2, 0, 2)
    assert IncomingMail.objects.of(organisation).count() == 2


def test_uidvalidity_reset_reads_again_without_duplicates(organisation, server, folder):
    known = message(subject="Déjà relevé")
    server.append(folder, known)
    mailbox = make_mailbox(organisation, server, folder)
    poll_mailbox(mailbox)
    old_validity = Mailbox.objects.get(pk=mailbox.pk).uidvalidity
    server.recreate(folder)  # new UIDVALIDITY, UIDs start again
    server.append(folder, known, message(subject="Nouveau"))
    mailbox.refresh_from_db()
    result = poll_mailbox(mailbox)
    assert result.uidvalidity_reset
    assert (result.stored, result.duplicates) == (1, 1)
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity != old_validity
    assert sorted(IncomingMail.objects.of(organisation).values_list("subject", flat=True)) == [
        "Déjà relevé", "Nouveau"]


def test_big_message_is_stored_with_headers_only(organisation, server, folder, settings):
    settings.GUICHET_MAIL_MAX_BYTES = 20_000
    server.append(folder, message(subject="Énorme", body="x" * 50_000, message_id="<big@example.org>"),
                  message(subject="Petit"))
    mailbox = make_mailbox(organisation, server, folder)
    result = poll_mailbox(mailbox)
    assert (result.stored, result.too_big) == (2, 1)
    big = IncomingMail.objects.of(organisation).get(message_id="<big@example.org>")
    assert big.subject == "Énorme"
    assert big.raw.size < 2000  # never fetched whole
    assert "dépasse la limite" in big.processing_error and "Accueil" in big.processing_error
    run_ready_jobs()
    big.refresh_from_db()
    assert big.state == IncomingMail.State.TO_QUALIFY and "dépasse la limite" in big.processing_error
    assert IncomingMail.objects.of(organisation).get(subject="Petit").body.startswith("Bonjour")


def test_wrong_password_is_recorded_in_french(organisation, server, folder):
    mailbox = make_mailbox(organisation, server, folder, password="faux")
    assert poll_and_record(mailbox) is None
    mailbox.refresh_from_db()
    assert "mot de passe refusé" in mailbox.last_error
    assert mailbox.last_polled_at is not None
    with pytest.raises(ImapError, match="mot de passe"):
        check_connection(mailbox)


def test_unknown_folder_and_server_down(organisation, server):
    mailbox = make_mailbox(organisation, server, "N'existe-pas")
    with pytest.raises(ImapError, match="dossier"):
        check_connection(mailbox)
    down = make_mailbox(organisation, server, "INBOX", port=imap_server.free_port())
    with pytest.raises(ImapError, match="refuse la connexion"):
        check_connection(down)


def test_silent_server_times_out(organisation, settings):
    import socket

    settings.GUICHET_IMAP_TIMEOUT = 0.5
    with socket.socket() as listener:  # accepts the connection, never says anything
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        mailbox = Mailbox(organisation=organisation, name="Muette", host="127.0.0.1",
                          port=listener.getsockname()[1], security="plain", username="u", password="p")
        with pytest.raises(ImapError, match="ne répond pas"):
            check_connection(mailbox)


def test_check_connection_counts_messages(organisation, server, folder):
    server.append(folder, message(), message())
    assert check_connection(make_mailbox(organisation, server, folder)) == 2


def test_one_failing_mailbox_does_not_stop_the_others(organisation, other_organisation, server):
    mine, theirs = server.new_folder("A"), server.new_folder("B")
    server.append(mine, message(subject="Pour A"))
    server.append(theirs, message(subject="Pour B"))
    broken = make_mailbox(organisation, server, mine, name="Cassée", password="faux")
    good_a = make_mailbox(organisation, server, mine, name="A")
    good_b = make_mailbox(other_organisation, server, theirs, name="B")
    make_mailbox(organisation, server, theirs, name="Éteinte", is_active=False)
    outcome = poll_active_mailboxes()
    assert outcome == {"polled": 2, "failed": 1, "stored": 2}
    broken.refresh_from_db()
    good_a.refresh_from_db()
    assert broken.last_error and good_a.last_error == ""
    # Tenant isolation: each mailbox's messages belong to its own collectivité only.
    assert list(IncomingMail.objects.of(organisation).values_list("subject", flat=True)) == ["Pour A"]
    assert list(IncomingMail.objects.of(other_organisation).values_list("subject", flat=True)) == ["Pour B"]
    assert IncomingMail.objects.get(subject="Pour B").mailbox == good_b


def test_tracking_code_from_the_mailbox_reaches_the_request(organisation, server, folder, service_request):
    server.append(folder, message(subject=f"Question sur {service_request.tracking_code}", body="Où en est-on ?"))
    poll_mailbox(make_mailbox(organisation, server, folder))
    run_ready_jobs()
    mail = IncomingMail.objects.of(organisation).get()
    assert mail.state == IncomingMail.State.ATTACHED and mail.request == service_request


def test_periodic_job_is_registered_every_two_minutes():
    import datetime

    from guichet.background.scheduler import registry
    from guichet.mailroom import tasks

    job = registry.jobs[tasks.poll_mailboxes.module_path]
    assert job.every == datetime.timedelta(minutes=2)


def test_folder_names_are_encoded():
    assert imap.encode_folder("INBOX") == '"INBOX"'
    assert imap.encode_folder("Boîte & co") == '"Bo&AO4-te &- co"'
    assert imap.encode_folder('a"b') == '"a\\"b"'


def test_non_ascii_folder(organisation, server):
    name = "Réclamations"
    client = server.client()
    client.create(imap.encode_folder(name))
    client.append(imap.encode_folder(name), None, None, message(subject="Accentué"))
    client.logout()
    mailbox = make_mailbox(organisation, server, name)
    assert poll_mailbox(mailbox).stored == 1


def self_signed_certificate(directory):
    """A certificate for 127.0.0.1 signed by itself (the test's own authority)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    cert, key = self_signed_certificate(tmp_path_factory.mktemp("imap-tls"))
    running = imap_server.start_server(cert=cert, key=key)
    running.cert = cert
    yield running
    imap_server.stop_server(running)


def test_starttls_with_a_verified_certificate(organisation, tls_server, settings):
    settings.GUICHET_IMAP_CA_FILE = str(tls_server.cert)
    mailbox = make_mailbox(organisation, tls_server, "INBOX", security="starttls")
    assert check_connection(mailbox) >= 0


def test_starttls_required_on_a_server_without_it_sends_no_password(organisation, server):
    mailbox = make_mailbox(organisation, server, "INBOX", security="starttls", password="ne-doit-pas-partir")
    with pytest.raises(ImapError, match="ne propose pas STARTTLS"):
        check_connection(mailbox)


def test_starttls_with_an_unknown_certificate_is_refused(organisation, tls_server):
    mailbox = make_mailbox(organisation, tls_server, "INBOX", security="starttls")
    with pytest.raises(ImapError, match="certificat du serveur .* n'est pas valide"):
        check_connection(mailbox)


def test_imaps_on_a_plain_port_gives_a_french_error(organisation, server):
    mailbox = make_mailbox(organisation, server, "INBOX", security="ssl")
    with pytest.raises(ImapError) as error:
        check_connection(mailbox)
    assert "La connexion chiffrée avec 127.0.0.1" in str(error.value)
