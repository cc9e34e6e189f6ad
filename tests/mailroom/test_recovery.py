"""A message whose processing job failed all its tries is not left unread: the periodic sweep queues it again."""

import datetime

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet.background.testing import run_ready_jobs
from guichet.mailroom.email_in import receive_raw_email
from guichet.mailroom.models import IncomingMail
from guichet.mailroom.recovery import resume_stuck_mail
from tests.mailroom.mail_samples import message

INBOUND = IncomingMail.Source.INBOUND


def stuck_email(organisation, minutes=45):
    """A stored e-mail whose job is gone (as after its last failed try), stored `minutes` ago."""
    mail, _created = receive_raw_email(organisation, message(subject="Lampadaire éteint"), source=INBOUND)
    DBTaskResult.objects.all().delete()
    IncomingMail.objects.filter(pk=mail.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=minutes))
    return mail


def test_a_stuck_message_is_queued_again_and_read(organisation):
    mail = stuck_email(organisation)
    assert resume_stuck_mail() == 1
    assert run_ready_jobs() == 1
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY and mail.subject == "Lampadaire éteint"
    assert resume_stuck_mail() == 0  # read: nothing more to do


def test_a_recent_message_or_one_whose_job_waits_is_left_alone(organisation, other_organisation):
    recent = stuck_email(organisation, minutes=5)
    assert resume_stuck_mail() == 0
    receive_raw_email(other_organisation, message(subject="Autre"), source=INBOUND)  # job queued
    IncomingMail.objects.update(created_at=timezone.now() - datetime.timedelta(hours=2))
    assert resume_stuck_mail() == 1  # only `recent`, now old and without a job
    assert DBTaskResult.objects.count() == 2
    run_ready_jobs()
    recent.refresh_from_db()
    assert recent.state == IncomingMail.State.TO_QUALIFY
