"""Messages stored but never read: their processing job failed every try (the database was down, a bug…).

A message stays RECEIVED until its job has read it (e-mail parsed, letter OCR'd), and agents cannot qualify it
before that. `resume_stuck_mail()` (periodic, `tasks.resume_stuck_mail`) finds the messages still RECEIVED some
time after they were stored and without a job waiting or running for them, and queues their job again; the jobs
are idempotent (a message already read is left as it is), so a message is read once in the end.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import IncomingMail

STUCK_AFTER = datetime.timedelta(minutes=30)
BATCH = 500


def _job_for(mail):
    from .tasks import ocr_letter, process_incoming_email

    return ocr_letter if mail.source == IncomingMail.Source.SCAN else process_incoming_email


def _queued_mail_ids():
    """Ids of the messages whose job is waiting or running (their args are [mail_id])."""
    from .tasks import ocr_letter, process_incoming_email

    ids = set()
    jobs = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        task_path__in=[ocr_letter.module_path, process_incoming_email.module_path],
    ).values_list("args_kwargs", flat=True)
    for args_kwargs in jobs.iterator():
        args = (args_kwargs or {}).get("args") or []
        if args and isinstance(args[0], int):
            ids.add(args[0])
    return ids


def resume_stuck_mail(now=None):
    """Queue again the job of every message still RECEIVED `STUCK_AFTER` after it was stored and without a job
    waiting or running → how many were queued again."""
    cutoff = (now or timezone.now()) - STUCK_AFTER
    stuck = list(IncomingMail.objects.filter(state=IncomingMail.State.RECEIVED, created_at__lt=cutoff)
                 .only("pk", "source").order_by("pk")[:BATCH])
    if not stuck:
        return 0
    queued = _queued_mail_ids()
    count = 0
    for mail in stuck:
        if mail.pk in queued:
            continue
        with transaction.atomic():
            _job_for(mail).enqueue(mail.pk)
        count += 1
    return count
