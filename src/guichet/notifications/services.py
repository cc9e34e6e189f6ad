"""The notification service: the one way the rest of Guichet tells somebody something.

    notify(recipient, "message.free", {"objet": …, "message": …}, link=…)

renders the collectivité's template for that kind of message, records the notification (shown in « Mes
notifications »), picks the channel from the recipient's preference with a fallback when an address is
missing, and queues the delivery job — in the caller's transaction, so a rolled-back change sends nothing
and a committed one always has its job.

A delivery goes QUEUED → SENDING (taken by one worker, `claim()`) → SENT, or RETRYING (temporary failure,
tried again with back-off) → … → FAILED after the last try; an agent may send a FAILED or BOUNCED delivery
again (`retry_delivery`). Bounces and SMS receipts come back later (`record_bounce`, `record_sms_receipt`).
A letter is put in the day's batch and stays QUEUED until the batch is posted (`record_posted`).
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.background.tasks import backoff_delay, durable_task
from guichet.organisations.services import organisation_url

from .catalogue import get_kind
from .models import Channel, Delivery, DeliveryEvent, MessageTemplate, Notification
from .rendering import TemplateProblem, render_texts

logger = logging.getLogger("guichet.notifications")

# When the preferred channel has no address, the next one that has one is used.
FALLBACKS = {
    Channel.EMAIL: [Channel.EMAIL, Channel.SMS, Channel.LETTER],
    Channel.SMS: [Channel.SMS, Channel.EMAIL, Channel.LETTER],
    Channel.LETTER: [Channel.LETTER, Channel.EMAIL, Channel.SMS],
}
# A delivery taken by a worker that died is taken again after this long (longer than any send may last).
CLAIM_TIMEOUT = datetime.timedelta(minutes=10)
SUBJECT_MAX_LENGTH = Notification._meta.get_field("subject").max_length


class TemporaryDeliveryError(Exception):
    """The channel could not send now (server down, timeout): try again later."""


class PermanentDeliveryError(Exception):
    """The channel refused this message for good (invalid address…): do not try again."""


def address_for(recipient, channel):
    """The recipient's address on this channel, or "" when they have none."""
    if recipient.anonymised_at:
        return ""
    if channel == Channel.EMAIL:
        return recipient.real_email or ""  # never a placeholder (.invalid) address
    if channel == Channel.SMS:
        return recipient.phone.as_e164 if recipient.phone and recipient.phone.is_valid() else ""
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
    if preferred not in Channel.values:
        preferred = Channel.EMAIL
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


def default_texts(key):
    kind = get_kind(key)
    return {name: getattr(kind, name) for name in ("subject", "body", "sms_text", "letter_text")}


def absolute_link(organisation, link):
    """A link to a page of the collectivité, absolute (an e-mail, an SMS or a letter cannot use « /compte/ »)."""
    if link and link.startswith("/") and not link.startswith("//"):
        return organisation_url(organisation, link, scheme="https" if settings.PRODUCTION else "http")
    return link


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
        "lien": absolute_link(organisation, link),
        **(context or {}),
    }


def render_message(organisation, recipient, key, context=None, link=""):
    """The four texts of the message; when the collectivité's wording cannot be rendered (it was checked when
    saved, but a caller may lack a variable), the default wording is used and the problem logged."""
    variables = message_context(organisation, recipient, context, link)
    try:
        return render_texts(template_texts(organisation, key), variables)
    except TemplateProblem as problem:
        logger.error("Template %s of %s cannot be rendered (%s): default wording used", key, organisation.slug,
                     problem.message)
        return render_texts(default_texts(key), variables)


def notify(recipient, key, context=None, *, link="", channel=None):
    """Tell `recipient` (a citizen or an agent) something: record the notification and queue its delivery;
    returns the Notification.

    `channel` forces a channel instead of the recipient's preference (the fallback still applies). Everything
    is written in the caller's transaction: if it rolls back, nothing is recorded and nothing is sent.
    """
    organisation = recipient.organisation
    texts = render_message(organisation, recipient, key, context, link)
    subject = texts.subject
    if len(subject) > SUBJECT_MAX_LENGTH:
        subject = subject[: SUBJECT_MAX_LENGTH - 1].rstrip() + "…"
    with transaction.atomic():
        notification = Notification.objects.create(
            organisation=organisation, recipient=recipient, key=key, subject=subject, body=texts.body, link=link,
        )
        chosen, address, skipped = choose_channel(recipient, channel)
        if chosen is None:
            logger.warning(
                "Notification %s (%s) to user %s of %s: no e-mail, phone or postal address, nothing sent",
                notification.pk, key, recipient.pk, organisation.slug,
            )
            return notification
        content = {Channel.SMS: texts.sms_text, Channel.LETTER: texts.letter_text}.get(chosen, "")
        delivery = Delivery.objects.create(
            organisation=organisation, notification=notification, channel=chosen, address=address, content=content
        )
        if skipped:
            _event(delivery, DeliveryEvent.Kind.FALLBACK, _("Pas d'adresse pour : %(channels)s ; envoi par %(channel)s.") % {
                "channels": ", ".join(str(Channel(c).label) for c in skipped),
                "channel": Channel(chosen).label,
            })
            logger.info("Delivery %s: %s unreachable on %s, sent by %s", delivery.pk, recipient.pk,
                        ", ".join(skipped), chosen)
        _event(delivery, DeliveryEvent.Kind.QUEUED)
        deliver.enqueue(delivery.pk)
    return notification


