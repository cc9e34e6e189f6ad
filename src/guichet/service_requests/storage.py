"""Private storage of uploaded files: under MEDIA_ROOT/private, never reachable by a public URL.

Files are only ever served by views that check who is asking (`guichet.service_requests.files`). Their names
are unguessable: `<collectivité id>/<kind>/<2 hex>/<32 hex uuid>.<ext>`, so neither the original file name nor a
sequence number shows through, and the files of a collectivité sit under their own folder.
"""

import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property

PRIVATE_FOLDER = "private"


@deconstructible(path="guichet.service_requests.storage.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """FileSystemStorage at MEDIA_ROOT/private (follows MEDIA_ROOT when tests change it) without any URL."""

    def __init__(self):
        super().__init__(location=None, base_url=None)

    @cached_property
    def base_location(self):
        return os.path.join(settings.MEDIA_ROOT, PRIVATE_FOLDER)

    def url(self, name):
        raise ValueError("Les fichiers privés ne sont jamais servis par une adresse publique.")


private_storage = PrivateStorage()


def get_private_storage():
    """Callable for `FileField(storage=get_private_storage)`: migrations then refer to this function."""
    return private_storage


def private_name(organisation_id, kind, extension):
    """A new unguessable name for a file of this collectivité (`kind`: "attachments", "documents"…)."""
    token = uuid.uuid4().hex
    extension = extension.lower().lstrip(".")
    suffix = f".{extension}" if extension else ""
    return f"{int(organisation_id)}/{kind}/{token[:2]}/{token}{suffix}"


def referenced_files():
    """Names of the private files that some row still points to (attachments, citizens' documents…)."""
    from django.apps import apps
    from django.db.models import FileField

    names = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, FileField) and field.storage is private_storage:
                names.update(model._default_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True))
    return names


def delete_orphan_files(older_than_hours=24):
    """Delete private files no row points to any more (an upload whose transaction rolled back, a crash between
    a row's deletion and its file's). Only files older than `older_than_hours` go: a file being uploaded right
    now has no committed row yet. Returns how many were deleted."""
    import time

    root = private_storage.base_location
    if not os.path.isdir(root):
        return 0
    cutoff = time.time() - older_than_hours * 3600
    referenced = referenced_files()
    deleted = 0
    for folder, _subfolders, files in os.walk(root):
        for filename in files:
            path = os.path.join(folder, filename)
            name = os.path.relpath(path, root).replace(os.sep, "/")
            if name not in referenced and os.path.getmtime(path) < cutoff:
                os.remove(path)
                deleted += 1
    return deleted
