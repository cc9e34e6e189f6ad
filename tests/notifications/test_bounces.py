"""Bounces: RFC 3464 delivery-status notifications and plain bounces, through `manage.py process_bounce` and
the platform host's HTTP endpoint; matched by the VERP address or by our Message-ID in the returned headers."""

import io
import logging

import pytest
from django.core.management import call_command
from django.test import Client

from guichet.background.testing import run_ready_jobs
from guichet.notifications.bounces import MAX_BOUNCE_SIZE, MalformedBounce, parse_bounce, process_bounce
from guichet.notifications.models import Delivery
from guichet.notifications.services import notify, retry_delivery
from tests.conftest import client_for, make_citizen
from tests.notifications.smtp_support import SmtpServer

pytestmark = pytest.mark.django_db

FREE = {"objet": "Votre dossier", "message": "Votre dossier est complet."}
TOKEN = "jeton-de-rebonds-0123456789abcdef"

# Postfix's DSN: sent to the envelope sender (our VERP address), the returned message's headers only.
POSTFIX_DSN = """\
Return-Path: <>
Delivered-To: rebonds+{ref}@guichet.example
Received: by mx.guichet.example (Postfix) id 4F1C2A0123; Mon, 23 Nov 2026 16:02:11 +0100 (CET)
Date: Mon, 23 Nov 2026 16:02:11 +0100 (CET)
From: MAILER-DAEMON@mx.guichet.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: rebonds+{ref}@guichet.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4F1C2A0123.1763910131/mx.guichet.example"
Message-Id: <20261123150211.4F1C2A0123@mx.guichet.example>

This is a MIME-encapsulated message.

--4F1C2A0123.1763910131/mx.guichet.example
Content-Description: Notification
Content-Type: text/plain; charset=utf-8

This is the mail system at host mx.guichet.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{to}>: host mx.example.org[192.0.2.25] said: 550 5.1.1 <{to}>:
    Recipient address rejected: User unknown in virtual mailbox table

--4F1C2A0123.1763910131/mx.guichet.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.guichet.example
X-Postfix-Queue-ID: 4F1C2A0123
X-Postfix-Sender: rfc822; rebonds+{ref}@guichet.example
Arrival-Date: Mon, 23 Nov 2026 16:02:10 +0100 (CET)

Final-Recipient: rfc822; {to}
Original-Recipient: rfc822;{to}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 <{to}>: Recipient address rejected: User
    unknown in virtual mailbox table

--4F1C2A0123.1763910131/mx.guichet.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <rebonds+{ref}@guichet.example>
From: Saint-Aubin <mairie@saint-aubin.fr>
To: {to}
Subject: Votre dossier
Message-ID: <{ref}@guichet.localhost>
Auto-Submitted: auto-generated

--4F1C2A0123.1763910131/mx.guichet.example--
"""

# A DSN from another MTA (Exim-like), sent to the From address (no VERP), returning the whole message.
FULL_MESSAGE_DSN = """\
Return-Path: <>
From: Mail Delivery System <Mailer-Daemon@relais.example.net>
To: mairie@saint-aubin.fr
Subject: Mail delivery failed: returning message to sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type="delivery-status"; boundary="=_bnd_1"
Date: Mon, 23 Nov 2026 16:05:00 +0100

--=_bnd_1
Content-Type: text/plain; charset=us-ascii

A message that you sent could not be delivered to one or more of its recipients.

  {to}
    mailbox is full: retry timeout exceeded

--=_bnd_1
Content-Type: message/delivery-status

Reporting-MTA: dns; relais.example.net

Action: failed
Final-Recipient: rfc822;{to}
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

--=_bnd_1
Content-Type: message/rfc822

From: Saint-Aubin <mairie@saint-aubin.fr>
To: {to}
Subject: Votre dossier
Message-ID: <{ref}@guichet.localhost>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Bonjour,

Votre dossier est complet.

--=_bnd_1--
"""

DELAYED_DSN = """\
From: MAILER-DAEMON@mx.guichet.example (Mail Delivery System)
Subject: Delayed Mail (still being retried)
To: rebonds+{ref}@guichet.example
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b2"

--b2
Content-Type: text/plain

Your message has not been delivered yet; the mail system will keep trying.

--b2
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.guichet.example

Final-Recipient: rfc822; {to}
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.example.org[192.0.2.25]:25: Connection timed out
Will-Retry-Until: Mon, 30 Nov 2026 16:02:10 +0100

--b2--
"""

# qmail's plain-text bounce: no DSN, the original message quoted in the text.
QMAIL_BOUNCE = """\
Return-Path: <>
From: MAILER-DAEMON@relais.example.net
To: mairie@saint-aubin.fr
Subject: failure notice
Date: 23 Nov 2026 15:10:00 -0000

Hi. This is the qmail-send program at relais.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{to}>:
192.0.2.25 does not like recipient.
Remote host said: 550 5.7.1 Mailbox unavailable
Giving up on 192.0.2.25.

--- Below this line is a copy of the message.

Return-Path: <mairie@saint-aubin.fr>
From: Saint-Aubin <mairie@saint-aubin.fr>
To: {to}
Subject: Votre dossier
Message-ID: <{ref}@guichet.localhost>

Bonjour,
"""

