"""Deliveries a dead worker left behind are queued again by the periodic job."""

import datetime

import pytest
from django.utils import timezone

from guichet.background.scheduler import enqueue_due_jobs, registry
from guichet.background.testing import run_ready_jobs
from guichet.notifications import services
from guichet.notifications.models import Delivery
from guichet.notifications.services import CLAIM_TIMEOUT, notify, requeue_stuck_deliveries

pytestmark = pytest.mark.django_db

FREE = {"objet": "Votre dossier", "message": "Votre dossier est complet."}


def stuck_delivery(citizen, minutes):
    """A delivery whose worker died `minutes` ago while sending it (its job is gone)."""
    delivery = notify(citizen, "message.free", FREE).deliveries.get()
    assert services.claim(delivery.pk) is not None
    Delivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - datetime.timedelta(minutes=minutes))
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()  # the worker died with its job
    return delivery


def test_a_delivery_left_sending_is_queued_again_and_sent_once(citizen, mailoutbox):
    delivery = stuck_delivery(citizen, minutes=11)

    assert requeue_stuck_deliveries() == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.events.filter(kind="attempt_failed", detail__startswith="Envoi interrompu").exists()
    assert requeue_stuck_deliveries() == 0  # queued once, not at every pass

    assert run_ready_jobs() == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 2  # the interrupted try counts
    assert len(mailoutbox) == 1


def test_a_delivery_being_sent_right_now_is_left_alone(citizen, mailoutbox):
    delivery = stuck_delivery(citizen, minutes=2)
    assert requeue_stuck_deliveries() == 0
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENDING


def test_a_retry_whose_job_was_lost_is_queued_again(citizen, mailoutbox):
    delivery = notify(citizen, "message.free", FREE).deliveries.get()
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.RETRYING, attempts=1,
        next_attempt_at=timezone.now() - CLAIM_TIMEOUT - datetime.timedelta(minutes=1),
    )
    assert requeue_stuck_deliveries() == 1
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert len(mailoutbox) == 1


def test_the_periodic_job_is_scheduled_by_the_platform(citizen, mailoutbox):
    enqueue_due_jobs()
    name = "guichet.notifications.tasks.requeue_stuck_deliveries"
    assert name in registry.jobs
    assert registry.jobs[name].every == datetime.timedelta(minutes=5)

    stuck_delivery(citizen, minutes=30)
    results = enqueue_due_jobs(now=timezone.now() + datetime.timedelta(minutes=5))
    assert name in [result.task.module_path for result in results]  # other apps' periodic jobs may be due too
    run_ready_jobs()
    assert len(mailoutbox) == 1
