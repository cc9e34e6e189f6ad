"""Exports of a queue or a search result to CSV, ODS or XLSX, written by the worker.

    export = create_export(agent, organisation, source="queue", params="status=recue", format="xlsx")

`create_export` checks the request (format, source, how many exports are already waiting), records the Export
and enqueues its job in the same transaction. The job (`tasks.write_export` → `write_export`) runs the SAME
entry point as the page the agent exported from — `queues.services.queue_requests` or
`search.services.search_requests` — with the requesting agent, so the permissions are those of the moment the
file is written; it writes the file by batches, records its progress after each one, and can be run again
from scratch (a worker that died half-way leaves nothing behind that a re-run does not replace).
"""

import datetime
import logging
import os
import tempfile

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.service_requests.models import ServiceRequest
from guichet.service_requests.storage import private_name

from .columns import HEADERS, RowBuilder
from .formats import BY_CODE
from .models import Export
from .writers import writer_for

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_ACTIVE_EXPORTS = 3
KEEP_DAYS = 7
MAX_PARAMS_LENGTH = 2000
SEARCH_PARAM = "q"


class ExportRefused(ValidationError):
    """The export cannot be made; the message says why, in French."""


def create_export(user, organisation, *, source, params, format):
    """Record an export for `user` and enqueue its job (same transaction) → the Export.

    `params` is the querystring of the exported page (a QueryDict, a dict or a string). ExportRefused with a
    French message for an unknown format or source, a querystring too long, or too many exports waiting."""
    if format not in BY_CODE:
        raise ExportRefused(_("Ce format d'export n'existe pas : choisissez CSV, ODS ou XLSX."))
    if source not in Export.Source.values:
        raise ExportRefused(_("Cette liste ne peut pas être exportée : exportez une file de demandes ou un "
                              "résultat de recherche."))
    querystring = params if isinstance(params, str) else _querystring(params)
    if len(querystring) > MAX_PARAMS_LENGTH:
        raise ExportRefused(_("Les filtres de cette liste sont trop longs pour être exportés."))
    if source == Export.Source.SEARCH and not QueryDict(querystring).get(SEARCH_PARAM, "").strip():
        raise ExportRefused(_("Saisissez d'abord les mots à rechercher, puis exportez le résultat."))
    if source == Export.Source.QUEUE:
        from guichet.queues.services import queue_requests

        form, _requests = queue_requests(user, organisation, QueryDict(querystring))
        if not form.is_valid():
            raise ExportRefused(_("Les filtres de cette liste ne sont pas valides : corrigez-les sur la page de la "
                                  "file, puis exportez-la."))
    from .tasks import write_export_job

    with transaction.atomic():
        # The requester's row is locked so that two clicks at once cannot both pass the limit.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        active = Export.objects.of(organisation).filter(
            requested_by=user, state__in=[Export.State.PENDING, Export.State.RUNNING]
        ).count()
        if active >= MAX_ACTIVE_EXPORTS:
            raise ExportRefused(
                _("Vous avez déjà %(count)s exports en cours : attendez qu'ils soient terminés avant d'en "
                  "demander un autre.") % {"count": active}
            )
        export = Export.objects.create(
            organisation=organisation, requested_by=user, source=source, params=querystring, format=format
        )
        write_export_job.enqueue(export.pk)
    return export


def _querystring(params):
    from .templatetags.exports_tags import querystring_of

    return querystring_of(params)


def exports_visible_to(user, organisation):
    """The exports `user` may see: their own; an org administrator sees every export of the collectivité."""
    from guichet.agents.permissions import is_org_admin

    exports = Export.objects.of(organisation).select_related("requested_by")
    if not is_org_admin(user):
        exports = exports.filter(requested_by=user)
    return exports


def export_name(export):
    """What the export is called in lists and in the « export prêt » message."""
    if export.source == Export.Source.SEARCH:
        words = QueryDict(export.params).get(SEARCH_PARAM, "")
        return _("Recherche « %(words)s »") % {"words": words}
    return _("File de demandes")


def download_name(export):
    """File name offered to the browser: demandes-<date>-<id>.<ext>."""
    extension = BY_CODE[export.format].extension
    return f"demandes-{timezone.localtime(export.created_at):%Y%m%d-%H%M}-{export.pk}.{extension}"


def requests_of(export, user):
    """The queryset of requests the export contains, computed now with `user`'s permissions."""
    params = QueryDict(export.params)
    if export.source == Export.Source.SEARCH:
        from guichet.search.services import search_requests

        return search_requests(user, export.organisation, params.get(SEARCH_PARAM, ""))
    from guichet.queues.services import queue_requests

    _form, requests = queue_requests(user, export.organisation, params)
    return requests


