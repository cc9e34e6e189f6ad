"""Export and import of procedures as JSON files, so that collectivités can share them (mutualisation).

The format `guichet-procedure/1`::

    {"format": "guichet-procedure/1",
     "exported_at": "2026-05-04T10:00:00+02:00",            # optional, informative
     "procedure": {"title": "…", "slug": "…", "theme": "etat-civil", "short_description": "…",
                   "documents_needed": "one line per document" (or a list of strings),
                   "who_may_submit": "anyone|citizen|agents", "service": "<service slug suggestion>" or null,
                   "deadline_amount": 10 or null, "deadline_unit": "calendar_days|working_days",
                   "silence_means": "acceptance|refusal|none", "keywords": "a, b" (or a list of strings),
                   "open311": false, "inform_member_commune": false},
     "form": {"pages": [...]},                                # a form definition (see guichet.formdefs)
     "workflow": {"name": "…", "slug": "…" (optional), "description": "…" (optional),
                  "definition": {"initial": …, "statuses": [...]}}}   # a workflow definition (guichet.workflows)

Only `title`, `slug` and `short_description` are required in `procedure`; the other settings take their default.
Import checks everything first and reports EVERY problem with its location (a JSON path such as
`form.pages[1].fields[3].choices`), in French; on any problem it creates nothing.

The catalogue shipped with Guichet is `procedures/catalogue/<slug>.json`, files in this same format.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from guichet.agents.models import Service

from . import services
from .models import DeadlineUnit, Procedure, SilenceMeans, Theme, WhoMaySubmit
from .services import Problem

FORMAT = "guichet-procedure/1"
CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"
MAX_FILE_BYTES = 2 * 1024 * 1024
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ROOT_KEYS = {"format", "exported_at", "generator", "procedure", "form", "workflow"}
PROCEDURE_KEYS = {
    "title", "slug", "theme", "short_description", "documents_needed", "who_may_submit", "service",
    "deadline_amount", "deadline_unit", "silence_means", "keywords", "open311", "inform_member_commune",
}
WORKFLOW_KEYS = {"name", "slug", "description", "definition"}
MAX_DEADLINE = 3650


class ImportFailed(Exception):
    """The file cannot be imported; `problems` lists every problem with its location."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


@dataclass
class ImportResult:
    procedure: Procedure
    workflow_created: bool
    notices: list


# ---------------------------------------------------------------------------------------------------------------
# Export


def export_data(procedure, version=None):
    """The `guichet-procedure/1` document of the procedure's working copy (or of one of its versions)."""
    source = version or procedure
    if version is not None:
        form, workflow_definition, workflow_name = version.form, version.workflow, version.workflow_name
        workflow_slug = procedure.workflow.slug if procedure.workflow_id else slugify(workflow_name)
        workflow_description = ""
    elif procedure.workflow_id:
        form = procedure.draft_form
        workflow_definition, workflow_name = procedure.workflow.definition, procedure.workflow.name
        workflow_slug, workflow_description = procedure.workflow.slug, procedure.workflow.description
    else:
        form, workflow_definition, workflow_name, workflow_slug, workflow_description = (
            procedure.draft_form, None, "", "", ""
        )
    data = {
        "format": FORMAT,
        "exported_at": timezone.localtime().isoformat(timespec="seconds"),
        "procedure": {
            "title": source.title,
            "slug": procedure.slug,
            "theme": procedure.theme,
            "short_description": procedure.short_description,
            "documents_needed": procedure.documents_needed,
            "who_may_submit": source.who_may_submit,
            "service": source.service.slug if source.service_id else None,
            "deadline_amount": source.deadline_amount,
            "deadline_unit": source.deadline_unit,
            "silence_means": source.silence_means,
            "keywords": procedure.keywords,
            "open311": procedure.open311,
            "inform_member_commune": procedure.inform_member_commune,
        },
        "form": form,
    }
    if workflow_definition is not None:
        data["workflow"] = {
            "name": workflow_name, "slug": workflow_slug, "description": workflow_description,
            "definition": workflow_definition,
        }
    return data


def export_json(procedure, version=None):
    return json.dumps(export_data(procedure, version), ensure_ascii=False, indent=2) + "\n"


def export_filename(procedure, version=None):
    suffix = f"-v{version.number}" if version is not None else ""
    return f"demarche-{procedure.slug}{suffix}.json"


