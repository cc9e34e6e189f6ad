"""Business rules of postal letters: batching, download (closes the batch), posting."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.notifications.models import Delivery
from guichet.notifications.services import record_posted

from .models import Letter, LetterBatch


class BatchStateError(Exception):
    """The batch is not in a state that allows this action (message in French, for the agent)."""


def add_to_batch(delivery):
    """Put a letter delivery in its collectivité's open batch of today (created if needed); returns the Letter.

    Idempotent: the delivery job may run twice (worker killed after adding the letter), so a delivery that
    already has its letter gets the same one back. A batch already downloaded is closed: the letter goes into a
    new open batch of the same day, never into a batch that was printed already.
    """
    for _try in range(3):
        try:
            with transaction.atomic():
                existing = Letter.objects.select_related("batch").filter(delivery_id=delivery.pk).first()
                if existing is not None:
                    return existing
                batch = _open_batch_of_today(delivery.organisation_id)
                return Letter.objects.create(organisation_id=delivery.organisation_id, batch=batch, delivery=delivery)
        except IntegrityError:
            # Another worker added this delivery's letter, or opened today's batch, at the same moment:
            # look again.
            continue
    raise RuntimeError("add_to_batch: concurrent updates did not settle")


def _open_batch_of_today(organisation_id):
    """Today's open batch, locked until the letter is in it (a download cannot close it meanwhile)."""
    today = timezone.localdate()
    batch = (
        LetterBatch.objects.select_for_update()
        .filter(organisation_id=organisation_id, date=today, status=LetterBatch.Status.OPEN)
        .first()
    )
    if batch is None:
        batch = LetterBatch.objects.create(organisation_id=organisation_id, date=today)
    return batch


def close_for_download(batch, user):
    """The first download closes the batch to new letters; later downloads change nothing.

    Returns True when this call closed it. The letters of a closed batch never change, so every download
    prints the same letters.
    """
    with transaction.atomic():
        closed = LetterBatch.objects.filter(pk=batch.pk, status=LetterBatch.Status.OPEN).update(
            status=LetterBatch.Status.DOWNLOADED, downloaded_at=timezone.now(), downloaded_by=user
        )
    batch.refresh_from_db()
    return bool(closed)


def mark_posted(batch, user):
    """The printed letters were handed to the post office: each letter's delivery becomes « sent ».

    Raises BatchStateError when the batch was not downloaded yet (nothing is changed) and when it was
    already marked as posted (harmless: nothing happens twice).
    """
    with transaction.atomic():
        locked = LetterBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status == LetterBatch.Status.OPEN:
            raise BatchStateError(
                _("Ce lot n'a pas encore été téléchargé : téléchargez et imprimez ses courriers avant de le "
                  "marquer comme posté.")
            )
        if locked.status == LetterBatch.Status.POSTED:
            raise BatchStateError(_("Ce lot a déjà été marqué comme posté."))
        deliveries = (
            Delivery.objects.select_for_update()
            .filter(letter__batch=locked)
            .exclude(status__in=[Delivery.Status.SENT, Delivery.Status.DELIVERED])
            .order_by("pk")
        )
        for delivery in deliveries:
            record_posted(delivery)
        locked.status = LetterBatch.Status.POSTED
        locked.posted_at = timezone.now()
        locked.posted_by = user
        locked.save(update_fields=["status", "posted_at", "posted_by"])
    batch.refresh_from_db()
    return batch
