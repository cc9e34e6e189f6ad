"""Sending: signed POSTs to a real local receiver, tries logged, back-off on failures, ping and replay."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet.background.testing import make_delayed_jobs_due, run_ready_jobs
from guichet.service_requests import messaging
from guichet.webhooks import services
from guichet.webhooks.models import Delivery

from .conftest import subscribe

pytestmark = pytest.mark.django_db


def emit_one(service_request, text="Bonjour"):
    messaging.post_agent_message(service_request, None, text)
    return Delivery.objects.get(event_type="message.posted", body__contains=text)


def webhook_jobs():
    return DBTaskResult.objects.filter(task_path="guichet.webhooks.tasks.deliver")


def test_server_error_then_success_with_back_off(organisation, receiver, subscription, service_request):
    subscription, secret = subscription
    receiver.answer(500, 200)
    delivery = emit_one(service_request)
    before = timezone.now()
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.last_status_code == 500 and "500" in delivery.last_error
    assert before + datetime.timedelta(seconds=55) < delivery.next_attempt_at < timezone.now() + datetime.timedelta(
        seconds=65)
    retry = webhook_jobs().filter(status="READY").get()
    assert retry.run_after == delivery.next_attempt_at
    assert run_ready_jobs() == 0  # not due yet
    assert make_delayed_jobs_due() >= 1
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 2
    assert [attempt.status_code for attempt in delivery.tries.all()] == [500, 200]
    first, second = receiver.received
    assert first.body == second.body == delivery.body.encode()
    assert first.headers["x-guichet-delivery"] == second.headers["x-guichet-delivery"] == str(delivery.uuid)
    assert first.signed_with(secret) and second.signed_with(secret)


def test_back_off_schedule_then_failed(settings, organisation, receiver, subscription, service_request):
    settings.GUICHET_WEBHOOK_RETRY_SECONDS = [60, 300]
    receiver.answer(503)
    delivery = emit_one(service_request)
    waits = []
    for _round in range(3):
        run_ready_jobs()
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append(round((delivery.next_attempt_at - delivery.tries.last().at).total_seconds()))
        make_delayed_jobs_due()
    assert waits == [60, 300]
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 3
    assert delivery.next_attempt_at is None
    assert len(receiver.received) == 3
    make_delayed_jobs_due()
    assert run_ready_jobs() == 0


def test_the_default_schedule(organisation):
    assert services.retry_delays() == [60, 300, 1800, 7200, 43200]


def test_timeout(settings, organisation, receiver, subscription, service_request):
    settings.GUICHET_HTTP_TIMEOUT = 0.3
    receiver.answer((200, 1.5, b"trop tard"), 200)
    delivery = emit_one(service_request)
    run_ready_jobs()
    delivery.refresh_from_db()
    attempt = delivery.tries.get()
    assert attempt.status_code is None and "délai" in attempt.error
    assert delivery.status == Delivery.Status.RETRYING
    make_delayed_jobs_due()
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


def test_connection_refused(organisation, closed_port_url, service_request):
    subscribe(organisation, closed_port_url)
    delivery = emit_one(service_request)
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRYING
    assert "Connexion impossible" in delivery.tries.get().error


def test_redirects_are_not_followed(organisation, receiver, subscription, service_request):
    receiver.answer(302)
    delivery = emit_one(service_request)
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRYING and delivery.last_status_code == 302
    assert [received.path for received in receiver.received] == ["/hooks/"]


def test_only_the_start_of_the_response_is_kept(organisation, receiver, subscription, service_request):
    receiver.answer((201, 0, "é".encode() * 5000))
    delivery = emit_one(service_request)
    run_ready_jobs()
    attempt = delivery.tries.get()
    assert attempt.status_code == 201
    assert len(attempt.response_body.encode()) <= 2048 + 3
    assert attempt.response_body.startswith("éé")
    assert attempt.duration_ms >= 0


def test_ping(organisation, receiver, subscription):
    subscription, secret = subscription
    delivery = services.send_ping(subscription)
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    (received,) = receiver.received
    assert received.headers["x-guichet-event"] == "ping"
    assert received.json["event"] == "ping" and received.json["organisation"] == "saint-aubin"
    assert received.signed_with(secret)


def test_a_failed_ping_is_not_retried(organisation, receiver, subscription):
    receiver.answer(500)
    delivery = services.send_ping(subscription[0])
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    make_delayed_jobs_due()
    assert run_ready_jobs() == 0


def test_replay_sends_the_same_body_again(organisation, receiver, subscription, service_request):
    subscription, secret = subscription
    delivery = emit_one(service_request)
    run_ready_jobs()
    services.replay(delivery)
    assert delivery.status == Delivery.Status.PENDING
    with pytest.raises(services.DeliveryRefused):
        services.replay(delivery)  # already queued
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert [(attempt.number, attempt.manual) for attempt in delivery.tries.all()] == [(1, False), (2, True)]
    first, second = receiver.received
    assert first.body == second.body
    assert second.headers["x-guichet-delivery"] == str(delivery.uuid) and second.signed_with(secret)


def test_replay_of_a_retrying_delivery_drops_the_scheduled_retry(organisation, receiver, subscription,
                                                                  service_request):
    receiver.answer(500, 200)
    delivery = emit_one(service_request)
    run_ready_jobs()
    services.replay(delivery)
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    make_delayed_jobs_due()
    run_ready_jobs()  # the old retry's job finds a newer generation: nothing sent
    assert len(receiver.received) == 2
    assert delivery.tries.count() == 2


def test_a_job_run_twice_sends_once(organisation, receiver, subscription, service_request):
    delivery = emit_one(service_request)
    run_ready_jobs()
    assert services.send(delivery.pk, delivery.generation) == "déjà traité"
    assert len(receiver.received) == 1


def test_a_deactivated_subscription_stops_automatic_deliveries(organisation, receiver, subscription,
                                                                service_request):
    delivery = emit_one(service_request)
    services.set_active(subscription[0], False)
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and "désactivé" in delivery.last_error
    assert receiver.received == []


def test_a_renewed_secret_signs_the_next_try(organisation, receiver, subscription, service_request):
    subscription, old = subscription
    new = services.renew_secret(subscription)
    assert new != old and new.startswith("gwhk_")
    emit_one(service_request)
    run_ready_jobs()
    (received,) = receiver.received
    assert received.signed_with(new) and not received.signed_with(old)


def test_a_deleted_subscription_job_does_nothing(organisation, receiver, subscription, service_request):
    emit_one(service_request)
    services.delete_subscription(subscription[0])
    run_ready_jobs()
    assert receiver.received == []


def test_old_finished_deliveries_are_purged(settings, organisation, receiver, subscription, service_request):
    settings.GUICHET_WEBHOOK_KEEP_DAYS = 30
    old = emit_one(service_request, "Ancien")
    queued = emit_one(service_request, "En file")
    run_ready_jobs()
    recent = emit_one(service_request, "Récent")
    run_ready_jobs()
    queued.refresh_from_db()
    Delivery.objects.filter(pk=queued.pk).update(status=Delivery.Status.RETRYING)
    long_ago = timezone.now() - datetime.timedelta(days=31)
    Delivery.objects.filter(pk__in=[old.pk, queued.pk]).update(created_at=long_ago)
    assert services.purge_old_deliveries() >= 2  # the delivery and its try
    assert set(Delivery.objects.values_list("pk", flat=True)) == {queued.pk, recent.pk}
