"""Background jobs of the mail room (the workers import every app's `tasks` module).

- `process_incoming_email(mail_id)`: read a stored e-mail and hand it to `services.process_mail` (enqueued by
  `email_in.receive_raw_email` in the transaction that stores the message).
- `poll_mailboxes()`: every 2 minutes, fetch the new messages of the active IMAP mailboxes.
- `resume_stuck_mail()`: every 30 minutes, a message still waiting to be read well after it was stored, whose job
  is no longer queued (it failed all its tries: database down…), gets its job again — stored, so never lost.
- `ocr_letter(mail_id)`: read a scanned letter by OCR and file it (enqueued by `scans.register_scan` in the
  transaction that registers the letter). Queue "ocr", low priority: a batch of scans never holds back the
  notifications (`worker --queue-name=ocr` / `--exclude-queues=ocr` to give it its own worker).
"""

import datetime

from guichet.background.scheduler import periodic
from guichet.background.tasks import durable_task


@durable_task
def process_incoming_email(mail_id):
    """Parse a stored e-mail, keep its attachments and file it (added to a request or to qualify). Idempotent."""
    from .email_in import process_stored_email

    return process_stored_email(mail_id)


@periodic(every=datetime.timedelta(minutes=2))
@durable_task(max_attempts=1)
def poll_mailboxes():
    """Every 2 minutes: the new messages of every active mailbox (one failing mailbox does not stop the others;
    its French error is kept on it). Not retried: the next slot polls again."""
    from .imap import poll_active_mailboxes

    return poll_active_mailboxes()


@durable_task(max_attempts=3, queue_name="ocr", priority=-10)
def ocr_letter(mail_id):
    """Read a scanned letter (OCR), store its text and file it (added to a request or to qualify). Idempotent: a
    letter already read is left as it is."""
    from .scans import read_letter

    return read_letter(mail_id)


@periodic(every=datetime.timedelta(minutes=30))
@durable_task(max_attempts=1)
def resume_stuck_mail():
    """Every 30 minutes: queue again the processing of messages stuck in « reçu » (see `recovery`)."""
    from .recovery import resume_stuck_mail as resume

    return resume()
