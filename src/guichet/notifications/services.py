"""The notification service: the one way the rest of Guichet tells somebody something.

    notify(recipient, "message.free", {"objet": …, "message": …}, link=…)

renders the collectivité's template for that kind of message, records the notification (shown in « Mes
notifications »), picks the channel from the recipient's preference with a fallback when an address is
missing, and queues the delivery job — in the caller's transaction, so a rolled-back change sends nothing.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.background.tasks import durable_task

from .catalogue import get_kind
from .models import Channel, Delivery, DeliveryEvent, MessageTemplate, Notification
from .rendering import render_texts

logger = logging.getLogger("guichet.notifications")

# When the preferred channel has no address, the next one that has one is used.
FALLBACKS = {
    Channel.EMAIL: [Channel.EMAIL, Channel.SMS, Channel.LETTER],
    Channel.SMS: [Channel.SMS, Channel.EMAIL, Channel.LETTER],
    Channel.LETTER: [Channel.LETTER, Channel.EMAIL, Channel.SMS],
}
# A delivery taken by a worker that died is taken again after this long.
CLAIM_TIMEOUT = datetime.timedelta(minutes=10)


class TemporaryDeliveryError(Exception):
    """The channel could not send now (server down, timeout): try again later."""


class PermanentDeliveryError(Exception):
    """The channel refused this message for good (invalid address…): do not try again."""


def address_for(recipient, channel):
    """The recipient's address on this channel, or "" when they have none."""
    if channel == Channel.EMAIL:
        return recipient.email if recipient.email and not recipient.anonymised_at else ""
    if channel == Channel.SMS:
        return recipient.phone.as_e164 if recipient.phone else ""
    if channel == Channel.LETTER:
        if recipient.address_line and recipient.postcode and recipient.city:
            name = " ".join(part for part in (recipient.get_civility_display(), recipient.first_name,
                                               recipient.last_name) if part)
            return "\n".join(line for line in (name, recipient.postal_address) if line)
        return ""
    raise ValueError(channel)


def choose_channel(recipient, preferred=None):
    """(channel, address, skipped) — the first channel of the preference order that has an address.

    `skipped` lists the channels passed over for want of an address (the fallback is logged with them).
    Returns channel None when the recipient can be reached on no channel at all.
    """
    preferred = preferred or recipient.preferred_channel or Channel.EMAIL
    skipped = []
    for channel in FALLBACKS[Channel(preferred)]:
        address = address_for(recipient, channel)
        if address:
            return channel, address, skipped
        skipped.append(channel)
    return None, "", skipped


def template_texts(organisation, key):
    """The collectivité's wording of this message, or the default one."""
    template = MessageTemplate.objects.of(organisation).filter(key=key).first()
    source = template or get_kind(key)
    return {name: getattr(source, name) for name in ("subject", "body", "sms_text", "letter_text")}


def message_context(organisation, recipient, context=None, link=""):
    """The variables of a message: the collectivité's, the recipient's, the link, and the caller's own."""
    return {
        "collectivite": {
            "nom": organisation.name,
            "adresse": " ".join(organisation.address.split()),
            "telephone": organisation.phone,
        },
        "destinataire": {
            "civilite": recipient.get_civility_display() if recipient.civility else "",
            "prenom": recipient.first_name,
            "nom": recipient.last_name,
        },
        "lien": link,
        **(context or {}),
    }


def notify(recipient, key, context=None, *, link="", channel=None):
    """Tell `recipient` something: record the notification and queue its delivery; returns the Notification.

    `channel` forces a channel instead of the recipient's preference (the fallback still applies).
    """
    organisation = recipient.organisation
    texts = render_texts(template_texts(organisation, key), message_context(organisation, recipient, context, link))
    with transaction.atomic():
        notification = Notification.objects.create(
            organisation=organisation, recipient=recipient, key=key, subject=texts.subject, body=texts.body,
            link=link,
        )
        chosen, address, skipped = choose_channel(recipient, channel)
        if chosen is None:
            logger.warning("Notification %s: %s has no address on any channel", notification.pk, recipient.pk)
            return notification
        content = {Channel.SMS: texts.sms_text, Channel.LETTER: texts.letter_text}.get(chosen, "")
        delivery = Delivery.objects.create(
            organisation=organisation, notification=notification, channel=chosen, address=address, content=content
        )
        if skipped:
            DeliveryEvent.objects.create(
                organisation=organisation, delivery=delivery, kind=DeliveryEvent.Kind.FALLBACK,
                detail=_("Pas d'adresse pour : %(channels)s ; envoi par %(channel)s.") % {
                    "channels": ", ".join(str(Channel(c).label) for c in skipped),
                    "channel": Channel(chosen).label,
                },
            )
        DeliveryEvent.objects.create(organisation=organisation, delivery=delivery, kind=DeliveryEvent.Kind.QUEUED)
        deliver.enqueue(delivery.pk)
    return notification


def _event(delivery, kind, detail=""):
    DeliveryEvent.objects.create(organisation_id=delivery.organisation_id, delivery=delivery, kind=kind, detail=detail)


