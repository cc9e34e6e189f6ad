"""Business rules of workflows outside the engine: saving definitions, which procedures use a workflow,
JSON export/import, and the erasure of personal data after the retention period."""

import json

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import ScheduledAnonymisation, Workflow
from .validation import Problem, validate_workflow

EXPORT_FORMAT = "guichet-workflow/1"
MAX_IMPORT_BYTES = 1024 * 1024


def procedures_using(workflow):
    """The procedures of the collectivité that use this workflow."""
    from guichet.procedures.models import Procedure

    return Procedure.objects.of(workflow.organisation).filter(workflow=workflow).order_by("title")


def save_definition(workflow, definition, user):
    """Store a new definition (valid or not: an invalid one is a draft that cannot be published)."""
    workflow.definition = definition
    workflow.updated_by = user
    workflow.save(update_fields=["definition", "updated_by", "updated_at"])
    return validate_workflow(definition)


def unique_slug(organisation, name, exclude=None):
    base = slugify(name)[:70] or "circuit"
    slug, n = base, 2
    existing = Workflow.objects.of(organisation)
    if exclude is not None:
        existing = existing.exclude(pk=exclude.pk)
    while existing.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def export_json(workflow):
    return json.dumps({"format": EXPORT_FORMAT, "name": workflow.name, "description": workflow.description,
                       "definition": workflow.definition}, ensure_ascii=False, indent=2)


def parse_import(raw):
    """(name, description, definition, problems) from an uploaded JSON file; `problems` lists every problem with
    its location (the definition's own locations are prefixed with « definition. »)."""
    if len(raw) > MAX_IMPORT_BYTES:
        return None, "", None, [Problem("", _("Le fichier est trop gros (1 Mo au plus)."))]
    try:
        data = json.loads(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
    except UnicodeDecodeError:
        return None, "", None, [Problem("", _("Le fichier n'est pas un texte UTF-8."))]
    except json.JSONDecodeError as error:
        return None, "", None, [Problem("", _("Le fichier n'est pas du JSON valide (ligne %(line)s, colonne %(col)s).") % {
            "line": error.lineno, "col": error.colno})]
    if not isinstance(data, dict):
        return None, "", None, [Problem("", _("Le fichier doit contenir un objet JSON."))]
    problems = []
    if "definition" in data:
        if data.get("format") not in (None, EXPORT_FORMAT):
            problems.append(Problem("format", _("Format inconnu : « %(format)s » (attendu : %(expected)s).") % {
                "format": data.get("format"), "expected": EXPORT_FORMAT}))
        definition = data["definition"]
        name = data.get("name")
        prefix = "definition."
    else:
        definition, name, prefix = data, None, ""
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 200):
        problems.append(Problem("name", _("Le nom du circuit doit être un texte de 1 à 200 caractères.")))
        name = None
    description = data.get("description") if isinstance(data.get("description"), str) else ""
    problems += [Problem(prefix + p.location if p.location else prefix.rstrip("."), p.message)
                 for p in validate_workflow(definition)]
    return name, description, definition, problems


def anonymise(request, actor=None, reason=None):
    """Erase the personal data of a request, keeping what statistics need (procedure, service, statuses,
    dates, district): the citizen link, the answers, the contact fields, the address and point, the household
    members it concerned and the files go; the texts of the timeline
    (messages, notes, responses) are blanked; an `anonymised` event is recorded."""
    from guichet.service_requests.models import Attachment, RequestEvent, ServiceRequest
    from guichet.service_requests.services import add_event

    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        if locked.anonymised_at:
            return False
        attachments = list(Attachment.objects.filter(request=locked))
        names = [(attachment.file.storage, attachment.file.name) for attachment in attachments if attachment.file]
        Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
        RequestEvent.objects.filter(request=locked).exclude(kind="status_changed").update(text="", data={})
        if locked.citizen_id:  # the timeline no longer says who the citizen was (agents stay named)
            RequestEvent.objects.filter(request=locked, actor_id=locked.citizen_id).update(actor=None)
        locked.citizen = None
        locked.data = {}
        locked.contact_name = locked.contact_email = locked.contact_phone = ""
        locked.information_request = ""
        locked.address = locked.concerns = ""
        locked.latitude = locked.longitude = None
        locked.anonymised_at = timezone.now()
        locked.lock_version += 1
        locked.save(update_fields=["citizen", "data", "contact_name", "contact_email", "contact_phone",
                                   "information_request", "address", "concerns", "latitude", "longitude",
                                   "anonymised_at", "lock_version", "updated_at"])
        add_event(locked, "anonymised", actor=actor, text=reason or _(
            "Données personnelles effacées (durée de conservation écoulée)."))
        ScheduledAnonymisation.objects.filter(request=locked).delete()

        def delete_files():
            for storage, name in names:
                storage.delete(name)

        transaction.on_commit(delete_files)
    request.refresh_from_db()
    return True


def anonymise_due(today=None):
    """Anonymise the closed requests whose retention period is over; returns how many."""
    today = today or timezone.localdate()
    due = ScheduledAnonymisation.objects.filter(
        due_on__lte=today, request__closed_at__isnull=False, request__anonymised_at__isnull=True
    ).select_related("request")
    count = 0
    for scheduled in list(due[:5000]):
        if anonymise(scheduled.request):
            count += 1
    return count