# ---------------------------------------------------------------------------------------------------------------
# Reading and checking a file


def parse(content):
    """Bytes or text of a file → (data, problems). A file that is not JSON gives one problem, with its line."""
    if isinstance(content, bytes):
        if len(content) > MAX_FILE_BYTES:
            return None, [Problem(_("fichier"), _("Le fichier dépasse 2 Mo : ce n'est pas un export de démarche."))]
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None, [Problem(_("fichier"), _("Le fichier n'est pas un texte encodé en UTF-8."))]
    try:
        return json.loads(content), []
    except json.JSONDecodeError as error:
        return None, [Problem(
            _("fichier"),
            _("Le fichier n'est pas un JSON valide (ligne %(line)s, colonne %(column)s).")
            % {"line": error.lineno, "column": error.colno},
        )]
    except RecursionError:
        return None, [Problem(_("fichier"), _("Le fichier est imbriqué trop profondément."))]


def _text(problems, data, key, path, *, required=False, max_length=None):
    value = data.get(key)
    if value is None or value == "":
        if required:
            problems.append(Problem(path, _("Cette valeur est obligatoire.")))
        return ""
    if not isinstance(value, str):
        problems.append(Problem(path, _("Cette valeur doit être un texte.")))
        return ""
    if max_length and len(value) > max_length:
        problems.append(Problem(path, _("Ce texte dépasse %(max)s caractères.") % {"max": max_length}))
    return value.strip()


def _lines(problems, data, key, path, separator):
    """A text, or a list of texts joined with `separator`."""
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, str):
                problems.append(Problem(f"{path}[{index}]", _("Cette valeur doit être un texte.")))
        return separator.join(item.strip() for item in value if isinstance(item, str) and item.strip())
    problems.append(Problem(path, _("Cette valeur doit être un texte ou une liste de textes.")))
    return ""


def _choice(problems, data, key, path, choices, default):
    value = data.get(key, default)
    if value is None:
        value = default
    if value not in choices.values:
        problems.append(Problem(path, _("Valeur inconnue « %(value)s » : valeurs possibles %(choices)s.") % {
            "value": value, "choices": ", ".join(choices.values)}))
        return default
    return value


def _unknown_keys(problems, data, allowed, path):
    for key in sorted(set(data) - allowed, key=str):
        problems.append(Problem(f"{path}.{key}" if path else key, _("Clé inconnue dans ce format.")))


def _check_procedure(problems, data, organisation, slug_override):
    settings = {}
    if not isinstance(data, dict):
        problems.append(Problem("procedure", _("Les réglages de la démarche doivent être un objet JSON.")))
        return None
    _unknown_keys(problems, data, PROCEDURE_KEYS, "procedure")
    settings["title"] = _text(problems, data, "title", "procedure.title", required=True, max_length=200)
    settings["short_description"] = _text(
        problems, data, "short_description", "procedure.short_description", required=True, max_length=1000
    )
    slug_path = "procedure.slug"
    slug = slug_override or _text(problems, data, "slug", slug_path, required=True, max_length=80)
    if slug and (not SLUG.match(slug) or len(slug) > 80):
        problems.append(Problem(slug_path, _(
            "L'identifiant « %(slug)s » ne doit contenir que des lettres minuscules sans accent, des chiffres et "
            "des tirets (80 caractères au plus).") % {"slug": slug}))
    elif slug and Procedure.objects.of(organisation).filter(slug=slug).exists():
        problems.append(Problem(slug_path, _(
            "Une démarche de votre collectivité porte déjà l'identifiant « %(slug)s » : choisissez-en un autre.")
            % {"slug": slug}))
    settings["slug"] = slug
    settings["theme"] = _choice(problems, data, "theme", "procedure.theme", Theme, Theme.AUTRE)
    settings["documents_needed"] = _lines(problems, data, "documents_needed", "procedure.documents_needed", "\n")
    settings["keywords"] = _lines(problems, data, "keywords", "procedure.keywords", ", ")
    if len(settings["keywords"]) > 500:
        problems.append(Problem("procedure.keywords", _("Les mots-clés dépassent 500 caractères.")))
    settings["who_may_submit"] = _choice(
        problems, data, "who_may_submit", "procedure.who_may_submit", WhoMaySubmit, WhoMaySubmit.CITIZEN
    )
    settings["deadline_unit"] = _choice(
        problems, data, "deadline_unit", "procedure.deadline_unit", DeadlineUnit, DeadlineUnit.CALENDAR_DAYS
    )
    settings["silence_means"] = _choice(
        problems, data, "silence_means", "procedure.silence_means", SilenceMeans, SilenceMeans.NONE
    )
    amount = data.get("deadline_amount", 30)
    if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool)
                               or not 0 <= amount <= MAX_DEADLINE):
        problems.append(Problem("procedure.deadline_amount", _(
            "Le délai doit être un nombre entier de jours entre 0 et %(max)s, ou null.") % {"max": MAX_DEADLINE}))
        amount = None
    settings["deadline_amount"] = amount or None
    for flag in ("open311", "inform_member_commune"):
        value = data.get(flag, False)
        if not isinstance(value, bool):
            problems.append(Problem(f"procedure.{flag}", _("Cette valeur doit être true ou false.")))
            value = False
        settings[flag] = value
    service_slug = data.get("service")
    if service_slug is not None and not isinstance(service_slug, str):
        problems.append(Problem("procedure.service", _("Le service suggéré doit être un identifiant (texte) ou null.")))
        service_slug = None
    settings["service_slug"] = service_slug or None
    return settings