OUT_OF_OFFICE = """\
From: Camille Martin <{to}>
To: rebonds+{ref}@guichet.example
Subject: Absence du bureau : Votre dossier
Auto-Submitted: auto-replied

Je suis absente jusqu'au 30 novembre.
"""


@pytest.fixture(autouse=True)
def _bounce_settings(settings):
    settings.GUICHET_BOUNCE_ADDRESS = "rebonds@guichet.example"
    settings.GUICHET_BOUNCE_TOKEN = TOKEN


@pytest.fixture
def sent(organisation):
    """An e-mail delivery that was sent (locmem backend)."""
    citizen = make_citizen(organisation, email="camille@example.org")
    notification = notify(citizen, "message.free", FREE)
    run_ready_jobs()
    delivery = notification.deliveries.get()
    assert delivery.status == Delivery.Status.SENT
    return delivery


def sample(template, delivery, ref=None):
    return template.format(ref=ref or delivery.reference.hex, to=delivery.address).encode()


def test_postfix_dsn_is_matched_by_the_verp_address_and_recorded(sent):
    bounce = parse_bounce(sample(POSTFIX_DSN, sent))
    assert bounce.is_dsn and bounce.failed
    assert bounce.status == "5.1.1"
    assert bounce.diagnostic == (
        "550 5.1.1 <camille@example.org>: Recipient address rejected: User unknown in virtual mailbox table"
    )
    assert bounce.recipient == "camille@example.org"

    outcome = process_bounce(sample(POSTFIX_DSN, sent))
    assert outcome.result == "recorded"
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.BOUNCED
    assert sent.finished_at is not None
    event = sent.events.get(kind="bounced")
    assert event.detail == (
        "Rejeté par le serveur du destinataire : statut 5.1.1 — 550 5.1.1 <camille@example.org>: Recipient "
        "address rejected: User unknown in virtual mailbox table"
    )
    assert sent.last_error == event.detail


def test_dsn_without_verp_is_matched_by_the_message_id_of_the_returned_message(sent):
    outcome = process_bounce(sample(FULL_MESSAGE_DSN, sent))
    assert outcome.result == "recorded"
    assert outcome.delivery == sent
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.BOUNCED
    assert "statut 5.2.2 — 552 5.2.2 Mailbox full" in sent.last_error


def test_the_message_id_is_enough_when_the_verp_address_names_no_delivery(sent):
    raw = sample(POSTFIX_DSN, sent).replace(
        f"rebonds+{sent.reference.hex}@".encode(), b"rebonds+" + b"0" * 32 + b"@"
    )
    assert process_bounce(raw).delivery == sent


def test_a_delay_notice_is_not_a_bounce(sent):
    outcome = process_bounce(sample(DELAYED_DSN, sent))
    assert (outcome.result, outcome.reason) == ("ignored", "delayed")
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.SENT


def test_a_plain_bounce_with_the_quoted_message_id_is_recorded(sent):
    outcome = process_bounce(sample(QMAIL_BOUNCE, sent))
    assert outcome.result == "recorded"
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.BOUNCED
    assert "550 5.7.1 Mailbox unavailable" in sent.last_error


def test_a_plain_bounce_matching_nothing_is_logged_and_ignored(sent, caplog):
    raw = QMAIL_BOUNCE.format(ref="f" * 32, to="quelquun@example.org").encode()
    with caplog.at_level(logging.WARNING, logger="guichet.notifications.bounces"):
        outcome = process_bounce(raw)
    assert outcome.result == "unmatched"
    assert "Bounce matching no delivery" in caplog.text
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.SENT


def test_an_auto_reply_to_the_bounce_address_is_not_a_bounce(sent):
    assert process_bounce(sample(OUT_OF_OFFICE, sent)).result == "ignored"
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.SENT


def test_a_verp_address_of_another_bounce_mailbox_is_not_trusted(settings, sent):
    settings.GUICHET_BOUNCE_ADDRESS = "autre@ailleurs.example"
    raw = sample(POSTFIX_DSN, sent).replace(b"Message-ID: <", b"X-Old-Id: <")
    assert process_bounce(raw).result == "unmatched"


def test_the_same_bounce_twice_is_recorded_once(sent):
    assert process_bounce(sample(POSTFIX_DSN, sent)).result == "recorded"
    assert process_bounce(sample(POSTFIX_DSN, sent)).result == "ignored"
    assert sent.events.filter(kind="bounced").count() == 1


