"""Business rules of procedures: deadlines, publication and versioning."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .deadlines import calendar_days_after, subdivision_for
from .deadlines import working_days_after as _working_days_after
from .models import DeadlineUnit, Procedure, ProcedureVersion, SilenceMeans

# ---------------------------------------------------------------------------------------------------------------
# Deadlines


def working_days_after(start, n, organisation=None):
    """The n-th working day after `start`: weekends and French public holidays (of the collectivité's area:
    Alsace-Moselle and overseas have their own) are skipped; the start day is not counted."""
    return _working_days_after(start, n, subdivision_for(organisation) if organisation is not None else None)


def deadline_for(version_or_procedure, start_date):
    """The date by which a request received on `start_date` must be processed, or None without a deadline."""
    amount = version_or_procedure.deadline_amount
    if not amount:
        return None
    if isinstance(start_date, datetime.datetime):
        start_date = timezone.localdate(start_date) if timezone.is_aware(start_date) else start_date.date()
    if version_or_procedure.deadline_unit == DeadlineUnit.WORKING_DAYS:
        return working_days_after(start_date, amount, version_or_procedure.organisation)
    return calendar_days_after(start_date, amount)


def deadline_in_words(version_or_procedure):
    """« 30 jours », « 10 jours ouvrés », or an empty string without a deadline."""
    amount = version_or_procedure.deadline_amount
    if not amount:
        return ""
    if version_or_procedure.deadline_unit == DeadlineUnit.WORKING_DAYS:
        return ngettext("%(n)s jour ouvré", "%(n)s jours ouvrés", amount) % {"n": amount}
    return ngettext("%(n)s jour", "%(n)s jours", amount) % {"n": amount}


def silence_in_words(version_or_procedure):
    """What the citizen must know about the administration's silence once the deadline has passed."""
    silence = version_or_procedure.silence_means
    if silence == SilenceMeans.ACCEPTANCE:
        return _("Sans réponse de notre part à l'issue de ce délai, votre demande est considérée comme acceptée.")
    if silence == SilenceMeans.REFUSAL:
        return _("Sans réponse de notre part à l'issue de ce délai, votre demande est considérée comme refusée.")
    return ""


# ---------------------------------------------------------------------------------------------------------------
# Publication and versions

# Settings frozen into every version: changing one of them needs a new version.
VERSIONED_SETTINGS = ("title", "service_id", "deadline_amount", "deadline_unit", "silence_means", "who_may_submit")


class Problem:
    """A reason not to publish (or import): where it is (a JSON path or a part of the procedure) and why."""

    __slots__ = ("path", "message")

    def __init__(self, path, message):
        self.path = str(path)
        self.message = str(message)

    def __str__(self):
        return f"{self.path} : {self.message}" if self.path else self.message

    def __repr__(self):
        return f"Problem({self.path!r}, {self.message!r})"

    def __eq__(self, other):
        return isinstance(other, Problem) and (self.path, self.message) == (other.path, other.message)

    def __hash__(self):
        return hash((self.path, self.message))


