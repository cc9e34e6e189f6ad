"""A request anonymised (retention over, or its citizen deleted their account: `workflows.services.anonymise`)
loses the citizen's words here too: comments, reopening reasons and the service's answers to them are blanked
and the links to the people cleared, in the same transaction. Scores and dates stay for the statistics."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from guichet.service_requests.models import RequestEvent

from .models import Rating, ReopenRequest


@receiver(post_save, sender=RequestEvent, dispatch_uid="satisfaction-anonymise")
def erase_after_anonymisation(sender, instance, created, raw=False, **kwargs):
    if not created or raw or instance.kind != RequestEvent.Kind.ANONYMISED:
        return
    Rating.objects.filter(request_id=instance.request_id).update(comment="", author=None)
    ReopenRequest.objects.filter(request_id=instance.request_id).update(
        reason="", decision_text="", requested_by=None, decided_by=None)
