"""A citizen who deletes their account takes their documents with them."""

from django.db import transaction
from django.dispatch import receiver

from guichet.accounts.signals import citizen_erased

from .models import CitizenDocument


@receiver(citizen_erased)
def erase_documents(sender, user, **kwargs):
    documents = list(CitizenDocument.objects.filter(citizen=user))
    names = [(document.file.storage, document.file.name) for document in documents if document.file.name]
    CitizenDocument.objects.filter(pk__in=[document.pk for document in documents]).delete()
    for storage, name in names:
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