class PublicationRefused(Exception):
    """The procedure cannot be published; `problems` lists every reason."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


def _prefixed(prefix, path):
    path = str(path or "")
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def form_problems(definition, prefix="form"):
    """Problems of a form definition, each located by its JSON path under `prefix`."""
    from guichet.formdefs import validate_definition

    if not isinstance(definition, dict) or not definition.get("pages"):
        return [Problem(prefix, _("Le formulaire n'a aucune page : ajoutez au moins une page et ses champs."))]
    return [Problem(_prefixed(prefix, problem.path), problem.message) for problem in validate_definition(definition)]


def workflow_problems(definition, prefix="workflow.definition"):
    """Problems of a workflow definition, each located by its JSON path under `prefix`."""
    from guichet.workflows.validation import validate_workflow

    problems = []
    for problem in validate_workflow(definition):
        path = getattr(problem, "location", None) or getattr(problem, "path", "")
        message = getattr(problem, "message", problem)
        problems.append(Problem(_prefixed(prefix, path), message))
    return problems


def settings_problems(procedure):
    problems = []
    if not (procedure.title or "").strip():
        problems.append(Problem("procedure.title", _("Donnez un titre à la démarche.")))
    if not (procedure.short_description or "").strip():
        problems.append(Problem("procedure.short_description", _("Décrivez la démarche en une ou deux phrases.")))
    if procedure.service_id and procedure.service.organisation_id != procedure.organisation_id:
        problems.append(Problem("procedure.service", _("Le service responsable n'appartient pas à la collectivité.")))
    return problems


def publication_problems(procedure):
    """Every reason that prevents publishing `procedure` as it is now (empty list: it can be published)."""
    problems = settings_problems(procedure)
    problems += [
        Problem(_("Formulaire") + (f" ({p.path.removeprefix('form').lstrip('.')})" if p.path != "form" else ""),
                p.message)
        for p in form_problems(procedure.draft_form)
    ]
    if procedure.workflow_id is None:
        problems.append(Problem(_("Circuit"), _("Choisissez le circuit de traitement de la démarche.")))
    else:
        problems += [
            Problem(_("Circuit « %(name)s »") % {"name": procedure.workflow.name}
                    + (f" ({p.path.removeprefix('workflow.definition').lstrip('.')})"
                       if p.path != "workflow.definition" else ""), p.message)
            for p in workflow_problems(procedure.workflow.definition)
        ]
    return problems


def publication_warnings(procedure):
    """Things worth knowing before publishing that do not prevent it."""
    warnings = []
    if procedure.service_id is None:
        warnings.append(_(
            "Aucun service responsable n'est choisi : les demandes ne seront visibles que des administrateurs."
        ))
    if not procedure.deadline_amount and procedure.silence_means != "none":
        warnings.append(_("Le silence de l'administration a une portée mais aucun délai n'est fixé."))
    return warnings


def _frozen_settings(procedure):
    return {name: getattr(procedure, name) for name in VERSIONED_SETTINGS}


def _version_settings(version):
    return {name: getattr(version, name) for name in VERSIONED_SETTINGS}


def has_unpublished_changes(procedure):
    """True when the working copy differs from the published version (form, workflow or request settings)."""
    version = procedure.current_version
    if version is None:
        return True
    workflow_definition = procedure.workflow.definition if procedure.workflow_id else None
    return (
        version.form != procedure.draft_form
        or version.workflow != workflow_definition
        or _version_settings(version) != _frozen_settings(procedure)
    )


def publish(procedure, user=None):
    """Publish `procedure`: validate its form and workflow (PublicationRefused lists every problem), create a new
    version only when the form, the workflow or a request setting changed, and put it online.

    Returns the version now online. Requests already made keep the version they were made with.
    """
    with transaction.atomic():
        procedure = (
            Procedure.objects.select_for_update(of=("self",)).select_related("workflow", "service", "current_version")
            .get(pk=procedure.pk)
        )
        problems = publication_problems(procedure)
        if problems:
            raise PublicationRefused(problems)
        version = procedure.current_version
        if has_unpublished_changes(procedure):
            last = procedure.versions.order_by("-number").values_list("number", flat=True).first() or 0
            version = ProcedureVersion.objects.create(
                organisation_id=procedure.organisation_id, procedure=procedure, number=last + 1,
                form=procedure.draft_form, workflow=procedure.workflow.definition,
                workflow_name=procedure.workflow.name, published_at=timezone.now(),
                published_by=user if getattr(user, "is_authenticated", False) else None,
                **_frozen_settings(procedure),
            )
        procedure.current_version = version
        procedure.state = Procedure.State.PUBLISHED
        procedure.save(update_fields=["current_version", "state", "updated_at"])
    return version


def archive(procedure):
    """Take the procedure offline: citizens no longer see it; requests already made go on."""
    procedure.state = Procedure.State.ARCHIVED
    procedure.save(update_fields=["state", "updated_at"])


def create_procedure(organisation, **fields):
    """A new draft procedure with an empty one-page form ready for the builder."""
    fields.setdefault("draft_form", {"pages": [{"id": "page-1", "title": str(_("Votre demande")), "condition": None,
                                                "fields": []}]})
    procedure = Procedure(organisation=organisation, **fields)
    procedure.full_clean(exclude=["workflow", "current_version", "service"])
    procedure.save()
    return procedure

