"""notify(): channel choice and fallback, what is recorded, transaction semantics, the delivery job."""

import logging

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from guichet.accounts.models import User
from guichet.background.testing import run_ready_jobs
from guichet.notifications import services
from guichet.notifications.models import Channel, Delivery, DeliveryEvent, MessageTemplate, Notification
from guichet.notifications.services import choose_channel, notify, retry_delivery
from tests.conftest import make_agent, make_citizen

pytestmark = pytest.mark.django_db

FREE = {"objet": "Votre dossier", "message": "Votre dossier est complet."}


def jobs():
    return DBTaskResult.objects.filter(task_path="guichet.notifications.services.deliver")


def only_delivery(notification):
    deliveries = list(notification.deliveries.all())
    assert len(deliveries) == 1
    return deliveries[0]


def test_notify_records_the_rendered_message_and_queues_one_delivery(organisation, citizen):
    notification = notify(citizen, "message.free", FREE, link="/compte/")

    assert notification.organisation == organisation
    assert notification.recipient == citizen
    assert notification.subject == "Votre dossier"
    assert notification.body.startswith("Bonjour,\n\nVotre dossier est complet.")
    assert notification.body.endswith("Les services de Saint-Aubin")
    assert notification.read_at is None
    delivery = only_delivery(notification)
    assert (delivery.channel, delivery.address, delivery.status) == (Channel.EMAIL, citizen.email, "queued")
    assert list(delivery.events.values_list("kind", flat=True)) == [DeliveryEvent.Kind.QUEUED]
    assert jobs().count() == 1
    assert jobs().get().args_kwargs == {"args": [delivery.pk], "kwargs": {}}


def test_citizen_preferring_sms_without_phone_gets_an_email_and_the_fallback_is_logged(organisation):
    citizen = make_citizen(organisation, preferred_channel=Channel.SMS)

    delivery = only_delivery(notify(citizen, "message.free", FREE))

    assert delivery.channel == Channel.EMAIL
    fallback = delivery.events.get(kind=DeliveryEvent.Kind.FALLBACK)
    assert fallback.detail == "Pas d'adresse pour : SMS ; envoi par Courriel."
    assert delivery.content == ""


def test_letter_without_postal_address_falls_back_to_the_next_channel(organisation):
    with_phone = make_citizen(organisation, email="a@example.org", preferred_channel=Channel.LETTER,
                              phone="+33612345678")
    delivery = only_delivery(notify(with_phone, "message.free", FREE))
    assert delivery.channel == Channel.EMAIL
    assert delivery.events.get(kind="fallback").detail == "Pas d'adresse pour : Courrier postal ; envoi par Courriel."

    # No postal address, no e-mail: SMS, with the SMS text.
    phone_only = make_citizen(organisation, email="b@example.org", preferred_channel=Channel.LETTER,
                              phone="+33612345679")
    User.objects.filter(pk=phone_only.pk).update(email="")
    phone_only.refresh_from_db()
    delivery = only_delivery(notify(phone_only, "message.free", FREE))
    assert (delivery.channel, delivery.address) == (Channel.SMS, "+33612345679")
    assert delivery.content == "Saint-Aubin : Votre dossier est complet."
    assert delivery.events.get(kind="fallback").detail == (
        "Pas d'adresse pour : Courrier postal, Courriel ; envoi par SMS."
    )


def test_letter_goes_to_the_postal_address_with_the_letter_text(organisation):
    citizen = make_citizen(
        organisation, preferred_channel=Channel.LETTER, civility="mme", address_line="3 rue des Lilas",
        postcode="54470", city="Saint-Aubin",
    )
    delivery = only_delivery(notify(citizen, "message.free", FREE))
    assert delivery.channel == Channel.LETTER
    assert delivery.address == "Madame Camille Martin\n3 rue des Lilas\n54470 Saint-Aubin"
    assert delivery.content.startswith("Madame Martin,\n\nVotre dossier est complet.")
    assert not delivery.events.filter(kind="fallback").exists()


def test_nobody_reachable_the_notification_is_recorded_without_delivery_and_a_warning_logged(organisation, caplog):
    citizen = make_citizen(organisation)
    User.objects.filter(pk=citizen.pk).update(email="")
    citizen.refresh_from_db()

    with caplog.at_level(logging.WARNING, logger="guichet.notifications"):
        notification = notify(citizen, "message.free", FREE)

    assert Notification.objects.filter(pk=notification.pk).exists()
    assert not Delivery.objects.exists()
    assert not jobs().exists()
    assert any("no e-mail, phone or postal address" in record.getMessage() for record in caplog.records)


def test_anonymised_recipient_is_not_sent_anything(organisation):
    citizen = make_citizen(organisation, phone="+33612345678")
    citizen.anonymised_at = citizen.date_joined
    citizen.save()
    notification = notify(citizen, "message.free", FREE)
    assert not notification.deliveries.exists()


def test_agents_can_be_notified_too(organisation):
    agent = make_agent(organisation, email="instructeur@saint-aubin.fr")
    delivery = only_delivery(notify(agent, "message.free", FREE))
    assert (delivery.channel, delivery.address) == (Channel.EMAIL, "instructeur@saint-aubin.fr")
    assert delivery.notification.recipient == agent


def test_forced_channel_overrides_the_preference(organisation):
    citizen = make_citizen(organisation, phone="+33612345678")
    delivery = only_delivery(notify(citizen, "message.free", FREE, channel=Channel.SMS))
    assert delivery.channel == Channel.SMS
    assert not delivery.events.filter(kind="fallback").exists()


