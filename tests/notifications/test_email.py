"""The e-mail channel end to end, against a real SMTP server (aiosmtpd on 127.0.0.1): the message itself,
the server going down in the middle of a batch, retries, permanent refusals, concurrent runs of one job."""

import datetime
import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet.background.tasks import RetryScheduled
from guichet.background.testing import make_delayed_jobs_due, run_ready_jobs
from guichet.notifications import services
from guichet.notifications.models import Delivery, DeliveryEvent
from guichet.notifications.services import notify, retry_delivery
from tests.conftest import make_agent, make_citizen
from tests.notifications.smtp_support import SmtpServer, database_for_threads, run_jobs

FREE = {"objet": "Votre dossier", "message": "Votre dossier est complet."}


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    server.use_in(settings)
    yield server
    server.stop()


@pytest.fixture
def branded(organisation):
    organisation.sender_email = "mairie@saint-aubin.fr"
    organisation.email = "accueil@saint-aubin.fr"
    organisation.primary_colour = "#7a1f5c"
    organisation.address = "1 place de la Mairie\n54470 Saint-Aubin"
    organisation.phone = "03 83 00 20 00"
    organisation.save()
    return organisation


def deliveries():
    return Delivery.objects.order_by("pk")


@pytest.mark.django_db
def test_the_email_received_by_the_smtp_server(settings, smtp, branded):
    settings.GUICHET_BOUNCE_ADDRESS = "rebonds@guichet.example"
    citizen = make_citizen(branded, email="camille@example.org", civility="mme")
    notification = notify(citizen, "message.free", {"objet": "Votre dossier <n°42>",
                                                    "message": "Pièce reçue : <script>alert(1)</script> & merci."},
                          link="/compte/")
    assert run_ready_jobs() == 1

    delivery = notification.deliveries.get()
    assert delivery.status == Delivery.Status.SENT
    [received] = smtp.messages
    message = received.message
    # Envelope: VERP sender naming this delivery, the citizen as recipient.
    assert received.mail_from == f"rebonds+{delivery.reference.hex}@guichet.example"
    assert received.rcpt_tos == ["camille@example.org"]
    # Headers
    assert message["From"] == "Saint-Aubin <mairie@saint-aubin.fr>"
    assert message["To"] == "camille@example.org"
    assert message["Reply-To"] == "accueil@saint-aubin.fr"
    assert message["Subject"] == "Votre dossier <n°42>"
    assert message["Message-ID"] == f"<{delivery.reference.hex}@guichet.localhost>"
    assert delivery.provider_id == message["Message-ID"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == "<http://saint-aubin.localhost/compte/modifier/>"
    assert message["Content-Language"] == "fr"
    # Text part
    text = received.part("text/plain")
    assert text.startswith("Madame Martin,\n\nPièce reçue : <script>alert(1)</script> & merci.")
    assert "http://saint-aubin.localhost/compte/" in text
    assert "Saint-Aubin\n1 place de la Mairie" in text
    assert "Pour changer votre moyen de contact préféré : http://saint-aubin.localhost/compte/modifier/" in text
    # HTML part: branding, the body escaped, the link absolute.
    html = received.part("text/html")
    assert "background:#7a1f5c" in html
    assert ">Saint-Aubin</td>" in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; merci." in html
    assert 'href="http://saint-aubin.localhost/compte/"' in html
    assert '<html lang="fr">' in html
    # The log
    kinds = list(delivery.events.values_list("kind", flat=True))
    assert kinds == ["queued", "sent"]
    assert delivery.events.get(kind="sent").detail == "Accepté par le serveur de courrier"


@pytest.mark.django_db
def test_without_a_bounce_address_the_envelope_sender_is_the_from_address(smtp, branded):
    notify(make_citizen(branded), "message.free", FREE)
    run_ready_jobs()
    [received] = smtp.messages
    assert received.mail_from == "mairie@saint-aubin.fr"
    assert received.message["From"] == "Saint-Aubin <mairie@saint-aubin.fr>"


@pytest.mark.django_db
def test_the_platform_sender_is_used_when_the_collectivite_has_none(settings, smtp, organisation):
    settings.DEFAULT_FROM_EMAIL = "Guichet <ne-pas-repondre@guichet.example>"
    notify(make_citizen(organisation), "message.free", FREE)
    run_ready_jobs()
    [received] = smtp.messages
    assert received.message["From"] == "Guichet <ne-pas-repondre@guichet.example>"
    assert received.message["Reply-To"] is None


@pytest.mark.django_db
def test_agents_get_no_unsubscribe_link_to_a_citizen_page(smtp, organisation):
    notify(make_agent(organisation, email="agent@saint-aubin.fr"), "message.free", FREE)
    run_ready_jobs()
    [received] = smtp.messages
    assert received.message["List-Unsubscribe"] is None
    assert "moyen de contact" not in received.part("text/plain")


@pytest.mark.django_db(transaction=True)
def test_smtp_server_down_in_the_middle_of_a_batch_every_message_arrives_once(settings, smtp, organisation):
    settings.GUICHET_TASK_BACKOFF_SECONDS = [60, 120]
    citizens = [make_citizen(organisation, email=f"habitant{n:02}@example.org") for n in range(30)]
    for citizen in citizens:
        notify(citizen, "message.free", FREE)

    assert run_jobs(max_tasks=10) == 10
    assert len(smtp.messages) == 10

    smtp.stop()
    before_failures = timezone.now()
    assert run_jobs() == 20  # each fails once, and its retry waits for its back-off
    assert len(smtp.messages) == 10
    retrying = deliveries().filter(status=Delivery.Status.RETRYING)
    assert retrying.count() == 20
    for delivery in retrying:
        assert delivery.attempts == 1
        assert "Serveur de courrier injoignable" in delivery.last_error
        assert before_failures + datetime.timedelta(seconds=59) < delivery.next_attempt_at
    waiting = DBTaskResult.objects.filter(status="READY")
    assert waiting.count() == 20
    assert all(job.run_after > before_failures + datetime.timedelta(seconds=59) for job in waiting)
    assert run_jobs() == 0  # nothing is due before the back-off

    smtp.start()  # same port
    assert make_delayed_jobs_due() == 20
    assert run_jobs() == 20
    assert run_jobs() == 0

    counts = Counter(smtp.message_ids())
    assert len(counts) == 30
    assert set(counts.values()) == {1}
    assert {received.rcpt_tos[0] for received in smtp.messages} == {c.email for c in citizens}
    assert set(deliveries().values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert sorted(Counter(deliveries().values_list("attempts", flat=True)).items()) == [(1, 10), (2, 20)]
    for delivery in deliveries().filter(attempts=2):
        kinds = list(delivery.events.values_list("kind", flat=True))
        assert kinds == ["queued", "attempt_failed", "sent"]
        assert delivery.events.get(kind="attempt_failed").detail.startswith(
            "Essai 1 : Serveur de courrier injoignable")
        assert delivery.last_error == ""
    assert counts[deliveries().first().provider_id] == 1


@pytest.mark.django_db(transaction=True)
def test_after_the_last_try_the_delivery_is_failed_and_an_agent_can_send_it_again(settings, smtp, citizen):
    settings.GUICHET_TASK_MAX_ATTEMPTS = 3
    settings.GUICHET_TASK_BACKOFF_SECONDS = [60]
    notification = notify(citizen, "message.free", FREE)
    smtp.stop()
    for _try in range(3):
        make_delayed_jobs_due()
        assert run_jobs() == 1

    delivery = notification.deliveries.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 3
    assert delivery.finished_at is not None
    assert "Serveur de courrier injoignable" in delivery.last_error
    assert list(delivery.events.values_list("kind", flat=True)) == [
        "queued", "attempt_failed", "attempt_failed", "failed"]
    make_delayed_jobs_due()
    assert run_jobs() == 0  # nothing left to try

    smtp.start()
    assert retry_delivery(delivery) is True
    assert run_jobs() == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 1
    assert [m.message_id for m in smtp.messages] == [f"<{delivery.reference.hex}@guichet.localhost>"]
    assert list(delivery.events.values_list("kind", flat=True))[-2:] == ["retried", "sent"]


@pytest.mark.django_db
def test_a_permanent_refusal_fails_at_once(smtp, organisation):
    smtp.refused.add("inconnu@example.org")
    notification = notify(make_citizen(organisation, email="inconnu@example.org"), "message.free", FREE)
    assert run_ready_jobs() == 1
    make_delayed_jobs_due()
    assert run_ready_jobs() == 0  # no retry

    delivery = notification.deliveries.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("Refusé par le serveur de courrier : inconnu@example.org : 550 5.1.1")
    assert list(delivery.events.values_list("kind", flat=True)) == ["queued", "failed"]
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_temporary_refusal_is_tried_again(smtp, organisation):
    smtp.greylisted.add("lent@example.org")
    notification = notify(make_citizen(organisation, email="lent@example.org"), "message.free", FREE)
    run_ready_jobs()
    delivery = notification.deliveries.get()
    assert delivery.status == Delivery.Status.RETRYING
    assert "450 4.2.0" in delivery.last_error

    smtp.greylisted.clear()
    make_delayed_jobs_due()
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 2
    assert len(smtp.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_delivery_job_running_twice_at_the_same_time_sends_once(smtp, citizen, tmp_path):
    smtp.delay = 0.5  # the first send is still going on when the second job starts
    notification = notify(citizen, "message.free", FREE)
    delivery = notification.deliveries.get()
    services.deliver.enqueue(delivery.pk)  # a duplicate job for the same delivery

    outcomes = []
    with database_for_threads(tmp_path):
        start = threading.Barrier(2)

        def run():
            start.wait()
            try:
                outcomes.append(services.deliver.call(delivery.pk))
            except RetryScheduled as error:
                outcomes.append(type(error.__cause__).__name__)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert sorted(outcomes) == ["TemporaryDeliveryError", "envoyé"]
        assert len(smtp.messages) == 1
        delivery.refresh_from_db()
        assert delivery.status == Delivery.Status.SENT
        assert delivery.attempts == 1
        # The job that found the delivery taken tries again later, and then finds it sent.
        make_delayed_jobs_due()
        run_jobs()
        assert len(smtp.messages) == 1
        assert DeliveryEvent.objects.filter(delivery=delivery, kind="sent").count() == 1
