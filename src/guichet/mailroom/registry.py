"""Registering what comes in: store first (raw bytes and files), number it, then process it.

`register_mail` is the one way an e-mail or a letter enters the platform (IMAP poller, inbound endpoint, scan
upload). It runs in the caller's transaction: callers enqueue their processing job (durable queue) in the same
transaction, so a stored message is always processed, and a failed processing leaves the message stored.
"""

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .models import IncomingMail, RegistryCounter

PREFIXES = {IncomingMail.Channel.EMAIL: "E", IncomingMail.Channel.POSTAL: "C"}


def next_registry_number(organisation, channel, when=None):
    """`E-2026-000012`: the next number of this channel's registry for the year (row lock on the counter)."""
    year = timezone.localtime(when or timezone.now()).year
    prefix = PREFIXES[channel]
    with transaction.atomic():
        counter, _created = RegistryCounter.objects.get_or_create(organisation=organisation, prefix=prefix, year=year)
        counter = RegistryCounter.objects.select_for_update().get(pk=counter.pk)
        counter.last += 1
        counter.save(update_fields=["last"])
    return f"{prefix}-{year}-{counter.last:06d}"


def register_mail(organisation, *, channel, source, raw_bytes=None, raw_name="message.eml", **fields):
    """Store a new incoming message (state RECEIVED) with its raw bytes, and give it its registry number.

    `fields` are IncomingMail fields (received_at defaults to now). Returns the saved IncomingMail. The caller
    checks duplicates (`find_duplicate`; a check that must see a concurrent delivery is made after this call: the
    registry counter's row lock taken here is held until the caller's transaction ends) and enqueues the
    processing in the same transaction. When the message cannot be saved, its raw file is deleted.
    """
    fields.setdefault("received_at", timezone.now())
    stored_name = None
    try:
        with transaction.atomic():
            mail = IncomingMail(
                organisation=organisation, channel=channel, source=source,
                registry_number=next_registry_number(organisation, channel, fields["received_at"]), **fields,
            )
            if raw_bytes is not None:
                mail.raw_sha256 = hashlib.sha256(raw_bytes).hexdigest()
                mail.raw.save(raw_name, ContentFile(raw_bytes), save=False)
                stored_name = mail.raw.name
            mail.save()
    except Exception:
        # Not registered (e.g. a concurrent delivery of the same Message-ID won): no orphan file left behind.
        if stored_name:
            IncomingMail.raw.field.storage.delete(stored_name)
        raise
    return mail


def find_duplicate(organisation, *, message_id="", raw_bytes=None):
    """The message already stored with this Message-ID (or, without one, with the same raw bytes), or None."""
    mails = IncomingMail.objects.of(organisation)
    if message_id:
        return mails.filter(message_id=message_id).first()
    if raw_bytes is not None:
        return mails.filter(raw_sha256=hashlib.sha256(raw_bytes).hexdigest()).first()
    return None