def _check_workflow(problems, data):
    if not isinstance(data, dict):
        problems.append(Problem("workflow", _("Le circuit doit être un objet JSON (name, definition).")))
        return None
    _unknown_keys(problems, data, WORKFLOW_KEYS, "workflow")
    name = _text(problems, data, "name", "workflow.name", required=True, max_length=200)
    slug = _text(problems, data, "slug", "workflow.slug", max_length=80)
    if slug and not SLUG.match(slug):
        problems.append(Problem("workflow.slug", _(
            "L'identifiant du circuit ne doit contenir que des lettres minuscules sans accent, des chiffres et "
            "des tirets.")))
    description = _text(problems, data, "description", "workflow.description", max_length=5000)
    definition = data.get("definition")
    if not isinstance(definition, dict):
        problems.append(Problem("workflow.definition", _("La définition du circuit doit être un objet JSON.")))
    else:
        problems += services.workflow_problems(definition, "workflow.definition")
    return {"name": name, "slug": slug or slugify(name)[:80] or "circuit", "description": description,
            "definition": definition}


def check(data, organisation, *, slug=None):
    """Every problem of a parsed `guichet-procedure/1` document for this collectivité (empty: importable).

    Returns (problems, cleaned) where cleaned holds the procedure settings and workflow to create."""
    problems = []
    if not isinstance(data, dict):
        return [Problem(_("fichier"), _("Le fichier doit contenir un objet JSON (entre accolades)."))], None
    fmt = data.get("format")
    if fmt != FORMAT:
        problems.append(Problem("format", _(
            "Format « %(found)s » non reconnu : un export de démarche Guichet porte le format « %(format)s ».")
            % {"found": fmt if fmt is not None else _("absent"), "format": FORMAT}))
    _unknown_keys(problems, data, ROOT_KEYS, "")
    if "procedure" not in data:
        problems.append(Problem("procedure", _("Les réglages de la démarche manquent.")))
        settings = None
    else:
        settings = _check_procedure(problems, data["procedure"], organisation, slug)
    if "form" not in data:
        problems.append(Problem("form", _("Le formulaire manque.")))
    else:
        problems += services.form_problems(data["form"], "form")
    workflow = None
    if "workflow" not in data:
        problems.append(Problem("workflow", _("Le circuit de traitement manque.")))
    else:
        workflow = _check_workflow(problems, data["workflow"])
    return problems, {"settings": settings, "form": data.get("form"), "workflow": workflow}


# ---------------------------------------------------------------------------------------------------------------
# Import


def _workflow_for(organisation, workflow, user):
    """The collectivité's workflow with this slug and the very same definition, or a new one (slug made unique)."""
    from guichet.workflows.models import Workflow

    existing = Workflow.objects.of(organisation).filter(slug=workflow["slug"]).first()
    if existing is not None and existing.definition == workflow["definition"]:
        return existing, False
    slug, counter = workflow["slug"], 2
    taken = set(Workflow.objects.of(organisation).filter(slug__startswith=workflow["slug"]).values_list("slug",
                                                                                                       flat=True))
    while slug in taken:
        suffix = f"-{counter}"
        slug = workflow["slug"][: 80 - len(suffix)] + suffix
        counter += 1
    created = Workflow.objects.create(
        organisation=organisation, name=workflow["name"], slug=slug, description=workflow["description"],
        definition=workflow["definition"],
        **({"updated_by": user} if getattr(user, "is_authenticated", False) else {}),
    )
    return created, True