def _event(delivery, kind, detail=""):
    DeliveryEvent.objects.create(organisation_id=delivery.organisation_id, delivery=delivery, kind=kind, detail=detail)


def claim(delivery_id):
    """Take the delivery for sending, unless it is already done or being sent by a live worker.

    One UPDATE … WHERE decides, so two workers running the same job cannot both take it; the try is counted
    at once, so a worker that dies while sending still leaves the try in the log.
    """
    now = timezone.now()
    claimable = Q(status__in=[Delivery.Status.QUEUED, Delivery.Status.RETRYING]) | Q(
        status=Delivery.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    )
    in_batch = Q(channel=Channel.LETTER, status=Delivery.Status.QUEUED) & ~Q(provider_id="")
    taken = Delivery.objects.filter(claimable, pk=delivery_id).exclude(in_batch).update(
        status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return Delivery.objects.select_related("notification__recipient", "organisation").get(pk=delivery_id)


def send_on_channel(delivery):
    """Hand the delivery to its channel; returns (provider_id, result text)."""
    from . import channels

    return channels.SENDERS[delivery.channel](delivery)


def _describe(error):
    return str(error) or error.__class__.__name__


@durable_task
def deliver(delivery_id):
    """Background job: send one delivery; a temporary failure is tried again with back-off."""
    delivery = claim(delivery_id)
    if delivery is None:
        if Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).exists():
            # Another worker took it and may have died: try again once its claim has expired.
            raise TemporaryDeliveryError("envoi en cours par un autre processus")
        return "déjà traité"
    try:
        provider_id, result = send_on_channel(delivery)
    except PermanentDeliveryError as error:
        record_failed(delivery, _describe(error))
        return "échec"
    except Exception as error:
        if delivery.attempts >= settings.GUICHET_TASK_MAX_ATTEMPTS:
            record_failed(delivery, _describe(error))
            return "échec"
        _record_attempt_failed(delivery, _describe(error))
        raise TemporaryDeliveryError(_describe(error)) from error
    if delivery.channel == Channel.LETTER:
        record_in_batch(delivery, provider_id, result)
    else:
        record_sent(delivery, provider_id, result)
    return "envoyé"


def _update_if_sending(delivery, **values):
    """Write the outcome of a send only while the delivery is still ours (SENDING): a bounce or a receipt
    that arrived first is not overwritten. Returns True when written."""
    updated = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(**values)
    if updated:
        for name, value in values.items():
            setattr(delivery, name, value)
    return bool(updated)


def _record_attempt_failed(delivery, error):
    with transaction.atomic():
        written = _update_if_sending(
            delivery, status=Delivery.Status.RETRYING, last_error=error,
            next_attempt_at=timezone.now() + backoff_delay(delivery.attempts),
        )
        if written:
            _event(delivery, DeliveryEvent.Kind.ATTEMPT_FAILED, _("Essai %(n)s : %(error)s") % {
                "n": delivery.attempts, "error": error})


def record_sent(delivery, provider_id="", result=""):
    with transaction.atomic():
        if _update_if_sending(
            delivery, status=Delivery.Status.SENT, sent_at=timezone.now(), provider_id=provider_id or delivery.provider_id,
            result=result, last_error="", next_attempt_at=None,
        ):
            _event(delivery, DeliveryEvent.Kind.SENT, result)


def record_in_batch(delivery, provider_id="", result=""):
    """A letter put in the day's batch: it stays queued until an agent marks the batch as posted."""
    with transaction.atomic():
        if _update_if_sending(
            delivery, status=Delivery.Status.QUEUED, claimed_at=None, provider_id=provider_id, result=result,
            last_error="", next_attempt_at=None,
        ):
            _event(delivery, DeliveryEvent.Kind.QUEUED, result)


def record_posted(delivery):
    """The letter was posted by the mail room: for a letter, this is « sent »."""
    with transaction.atomic():
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["status", "sent_at"])
        _event(delivery, DeliveryEvent.Kind.POSTED)