def requester_as_verified(export):
    """The requesting agent, as the job acts for them: still an active agent of the collectivité, or None.

    The export was asked for in a session that passed the second factor (the create view requires it); the job
    has no session, so the agent counts as verified for the permission checks of this export only."""
    user = export.requested_by
    if not (user.is_active and user.is_agent and user.organisation_id == export.organisation_id):
        return None
    user.is_verified = lambda: True
    return user


def write_export(export_id):
    """Write the file of an export, by batches (the job's body). Running it again starts over."""
    export = Export.objects.select_related("organisation", "requested_by").filter(pk=export_id).first()
    if export is None or export.state == Export.State.DONE:
        return "nothing to do"
    previous_file = export.file.name
    user = requester_as_verified(export)
    now = timezone.now()
    Export.objects.filter(pk=export.pk).update(
        state=Export.State.RUNNING, rows_done=0, rows_total=None, started_at=now, error="", file=""
    )
    if previous_file:
        export.file.storage.delete(previous_file)
    if user is None:
        _fail(export, _("Le demandeur de cet export n'est plus agent de la collectivité."))
        return "requester gone"
    requests = requests_of(export, user)
    total = requests.count()
    Export.objects.filter(pk=export.pk).update(rows_total=total)
    spec = BY_CODE[export.format]
    builder = RowBuilder(export.organisation)
    handle, temporary = tempfile.mkstemp(suffix=f".{spec.extension}")
    os.close(handle)
    try:
        done = 0
        with writer_for(spec.code, temporary, sheet_title=_("Demandes")) as writer:
            writer.write_header(HEADERS)
            for batch in batches(requests, export.organisation):
                writer.write_rows(builder.rows(batch))
                done += len(batch)
                Export.objects.filter(pk=export.pk).update(rows_done=done)
        name = private_name(export.organisation_id, "exports", spec.extension)
        with transaction.atomic():
            with open(temporary, "rb") as content:
                stored = export.file.storage.save(name, File(content))
            updated = Export.objects.filter(pk=export.pk, state=Export.State.RUNNING).update(
                state=Export.State.DONE, file=stored, rows_done=done, rows_total=done, finished_at=timezone.now()
            )
            if updated:
                export.rows_done = done
                _notify_ready(export)
            else:  # deleted or finished meanwhile: keep nothing behind
                transaction.on_commit(lambda: export.file.storage.delete(stored))
    finally:
        os.remove(temporary)
    logger.info("Export %s (%s, %s) of %s: %s rows written.", export.pk, export.source, export.format,
                export.organisation.slug, done)
    return f"{done} rows"


def batches(requests, organisation, size=BATCH_SIZE):
    """The requests of the queryset, in its order, by lists of `size`: the ordered primary keys are read once
    through a cursor (`iterator`, one integer a row, never the whole result in memory) and each batch of rows is
    loaded by one query with what the columns need."""
    ids = requests.values_list("pk", flat=True)
    if not requests.ordered:
        ids = ids.order_by("pk")
    chunk = []
    for pk in ids.iterator(chunk_size=size * 4):
        chunk.append(pk)
        if len(chunk) == size:
            yield _rows_for(organisation, chunk)
            chunk = []
    if chunk:
        yield _rows_for(organisation, chunk)


def _rows_for(organisation, ids):
    by_pk = {row.pk: row for row in RowBuilder.read(ServiceRequest.objects.of(organisation).filter(pk__in=ids))}
    return [by_pk[pk] for pk in ids if pk in by_pk]


def _fail(export, message):
    Export.objects.filter(pk=export.pk).update(state=Export.State.FAILED, error=message, finished_at=timezone.now())


def mark_failed(export_id, error):
    """Record that the last try of an export's job failed (the page then says so instead of waiting)."""
    Export.objects.filter(pk=export_id).exclude(state=Export.State.DONE).update(
        state=Export.State.FAILED, error=_("L'export n'a pas pu être produit : %(error)s") % {"error": error},
        finished_at=timezone.now(),
    )


def _notify_ready(export):
    from guichet.notifications.services import notify

    link = reverse("exports:detail", args=[export.pk])
    notify(export.requested_by, "export.ready", {"export": {"nom": export_name(export), "lignes": export.rows_done}},
           link=link)


def delete_old_exports(days=KEEP_DAYS, now=None):
    """Delete the exports (rows and files) older than `days` days → how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    old = Export.objects.filter(created_at__lt=cutoff)
    deleted = 0
    for export in old.iterator():
        name = export.file.name
        with transaction.atomic():
            export.delete()
            if name:
                transaction.on_commit(lambda name=name: export.file.storage.delete(name))
        deleted += 1
    return deleted
