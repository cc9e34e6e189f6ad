"""Rules of the knowledge base: who writes, saving a sheet (with its version and its index), restoring a
version, comparing two, the themes.

Who writes (`may_write`, the one rule): a verified agent of the collectivité writes the sheets of the services
they belong to (they create a sheet for one of them, edit those sheets, and may hand a sheet over to another of
their services); an administrator of the collectivité writes every sheet, for any service. Every agent reads
every sheet of their collectivité. Themes are managed by administrators (`may_manage_themes`).
"""

import difflib
import re

from django.db import transaction
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.agents.models import Service
from guichet.agents.permissions import is_org_admin, is_verified_agent, services_of
from guichet.procedures.models import Procedure

from . import richtext, search
from .models import MAX_ANSWER_LENGTH, MAX_QUESTION_LENGTH, Sheet, SheetVersion, Theme


class KnowledgeRefused(Exception):
    """The change cannot be made; `message` is French and meant for the user, `field` the form field."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- who may do what ------------------------------------------------------------------------------------


def _agent_of(user, organisation):
    return is_verified_agent(user) and organisation is not None and user.organisation_id == organisation.pk


def writable_services(user, organisation):
    """The services `user` may write sheets for: all active ones for an administrator, else their own."""
    if not _agent_of(user, organisation):
        return Service.objects.none()
    services = Service.objects.of(organisation).filter(is_active=True)
    if is_org_admin(user):
        return services
    return services.filter(pk__in=services_of(user).values("pk"))


def may_write(user, organisation, service=None):
    """THE rule: `user` may write a sheet of `service` (without a service: may write at least one sheet)."""
    if not _agent_of(user, organisation):
        return False
    if is_org_admin(user):
        return service is None or service.organisation_id == organisation.pk
    if service is None:
        return writable_services(user, organisation).exists()
    return services_of(user).filter(pk=service.pk).exists()


def may_manage_themes(user, organisation):
    return _agent_of(user, organisation) and is_org_admin(user)


# --- reading -------------------------------------------------------------------------------------------


def sheets_of(organisation, *, public_only=False):
    sheets = Sheet.objects.of(organisation).select_related("theme", "service").defer("vector")
    return sheets.filter(is_public=True) if public_only else sheets


def to_review(sheets):
    """The sheets whose review date is reached (flag « À relire »)."""
    return sheets.filter(review_on__lte=timezone.localdate())


def themes_with_sheets(organisation, *, public_only=False, theme=None, only_to_review=False, themes=None,
                       per_theme=None):
    """[(theme, [sheets], number of sheets)] in the themes' order, the empty themes left out; at most
    `per_theme` sheets of each (by question) when given, so that a large base stays a readable page. Three
    queries (two when the collectivité's `themes` are given)."""
    sheets = sheets_of(organisation, public_only=public_only).defer("answer", "index_title", "index_answer")
    if theme is not None:
        sheets = sheets.filter(theme=theme)
    if only_to_review:
        sheets = to_review(sheets)
    counts = dict(sheets.order_by().values("theme_id").annotate(count=Count("pk")).values_list("theme_id", "count"))
    if not counts:
        return []
    if per_theme:
        sheets = sheets.annotate(row=Window(RowNumber(), partition_by=[F("theme_id")],
                                            order_by=[F("question").asc(), F("pk").asc()])).filter(row__lte=per_theme)
    by_theme = {}
    for sheet in sheets.order_by("question", "pk"):
        by_theme.setdefault(sheet.theme_id, []).append(sheet)
    if themes is None:
        themes = Theme.objects.of(organisation).filter(pk__in=list(counts))
    return [(item, by_theme.get(item.pk, []), counts[item.pk]) for item in themes if item.pk in counts]


def sheet_procedures(sheet):
    """The related procedures of the sheet, with the citizens' page when they have one:
    [(procedure, published for citizens)]."""
    from guichet.procedures.views import visible_procedures

    procedures = list(sheet.procedures.filter(organisation_id=sheet.organisation_id).order_by("title"))
    visible = set(
        visible_procedures(sheet.organisation).filter(pk__in=[p.pk for p in procedures]).values_list("pk", flat=True)
    ) if procedures else set()
    return [(procedure, procedure.pk in visible) for procedure in procedures]


# --- writing -------------------------------------------------------------------------------------------


def check_question(question):
    question = " ".join(str(question or "").split())
    if not question:
        raise KnowledgeRefused(_("Écrivez la question de la fiche."), "question")
    if len(question) > MAX_QUESTION_LENGTH:
        raise KnowledgeRefused(
            _("La question est trop longue : %(max)s caractères au plus (elle en compte %(count)s).")
            % {"max": MAX_QUESTION_LENGTH, "count": len(question)}, "question")
    return question


def check_answer(answer):
    """The sanitised answer, or KnowledgeRefused when nothing readable remains or it is too long."""
    cleaned = richtext.clean_answer(answer)
    if not richtext.plain_text(cleaned):
        raise KnowledgeRefused(_("Écrivez la réponse de la fiche (il ne reste aucun texte une fois la mise en "
                                 "forme non autorisée retirée)."), "answer")
    if len(cleaned) > MAX_ANSWER_LENGTH:
        raise KnowledgeRefused(
            _("La réponse est trop longue : %(max)s caractères au plus, mise en forme comprise (elle en compte "
              "%(count)s).") % {"max": MAX_ANSWER_LENGTH, "count": len(cleaned)}, "answer")
    return cleaned


def save_sheet(organisation, user, *, question, answer, theme, service, is_public=False, review_on=None,
               procedures=(), sheet=None, note="", expected_version=None):
    """Create (`sheet` None) or change a sheet as `user`, in one transaction: who may (`may_write`, for the
    sheet's current service and the chosen one), the checks (KnowledgeRefused), the sanitised answer, a new
    version when the question or the answer changed, the search index → the sheet. `expected_version`: the
    version the agent started from; when someone saved another one meanwhile, nothing is saved (refused)."""
    if sheet is not None and sheet.organisation_id != organisation.pk:
        raise KnowledgeRefused(_("Cette fiche n'existe pas."))
    if sheet is not None and not may_write(user, organisation, sheet.service):
        raise KnowledgeRefused(_("Seuls les agents du service « %(service)s » et les administrateurs modifient "
                                 "cette fiche.") % {"service": sheet.service.name})
    if service is not None and service.organisation_id == organisation.pk and not may_write(user, organisation,
                                                                                            service):
        raise KnowledgeRefused(_("Choisissez un de vos services : vous ne pouvez pas écrire de fiche pour le "
                                 "service « %(service)s ».") % {"service": service.name}, "service")
    return write_sheet(organisation, user, question=question, answer=answer, theme=theme, service=service,
                       is_public=is_public, review_on=review_on, procedures=procedures, sheet=sheet, note=note,
                       expected_version=expected_version)


def write_sheet(organisation, author, *, question, answer, theme, service, is_public=False, review_on=None,
                procedures=(), sheet=None, note="", expected_version=None):
    """`save_sheet` without the question of who may (demo data, imports): `author` may be None."""
    if service is None or service.organisation_id != organisation.pk or not service.is_active:
        raise KnowledgeRefused(_("Choisissez le service responsable de la fiche."), "service")
    if theme is None or theme.organisation_id != organisation.pk:
        raise KnowledgeRefused(_("Choisissez le thème de la fiche."), "theme")
    procedures = list(procedures)
    if any(procedure.organisation_id != organisation.pk for procedure in procedures):
        raise KnowledgeRefused(_("Choisissez des démarches de votre collectivité."), "procedures")
    question, answer = check_question(question), check_answer(answer)
    now = timezone.now()
    with transaction.atomic():
        if sheet is None:
            sheet = Sheet(organisation=organisation, created_by=author, created_at=now)
        else:
            sheet = Sheet.objects.select_for_update().get(pk=sheet.pk, organisation=organisation)
            if expected_version is not None and sheet.version_number != expected_version:
                raise KnowledgeRefused(_(
                    "La fiche a été modifiée pendant que vous l'écriviez (elle est passée à la version %(number)s) : "
                    "rien n'est enregistré. Votre texte est conservé ci-dessous ; ouvrez la fiche dans un autre "
                    "onglet pour reprendre ses changements, puis enregistrez à nouveau."
                ) % {"number": sheet.version_number})
        changed = sheet.pk is None or sheet.question != question or sheet.answer != answer
        theme_changed = sheet.theme_id != theme.pk
        sheet.question, sheet.answer, sheet.theme, sheet.service = question, answer, theme, service
        sheet.is_public, sheet.review_on = bool(is_public), review_on
        sheet.updated_at, sheet.updated_by = now, author
        if changed:
            sheet.version_number += 1
            search.index_fields(sheet)
        sheet.save()
        sheet.procedures.set(procedures)
        if changed:
            SheetVersion.objects.create(
                organisation=organisation, sheet=sheet, number=sheet.version_number, question=question,
                answer=answer, author=author, created_at=now, note=str(note)[:200],
            )
        if changed or theme_changed:
            search.reindex_sheets([sheet.pk])
    return sheet


def restore_version(organisation, user, sheet, version):
    """Make `version`'s question and answer the current ones again (a new version, saying so)."""
    if version.sheet_id != sheet.pk:
        raise KnowledgeRefused(_("Cette version n'est pas une version de la fiche."))
    if version.number == sheet.version_number:
        raise KnowledgeRefused(_("La version %(number)s est déjà la version en cours.") % {"number": version.number})
    return save_sheet(
        organisation, user, question=version.question, answer=version.answer, theme=sheet.theme,
        service=sheet.service, is_public=sheet.is_public, review_on=sheet.review_on,
        procedures=sheet.procedures.all(), sheet=sheet,
        note=_("Reprise de la version %(number)s") % {"number": version.number},
    )


# --- comparing two versions ------------------------------------------------------------------------------

BLOCK_END = re.compile(r"</(p|li|h3|h4|blockquote)>|<br\s*/?>", re.IGNORECASE)


def _lines(version):
    text = BLOCK_END.sub("\n", richtext.sanitise(version.answer))
    lines = (richtext.plain_text(line) for line in text.split("\n"))
    return [version.question, ""] + [line for line in lines if line]


def compare(older, newer):
    """Line by line (question, then the answer's paragraphs and items as plain text):
    [(kind, text)] with kind "same", "removed" or "added"."""
    rows = []
    for line in difflib.ndiff(_lines(older), _lines(newer)):
        code, text = line[:2], line[2:]
        if code == "  ":
            rows.append(("same", text))
        elif code == "- ":
            rows.append(("removed", text))
        elif code == "+ ":
            rows.append(("added", text))
    return rows


# --- themes -----------------------------------------------------------------------------------------------


def themes_of(organisation):
    return Theme.objects.of(organisation).annotate(
        sheet_count=Count("sheets"),
        public_count=Count("sheets", filter=Q(sheets__is_public=True)),
    )


def save_theme(organisation, user, *, name, position=0, theme=None):
    if not may_manage_themes(user, organisation):
        raise KnowledgeRefused(_("Seuls les administrateurs de la collectivité gèrent les thèmes."))
    name = " ".join(str(name or "").split())
    if not name:
        raise KnowledgeRefused(_("Donnez un nom au thème."), "name")
    if len(name) > 100:
        raise KnowledgeRefused(_("Le nom du thème est trop long : 100 caractères au plus."), "name")
    others = Theme.objects.of(organisation).exclude(pk=theme.pk if theme is not None else None)
    if name.casefold() in {other.casefold() for other in others.values_list("name", flat=True)}:
        raise KnowledgeRefused(_("Un thème porte déjà ce nom."), "name")
    with transaction.atomic():
        renamed = theme is not None and theme.name != name
        if theme is None:
            theme = Theme(organisation=organisation)
        theme.name, theme.position = name, position or 0
        theme.save()
        if renamed:
            search.reindex_theme(theme)
    return theme


def delete_theme(organisation, user, theme):
    if not may_manage_themes(user, organisation):
        raise KnowledgeRefused(_("Seuls les administrateurs de la collectivité gèrent les thèmes."))
    if Sheet.objects.of(organisation).filter(theme=theme).exists():
        raise KnowledgeRefused(_("Le thème « %(name)s » contient des fiches : rangez-les dans un autre thème avant "
                                 "de le supprimer.") % {"name": theme.name})
    theme.delete()


def procedures_for_sheets(organisation):
    """The procedures a sheet may be related to: those of the collectivité that are not archived."""
    return Procedure.objects.of(organisation).exclude(state=Procedure.State.ARCHIVED).order_by("title")