def claim(delivery_id):
    """Take the delivery for sending, unless it is already done or being sent by a live worker."""
    now = timezone.now()
    claimable = Q(status__in=[Delivery.Status.QUEUED, Delivery.Status.RETRYING]) | Q(
        status=Delivery.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    )
    taken = Delivery.objects.filter(claimable, pk=delivery_id).update(
        status=Delivery.Status.SENDING, claimed_at=now
    )
    return Delivery.objects.select_related("notification", "organisation").get(pk=delivery_id) if taken else None


def send_on_channel(delivery):
    """Hand the delivery to its channel; returns (provider_id, result text)."""
    from . import channels

    return channels.SENDERS[delivery.channel](delivery)


@durable_task
def deliver(delivery_id):
    """Background job: send one delivery; a temporary failure is tried again with back-off."""
    delivery = claim(delivery_id)
    if delivery is None:
        if Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).exists():
            # Another worker took it and may have died: try again once its claim has expired.
            raise TemporaryDeliveryError("envoi en cours par un autre processus")
        return "déjà traité"
    delivery.attempts += 1
    try:
        provider_id, result = send_on_channel(delivery)
    except PermanentDeliveryError as error:
        record_failed(delivery, str(error))
        return "échec"
    except Exception as error:
        if delivery.attempts >= settings.GUICHET_TASK_MAX_ATTEMPTS:
            record_failed(delivery, str(error) or repr(error))
            return "échec"
        _record_attempt_failed(delivery, str(error) or repr(error))
        raise TemporaryDeliveryError(str(error)) from error
    if delivery.channel == Channel.LETTER:
        record_in_batch(delivery, provider_id, result)
    else:
        record_sent(delivery, provider_id, result)
    return "envoyé"


def _record_attempt_failed(delivery, error):
    from guichet.background.tasks import backoff_delay

    with transaction.atomic():
        delivery.status = Delivery.Status.RETRYING
        delivery.last_error = error
        delivery.next_attempt_at = timezone.now() + backoff_delay(delivery.attempts)
        delivery.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
        _event(delivery, DeliveryEvent.Kind.ATTEMPT_FAILED, _("Essai %(n)s : %(error)s") % {
            "n": delivery.attempts, "error": error})


def record_sent(delivery, provider_id="", result=""):
    with transaction.atomic():
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.provider_id = provider_id or delivery.provider_id
        delivery.result = result
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "attempts", "sent_at", "provider_id", "result", "next_attempt_at"])
        _event(delivery, DeliveryEvent.Kind.SENT, result)


def record_in_batch(delivery, provider_id="", result=""):
    """A letter put in the day's batch: it stays queued until an agent marks the batch as posted."""
    with transaction.atomic():
        delivery.status = Delivery.Status.QUEUED
        delivery.claimed_at = None
        delivery.provider_id = provider_id
        delivery.result = result
        delivery.save(update_fields=["status", "attempts", "claimed_at", "provider_id", "result"])


def record_posted(delivery):
    """The letter was posted by the mail room: for a letter, this is « sent »."""
    with transaction.atomic():
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["status", "sent_at"])
        _event(delivery, DeliveryEvent.Kind.POSTED)


def record_failed(delivery, error):
    with transaction.atomic():
        delivery.status = Delivery.Status.FAILED
        delivery.last_error = error
        delivery.finished_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "attempts", "last_error", "finished_at", "next_attempt_at"])
        _event(delivery, DeliveryEvent.Kind.FAILED, error)


def retry_delivery(delivery):
    """An agent sends a failed delivery again (from the delivery log)."""
    with transaction.atomic():
        updated = Delivery.objects.filter(
            pk=delivery.pk, status__in=[Delivery.Status.FAILED, Delivery.Status.BOUNCED]
        ).update(status=Delivery.Status.QUEUED, attempts=0, last_error="", finished_at=None)
        if not updated:
            return False
        _event(delivery, DeliveryEvent.Kind.RETRIED)
        deliver.enqueue(delivery.pk)
    return True


def _record_outcome(delivery, status, kind, detail):
    with transaction.atomic():
        delivery.status = status
        delivery.finished_at = timezone.now()
        if status != Delivery.Status.DELIVERED:
            delivery.last_error = detail
        delivery.result = detail or delivery.result
        delivery.save(update_fields=["status", "finished_at", "last_error", "result"])
        _event(delivery, kind, detail)


def record_sms_receipt(organisation, provider_id, status, detail=""):
    """The SMS provider's delivery receipt (called by guichet.sms); True when a delivery of this
    collectivité matched."""
    delivery = Delivery.objects.of(organisation).filter(channel=Channel.SMS, provider_id=provider_id).first()
    if delivery is None:
        return False
    if status == "delivered":
        _record_outcome(delivery, Delivery.Status.DELIVERED, DeliveryEvent.Kind.DELIVERED, detail)
    else:
        _record_outcome(delivery, Delivery.Status.FAILED, DeliveryEvent.Kind.FAILED, detail)
    return True


def record_bounce(delivery, detail):
    """The recipient's mail server rejected the e-mail after it was sent."""
    _record_outcome(delivery, Delivery.Status.BOUNCED, DeliveryEvent.Kind.BOUNCED, detail)


def mark_read(notification):
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
