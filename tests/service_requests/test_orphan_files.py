"""Files left behind by a rolled-back upload are deleted at night; files in use and fresh uploads are kept."""

import os
import time

from django.core.files.base import ContentFile

from guichet.background.scheduler import registry
from guichet.service_requests.storage import delete_orphan_files, private_storage
from tests.documents.builders import request_with_attachment


def test_old_orphans_go_files_in_use_and_fresh_ones_stay(organisation, service, citizen):
    _request, attachment = request_with_attachment(organisation, service, citizen)
    in_use = attachment.file.name
    old_orphan = private_storage.save(f"{organisation.pk}/pieces/ab/orphelin.pdf", ContentFile(b"%PDF-1.4 old"))
    fresh_orphan = private_storage.save(f"{organisation.pk}/pieces/ab/en-cours.pdf", ContentFile(b"%PDF-1.4 new"))
    two_days_ago = time.time() - 48 * 3600
    for name in (in_use, old_orphan):
        os.utime(private_storage.path(name), (two_days_ago, two_days_ago))

    assert delete_orphan_files() == 1

    assert not private_storage.exists(old_orphan)
    assert private_storage.exists(in_use) and private_storage.exists(fresh_orphan)


def test_the_clean_up_runs_every_night():
    from guichet.service_requests import tasks  # the workers import every app's tasks module

    job = registry.jobs[tasks.delete_orphan_files.module_path]
    assert job.daily_at.hour == 4