def record_failed(delivery, error):
    with transaction.atomic():
        if _update_if_sending(
            delivery, status=Delivery.Status.FAILED, last_error=error, finished_at=timezone.now(), next_attempt_at=None,
        ):
            _event(delivery, DeliveryEvent.Kind.FAILED, error)


def retry_delivery(delivery):
    """An agent sends a failed (or bounced) delivery again, from the delivery log; False when it is not failed.

    The address is taken again from the recipient's account, so a corrected address is used.
    """
    with transaction.atomic():
        current = Delivery.objects.select_for_update().select_related("notification__recipient").filter(
            pk=delivery.pk, status__in=[Delivery.Status.FAILED, Delivery.Status.BOUNCED]
        ).first()
        if current is None:
            return False
        address = address_for(current.notification.recipient, current.channel) or current.address
        Delivery.objects.filter(pk=current.pk).update(
            status=Delivery.Status.QUEUED, attempts=0, last_error="", finished_at=None, claimed_at=None,
            next_attempt_at=None, provider_id="", address=address,
        )
        detail = ""
        if address != current.address:
            detail = _("Nouvelle adresse : %(address)s") % {"address": address}
        _event(current, DeliveryEvent.Kind.RETRIED, detail)
        deliver.enqueue(current.pk)
    delivery.refresh_from_db()
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
    if not provider_id:
        return False
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


def requeue_stuck_deliveries(now=None):
    """Queue again the deliveries a dead worker left behind; returns how many.

    - SENDING for longer than CLAIM_TIMEOUT: the worker died while sending (the try is logged as failed);
    - RETRYING whose next try is overdue by more than CLAIM_TIMEOUT: its retry job was lost.
    Each is moved to RETRYING (due now) in the same transaction as its new job, so it is queued once.
    """
    now = now or timezone.now()
    stuck = Delivery.objects.filter(
        Q(status=Delivery.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
        | Q(status=Delivery.Status.RETRYING, next_attempt_at__lt=now - CLAIM_TIMEOUT)
    )
    count = 0
    for pk in stuck.values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            delivery = Delivery.objects.select_for_update().filter(pk=pk).first()
            if delivery is None:
                continue
            was_sending = delivery.status == Delivery.Status.SENDING
            if not (
                (was_sending and delivery.claimed_at and delivery.claimed_at < now - CLAIM_TIMEOUT)
                or (delivery.status == Delivery.Status.RETRYING and delivery.next_attempt_at
                    and delivery.next_attempt_at < now - CLAIM_TIMEOUT)
            ):
                continue
            Delivery.objects.filter(pk=pk).update(status=Delivery.Status.RETRYING, next_attempt_at=now)
            _event(delivery, DeliveryEvent.Kind.ATTEMPT_FAILED, _(
                "Envoi interrompu (le processus d'envoi s'est arrêté) ; nouvel essai."
            ) if was_sending else _("Nouvel essai remis en file."))
            deliver.enqueue(pk)
            count += 1
    if count:
        logger.warning("%s stuck deliveries queued again", count)
    return count


def mark_read(notification):
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())


# --- Pages: « Mes notifications » and the message-template editor ----------------------------------


def notifications_of(user):
    """The notifications addressed to `user` in their collectivité, newest first."""
    return Notification.objects.filter(organisation_id=user.organisation_id, recipient=user)


def unread_count(user):
    """How many of `user`'s notifications are unread (one COUNT query)."""
    return notifications_of(user).filter(read_at__isnull=True).count()


def mark_all_read(user):
    """Mark every unread notification of `user` as read; returns how many were unread."""
    return notifications_of(user).filter(read_at__isnull=True).update(read_at=timezone.now())


class TemplateRefused(Exception):
    """Texts that cannot be saved: `problems` is {field: French message} (see `rendering.check_texts`)."""

    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems


def save_template(organisation, key, texts, user=None):
    """Save the collectivité's wording of this kind of message; refused (nothing saved) when a text is wrong."""
    from .rendering import FIELDS, check_texts

    get_kind(key)  # an unknown kind is a KeyError, never a template
    texts = {name: texts[name] for name in FIELDS}
    problems = check_texts(key, texts)
    if problems:
        raise TemplateRefused(problems)
    template, _created = MessageTemplate.objects.update_or_create(
        organisation=organisation, key=key, defaults={**texts, "updated_by": user},
    )
    return template


def reset_template(organisation, key):
    """Go back to the default wording of this kind of message; True when there was a custom one."""
    deleted, _details = MessageTemplate.objects.of(organisation).filter(key=key).delete()
    return deleted > 0
