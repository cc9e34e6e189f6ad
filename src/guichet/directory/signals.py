"""Keep the directory's search texts up to date when what a linked entry shows changes elsewhere: an agent's
account (name, e-mail, job title, extension), a service (name, e-mail, phone, description), an agent's services.

An agent account deleted: its entry keeps the name, job title and extension it showed, and is deactivated (the
administrator decides whether it stays). A service deleted: the entries that named it are brought up to date."""

from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from guichet.accounts.models import User
from guichet.agents.models import Membership, Service

from .models import DirectoryEntry
from .services import refresh_entries

USER_FIELDS = frozenset({"first_name", "last_name", "email", "job_title", "phone_extension"})


@receiver(post_save, sender=User, dispatch_uid="directory-agent-changed")
def agent_changed(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if created or raw or instance.kind != User.Kind.AGENT:
        return
    if update_fields is not None and not USER_FIELDS.intersection(update_fields):
        return  # e.g. the last login date
    refresh_entries(DirectoryEntry.objects.filter(user=instance))


@receiver(post_save, sender=Service, dispatch_uid="directory-service-changed")
def service_changed(sender, instance, created, raw=False, **kwargs):
    if created or raw:
        return
    members = Membership.objects.filter(service=instance).values("user_id")
    refresh_entries(DirectoryEntry.objects.of(instance.organisation).filter(
        Q(service=instance) | Q(user__in=members)))


@receiver(post_save, sender=Membership, dispatch_uid="directory-membership-saved")
@receiver(post_delete, sender=Membership, dispatch_uid="directory-membership-deleted")
def membership_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    refresh_entries(DirectoryEntry.objects.filter(user_id=instance.user_id))


@receiver(pre_delete, sender=User, dispatch_uid="directory-agent-deleted")
def agent_deleted(sender, instance, **kwargs):
    if instance.kind != User.Kind.AGENT:
        return
    for entry in DirectoryEntry.objects.filter(user=instance):
        entry.first_name, entry.last_name = instance.first_name, instance.last_name
        entry.job_title = instance.job_title or entry.job_title
        entry.phone_extension = instance.phone_extension or entry.phone_extension
        entry.user, entry.is_active = None, False
        entry.save()


@receiver(pre_delete, sender=Service, dispatch_uid="directory-service-deleting")
def service_deleting(sender, instance, **kwargs):
    members = Membership.objects.filter(service=instance).values("user_id")
    instance._directory_entries = list(DirectoryEntry.objects.filter(
        Q(service=instance) | Q(user__in=members)).values_list("pk", flat=True))


@receiver(post_delete, sender=Service, dispatch_uid="directory-service-deleted")
def service_deleted(sender, instance, **kwargs):
    ids = getattr(instance, "_directory_entries", None)
    if ids:
        refresh_entries(DirectoryEntry.objects.filter(pk__in=ids))
