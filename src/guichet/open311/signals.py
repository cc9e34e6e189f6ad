"""An anonymised request keeps nothing personal here either: its Open311 record is blanked at the same time
(workflows.services.anonymise saves the request with `anonymised_at`)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from guichet.service_requests.models import ServiceRequest

from .models import Open311Request


@receiver(post_save, sender=ServiceRequest)
def blank_anonymised(sender, instance, update_fields=None, **kwargs):
    if instance.anonymised_at is None or (update_fields is not None and "anonymised_at" not in update_fields):
        return
    Open311Request.objects.filter(request_id=instance.pk).update(
        device_id="", account_id="", media_url="", address_id="", description="")