def import_procedure(organisation, content, user=None, *, slug=None):
    """Import a `guichet-procedure/1` file (bytes, text or already-parsed dict) as a DRAFT procedure.

    Raises ImportFailed listing every problem (nothing is created). Returns an ImportResult.
    """
    if isinstance(content, (bytes, str)):
        data, problems = parse(content)
        if problems:
            raise ImportFailed(problems)
    else:
        data = content
    problems, cleaned = check(data, organisation, slug=slug)
    if problems:
        raise ImportFailed(problems)
    settings = dict(cleaned["settings"])
    service_slug = settings.pop("service_slug")
    notices = []
    service = None
    if service_slug:
        service = Service.objects.of(organisation).filter(slug=service_slug).first()
        if service is None:
            notices.append(_(
                "Le service suggéré « %(slug)s » n'existe pas dans votre collectivité : choisissez le service "
                "responsable dans les réglages.") % {"slug": service_slug})
    with transaction.atomic():
        workflow, workflow_created = _workflow_for(organisation, cleaned["workflow"], user)
        if not workflow_created:
            notices.append(_("Le circuit « %(name)s » existant, identique, est réutilisé.") % {"name": workflow.name})
        procedure = Procedure.objects.create(
            organisation=organisation, service=service, workflow=workflow, draft_form=cleaned["form"],
            state=Procedure.State.DRAFT, **settings,
        )
    return ImportResult(procedure=procedure, workflow_created=workflow_created, notices=notices)


# ---------------------------------------------------------------------------------------------------------------
# The catalogue shipped with Guichet


@dataclass(frozen=True)
class CatalogueEntry:
    key: str  # the file name without .json
    slug: str  # the procedure's slug inside the file
    title: str
    theme: str
    short_description: str
    path: Path

    @property
    def theme_label(self):
        return Theme(self.theme).label if self.theme in Theme.values else self.theme


def catalogue_entries():
    """The procedures shipped with Guichet (`procedures/catalogue/*.json`), by title."""
    entries = []
    for path in sorted(CATALOGUE_DIR.glob("*.json")) if CATALOGUE_DIR.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            procedure = data.get("procedure") or {}
            entries.append(CatalogueEntry(
                key=path.stem, slug=str(procedure.get("slug") or path.stem), title=str(procedure.get("title") or
                                                                                         path.stem),
                theme=str(procedure.get("theme") or Theme.AUTRE),
                short_description=str(procedure.get("short_description") or ""), path=path,
            ))
        except (OSError, ValueError, AttributeError):
            entries.append(CatalogueEntry(path.stem, path.stem, path.stem, Theme.AUTRE, "", path))
    return sorted(entries, key=lambda entry: entry.title.lower())


def catalogue_entry(key):
    if not isinstance(key, str) or not SLUG.match(key):
        return None
    return next((entry for entry in catalogue_entries() if entry.key == key), None)


def import_catalogue_procedure(organisation, slug, user=None, publish=True):
    """Import the shipped procedure `slug` (its file name) into the collectivité, published unless told not.

    Raises ImportFailed (nothing created) when the file has problems or the procedure cannot be published."""
    entry = catalogue_entry(slug)
    if entry is None:
        raise ImportFailed([Problem(_("catalogue"), _("Le catalogue Guichet n'a pas de démarche « %(slug)s ».")
                                    % {"slug": slug})])
    content = entry.path.read_bytes()
    with transaction.atomic():
        result = import_procedure(organisation, content, user)
        if publish:
            try:
                services.publish(result.procedure, user)
            except services.PublicationRefused as refused:
                raise ImportFailed(refused.problems) from refused
            result.procedure.refresh_from_db()
    return result


def load_catalogue(organisation, user=None, publish=True):
    """Import every catalogue procedure the collectivité does not have yet (by slug); idempotent."""
    present = set(Procedure.objects.of(organisation).values_list("slug", flat=True))
    imported = []
    for entry in catalogue_entries():
        if entry.slug in present:
            continue
        imported.append(import_catalogue_procedure(organisation, entry.key, user=user, publish=publish).procedure)
        present.add(entry.slug)
    return imported
