"""Keep the search index up to date in the same transaction as what changes it.

- a timeline event that changes what a request says or who it is from: submission (the request has just been
  saved with its answers and place), messages both ways, the written answer, complements asked and given, merge,
  anonymisation (which `accounts.services.erase_citizen` triggers for every request of a deleted account, through
  `citizen_erased` → `workflows.services.anonymise`);
- a citizen whose name, e-mail address or phone number changes: their submitted requests.

Rows written in bulk without signals (fixtures, the bench) are indexed by `manage.py reindex_requests`.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from guichet.accounts.models import User
from guichet.service_requests.models import RequestEvent, ServiceRequest

from .services import reindex_ids, reindex_request

INDEXED_EVENT_KINDS = frozenset({
    RequestEvent.Kind.SUBMITTED, RequestEvent.Kind.MESSAGE_CITIZEN, RequestEvent.Kind.MESSAGE_AGENT,
    RequestEvent.Kind.ANSWER, RequestEvent.Kind.INFORMATION_REQUESTED, RequestEvent.Kind.INFORMATION_ANSWERED,
    RequestEvent.Kind.MERGED, RequestEvent.Kind.ANONYMISED, RequestEvent.Kind.MAIL_RECEIVED,
})
CITIZEN_FIELDS = frozenset({"first_name", "last_name", "email", "phone"})


@receiver(post_save, sender=RequestEvent, dispatch_uid="search-index-event")
def index_after_event(sender, instance, created, raw=False, **kwargs):
    if created and not raw and instance.kind in INDEXED_EVENT_KINDS:
        reindex_request(instance.request_id)


@receiver(post_save, sender=User, dispatch_uid="search-index-citizen")
def index_after_citizen_change(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if created or raw or instance.kind != User.Kind.CITIZEN:
        return
    if update_fields is not None and not CITIZEN_FIELDS.intersection(update_fields):
        return  # e.g. the last login date
    reindex_ids(
        ServiceRequest.objects.filter(citizen=instance, state=ServiceRequest.State.SUBMITTED)
        .values_list("pk", flat=True)
    )