def test_a_bounced_delivery_can_be_sent_again(sent, mailoutbox):
    process_bounce(sample(POSTFIX_DSN, sent))
    sent.refresh_from_db()
    assert retry_delivery(sent) is True
    run_ready_jobs()
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.SENT
    assert len(mailoutbox) == 2


@pytest.mark.parametrize("raw", [b"", b"   \n", b"\x00\x01\x02 pas un courriel", b"juste du texte sans en-tete"])
def test_what_is_not_an_email_is_malformed(raw):
    with pytest.raises(MalformedBounce):
        parse_bounce(raw)


def test_a_broken_dsn_does_not_crash(sent):
    raw = (
        b"From: MAILER-DAEMON@x\nTo: rebonds+" + sent.reference.hex.encode() + b"@guichet.example\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"zz\"\n\n--zz\n"
        b"Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n!!!!not base64\n"
    )
    outcome = process_bounce(raw)
    assert outcome.result in {"recorded", "ignored"}


# --- manage.py process_bounce ------------------------------------------------------------------------


def test_command_records_a_bounce_from_standard_input(sent, capsys):
    call_command("process_bounce", stdin=io.BytesIO(sample(POSTFIX_DSN, sent)))
    assert f"recorded : envoi {sent.pk}" in capsys.readouterr().out
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.BOUNCED


def test_command_uses_the_envelope_recipient_given_by_the_mta(sent):
    # Headers stripped of every reference: only the recipient passed by the MTA names the delivery.
    raw = b"From: MAILER-DAEMON@relais.example.net\nSubject: Undelivered Mail Returned to Sender\n\nUser unknown\n"
    call_command("process_bounce", stdin=io.BytesIO(raw), recipient=f"rebonds+{sent.reference.hex}@guichet.example")
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.BOUNCED


def test_command_unmatched_bounce_exits_normally(db, capsys):
    call_command("process_bounce", stdin=io.BytesIO(QMAIL_BOUNCE.format(ref="a" * 32, to="x@y.example").encode()))
    assert "unmatched" in capsys.readouterr().out


def test_command_exits_with_ex_dataerr_on_garbage(db):
    with pytest.raises(SystemExit) as exited:
        call_command("process_bounce", stdin=io.BytesIO(b""))
    assert exited.value.code == 65


# --- POST /notifications/rebonds/<token>/ on the platform host -------------------------------------------


def post(raw, token=TOKEN, client=None):
    client = client or Client()  # testserver: the platform host
    return client.post(f"/notifications/rebonds/{token}/", data=raw, content_type="message/rfc822")


def test_endpoint_records_a_bounce(sent):
    response = post(sample(POSTFIX_DSN, sent))
    assert response.status_code == 200
    assert response.content == b"recorded\n"
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.BOUNCED


def test_endpoint_answers_404_to_a_wrong_token_or_when_none_is_set(settings, sent):
    raw = sample(POSTFIX_DSN, sent)
    assert post(raw, token="mauvais-jeton").status_code == 404
    assert post(raw, token=TOKEN[:-1]).status_code == 404
    assert Client().get(f"/notifications/rebonds/mauvais/").status_code == 404
    settings.GUICHET_BOUNCE_TOKEN = ""
    assert post(raw, token=TOKEN).status_code == 404
    assert post(raw, token="").status_code == 404
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.SENT


def test_endpoint_is_not_on_the_collectivites_hosts(organisation, sent):
    assert post(sample(POSTFIX_DSN, sent), client=client_for(organisation)).status_code == 404


def test_endpoint_refuses_get_too_big_and_malformed(sent):
    assert Client().get(f"/notifications/rebonds/{TOKEN}/").status_code == 405
    assert post(b"x" * (MAX_BOUNCE_SIZE + 1)).status_code == 413
    assert post(b"").status_code == 400
    assert post(b"\x00\xff garbage").status_code == 400
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.SENT


def test_endpoint_answers_unmatched_for_a_bounce_of_nobody(db):
    response = post(QMAIL_BOUNCE.format(ref="b" * 32, to="x@y.example").encode())
    assert (response.status_code, response.content) == (200, b"unmatched\n")


# --- the whole loop: sent through a real SMTP server, bounced back --------------------------------------


def test_a_message_sent_through_smtp_then_bounced(settings, organisation):
    server = SmtpServer().start()
    try:
        server.use_in(settings, bounce_address="rebonds@guichet.example")
        citizen = make_citizen(organisation, email="parti@example.org")
        notification = notify(citizen, "message.free", FREE)
        run_ready_jobs()
        [received] = server.messages
    finally:
        server.stop()
    delivery = notification.deliveries.get()
    # The MTA returns the bounce to the envelope sender it was given.
    dsn = POSTFIX_DSN.format(ref="0" * 32, to=received.rcpt_tos[0]).replace(
        "rebonds+" + "0" * 32 + "@guichet.example", received.mail_from
    ).replace("<" + "0" * 32 + "@guichet.localhost>", received.message_id)
    assert post(dsn.encode()).content == b"recorded\n"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.BOUNCED