def test_choose_channel_reports_every_skipped_channel(organisation):
    citizen = make_citizen(organisation, preferred_channel=Channel.SMS)
    assert choose_channel(citizen) == (Channel.EMAIL, citizen.email, [Channel.SMS])
    User.objects.filter(pk=citizen.pk).update(email="")
    citizen.refresh_from_db()
    assert choose_channel(citizen) == (None, "", [Channel.SMS, Channel.EMAIL, Channel.LETTER])


def test_the_collectivite_wording_is_used(organisation, other_organisation, citizen):
    MessageTemplate.objects.create(
        organisation=organisation, key="message.free", subject="[{{ collectivite.nom }}] {{ objet }}",
        body="{{ destinataire.prenom }}, {{ message }}", sms_text="{{ message }}", letter_text="{{ message }}",
    )
    # Another collectivité's wording of the same message never applies here.
    MessageTemplate.objects.create(
        organisation=other_organisation, key="message.free", subject="MONTCLAIR", body="MONTCLAIR",
        sms_text="MONTCLAIR", letter_text="MONTCLAIR",
    )
    notification = notify(citizen, "message.free", FREE)
    assert notification.subject == "[Saint-Aubin] Votre dossier"
    assert notification.body == "Camille, Votre dossier est complet."


def test_a_wording_that_cannot_be_rendered_falls_back_to_the_default_one(organisation, citizen, caplog):
    # Saved behind the editor's back (the editor refuses it): sending still works, with the default text.
    MessageTemplate.objects.create(
        organisation=organisation, key="message.free", subject="{{ inconnue }}", body="x", sms_text="x",
        letter_text="x",
    )
    with caplog.at_level(logging.ERROR, logger="guichet.notifications"):
        notification = notify(citizen, "message.free", FREE)
    assert notification.subject == "Votre dossier"
    assert "default wording used" in caplog.text


def test_a_long_subject_is_shortened_to_fit(citizen):
    notification = notify(citizen, "message.free", {"objet": "Très long objet " * 30, "message": "x"})
    notification.refresh_from_db()
    assert len(notification.subject) == 200
    assert notification.subject.endswith("…")


def test_the_link_variable_is_absolute_for_messages_that_leave_the_site(organisation, citizen):
    notification = notify(citizen, "account.welcome", link="/compte/")
    assert notification.link == "/compte/"
    assert "Votre espace : http://saint-aubin.localhost/compte/" in notification.body


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_leaves_no_notification_no_delivery_no_job(organisation, citizen):
    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        notify(citizen, "message.free", FREE)
        assert jobs().count() == 1  # inside the transaction the job is there…
        raise Abandon

    assert not Notification.objects.exists()  # …and it went away with it
    assert not Delivery.objects.exists()
    assert not DeliveryEvent.objects.exists()
    assert not jobs().exists()


@pytest.mark.django_db(transaction=True)
def test_committed_transaction_has_exactly_one_job_and_it_sends(organisation, citizen, mailoutbox):
    with transaction.atomic():
        notification = notify(citizen, "message.free", FREE)
    assert jobs().count() == 1
    assert jobs().get().status == "READY"

    assert run_ready_jobs() == 1

    delivery = only_delivery(notification)
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 1
    assert [m.to for m in mailoutbox] == [[citizen.email]]
    assert jobs().get().status == "SUCCESSFUL"


def test_a_delivery_job_run_twice_sends_once(citizen, mailoutbox):
    delivery = only_delivery(notify(citizen, "message.free", FREE))
    assert services.deliver.call(delivery.pk) == "envoyé"
    assert services.deliver.call(delivery.pk) == "déjà traité"
    assert len(mailoutbox) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert list(delivery.events.values_list("kind", flat=True)) == ["queued", "sent"]


def test_claim_takes_a_delivery_once(citizen):
    delivery = only_delivery(notify(citizen, "message.free", FREE))
    first = services.claim(delivery.pk)
    assert first is not None and first.status == Delivery.Status.SENDING and first.attempts == 1
    assert services.claim(delivery.pk) is None


def test_retry_delivery_only_for_failed_or_bounced_and_uses_the_current_address(organisation, citizen, mailoutbox):
    delivery = only_delivery(notify(citizen, "message.free", FREE))
    assert retry_delivery(delivery) is False  # still queued

    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, attempts=6, last_error="boom")
    User.objects.filter(pk=citizen.pk).update(email="nouvelle@example.org")
    assert retry_delivery(delivery) is True
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("queued", 0, "")
    assert delivery.address == "nouvelle@example.org"
    assert delivery.events.get(kind="retried").detail == "Nouvelle adresse : nouvelle@example.org"
    assert retry_delivery(delivery) is False  # queued again: not twice

    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert [m.to for m in mailoutbox] == [["nouvelle@example.org"]]


def test_sms_receipt_updates_the_delivery_of_that_collectivite_only(organisation, other_organisation):
    citizen = make_citizen(organisation, phone="+33612345678", preferred_channel=Channel.SMS)
    delivery = only_delivery(notify(citizen, "message.free", FREE))
    Delivery.objects.filter(pk=delivery.pk).update(status="sent", provider_id="prov-1")

    assert services.record_sms_receipt(other_organisation, "prov-1", "delivered") is False
    assert services.record_sms_receipt(organisation, "", "delivered") is False
    assert services.record_sms_receipt(organisation, "prov-1", "delivered", "DELIVRD") is True
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.events.filter(kind="delivered", detail="DELIVRD").exists()


def test_mark_read(citizen):
    notification = notify(citizen, "message.free", FREE)
    services.mark_read(notification)
    notification.refresh_from_db()
    assert notification.is_read
