"""Public catalogue of the collectivité: procedures with their form definitions, services, statuses, public
knowledge-base sheets. No authentication needed; a bearer presented must be valid and counts against its
client's rate limit (`OptionalClient`). Another collectivité's objects are 404."""

from typing import Any, Dict, List, Optional

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema

from guichet.agents.models import Service
from guichet.formdefs.schema import FILE_KINDS, pages, page_fields
from guichet.knowledge import richtext
from guichet.knowledge import search as knowledge_search
from guichet.knowledge.services import sheets_of
from guichet.procedures import services as procedure_services
from guichet.procedures.models import Procedure, Theme
from guichet.procedures.text import search_terms
from guichet.procedures.views import visible_procedures

from .core import ApiError, OptionalClient
from .schemas import Page, ServiceRef, page_of

PUBLIC = [{}, {"ClientAuth": []}]
PUBLIC_TEXT = ("Public : sans authentification ; un secret de client présenté doit être valide (et compte dans "
               "sa limite d'appels). ")
router = Router(tags=["Catalogue"], auth=OptionalClient())
SLUG = r"^[-a-zA-Z0-9_]{1,80}$"
# Printable text only (no control character: PostgreSQL refuses NUL in a query).
TEXT = r"^[^\x00-\x1f\x7f]*$"
MAX_ID = 2**63 - 1


# --- schemas ---------------------------------------------------------------------------------------------------

class ServiceOut(ServiceRef):
    description: str = Field(description="Missions du service.")
    email: str = Field(description="Courriel public du service (vide si aucun).")
    phone: str = Field(description="Téléphone public du service (vide si aucun).")


class Deadline(Schema):
    amount: Optional[int] = Field(None, description="Délai de traitement annoncé (absent : sans délai).")
    unit: str = Field(description="calendar_days ou working_days.")
    text: str = Field(description="Le délai en toutes lettres.")


class ProcedureSummary(Schema):
    slug: str
    title: str
    theme: str
    theme_label: str
    short_description: str
    who_may_submit: str = Field(description="anyone (même sans compte), citizen (usager connecté) ou agents "
                                            "(saisie au guichet seulement).")
    open311: bool = Field(description="Exposée en Open311 (/open311/v2/).")
    service: Optional[ServiceRef] = None
    deadline: Deadline
    version: int = Field(description="Numéro de la version publiée (celle qui servira au dépôt).")
    url: str = Field(description="Page de la démarche sur le site de la collectivité.")


class Choice(Schema):
    value: str
    label: str


class FileRulesOut(Schema):
    accept: List[str] = Field(description=f"Types de fichiers permis parmi {', '.join(FILE_KINDS)}.")
    max_size_mb: float
    max_files: int
    document_type: Optional[str] = None


class FormField(Schema):
    id: str = Field(description="Identifiant : clé de la réponse dans `answers` au dépôt.")
    type: str = Field(description="text, textarea, email, phone, number, date, boolean, choice, multichoice, "
                                  "file, address, household_member, block, computed, title, comment.")
    label: str
    required: bool = False
    help: str = ""
    choices: Optional[List[Choice]] = None
    condition: Optional[Dict[str, Any]] = Field(
        None, description="Condition d'affichage (voir le guide : field/op/value, all, any, not).")
    file: Optional[FileRulesOut] = Field(None, description="Règles des pièces jointes (type file).")
    fields: Optional[List["FormField"]] = Field(None, description="Sous-champs d'un bloc répétable.")
    options: Dict[str, Any] = Field(default_factory=dict, description="Autres réglages du champ : format, min, "
                                    "max, decimals, validation, min_items, max_items, widget, relationship…")


class FormPage(Schema):
    id: str
    title: str
    condition: Optional[Dict[str, Any]] = None
    fields: List[FormField]


class FormDefinition(Schema):
    pages: List[FormPage]


class StatusOut(Schema):
    id: str
    label: str
    visible: bool = Field(description="Montré à l'usager (sinon étape interne).")
    final: bool = Field(description="La demande est close dans ce statut.")


class ProcedureDetail(ProcedureSummary):
    documents_needed: List[str]
    keywords: List[str]
    silence: str = Field(description="Ce que vaut le silence de l'administration (vide : sans objet).")
    form: FormDefinition
    statuses: List[StatusOut]


class StatusOfProcedures(StatusOut):
    procedures: List[str] = Field(description="Les démarches (slug) dont le circuit a ce statut.")


class SheetTheme(Schema):
    id: int
    name: str


class SheetSummary(Schema):
    id: int
    question: str
    theme: SheetTheme
    service: Optional[ServiceRef] = None
    updated_at: str
    url: str


class SheetDetail(SheetSummary):
    answer_html: str = Field(description="Réponse en HTML déjà nettoyé (p, br, strong, em, listes, h3, h4, "
                                         "blockquote, liens).")
    procedures: List[str] = Field(description="Démarches liées (slug).")


# --- conversions -----------------------------------------------------------------------------------------------

def _service_ref(service):
    return None if service is None else {"id": service.pk, "slug": service.slug, "name": service.name}


def _summary(procedure):
    version = procedure.current_version
    return {
        "slug": procedure.slug, "title": procedure.title, "theme": procedure.theme,
        "theme_label": str(Theme(procedure.theme).label) if procedure.theme in Theme.values else procedure.theme,
        "short_description": procedure.short_description, "who_may_submit": version.who_may_submit,
        "open311": procedure.open311, "service": _service_ref(version.service),
        "deadline": {"amount": version.deadline_amount, "unit": version.deadline_unit,
                     "text": str(procedure_services.deadline_in_words(version) or "")},
        "version": version.number, "url": f"/demarches/{procedure.slug}/",
    }


OWN_KEYS = {"id", "type", "label", "required", "help", "choices", "condition", "fields", "accept", "max_size_mb",
            "max_files", "document_type", "expression"}


def _field(field):
    kind = str(field.get("type") or "")
    out = {
        "id": str(field.get("id") or ""), "type": kind,
        "label": str(field.get("label") or field.get("text") or ""), "required": bool(field.get("required")),
        "help": str(field.get("help") or ""),
        "choices": ([{"value": str(c.get("value", "")), "label": str(c.get("label", c.get("value", "")))}
                     for c in field.get("choices") or [] if isinstance(c, dict)]
                    if kind in ("choice", "multichoice") else None),
        "condition": field.get("condition") if isinstance(field.get("condition"), dict) else None,
        "options": {key: value for key, value in field.items() if key not in OWN_KEYS},
    }
    if kind == "file":
        accept = [k for k in field.get("accept") or FILE_KINDS if k in FILE_KINDS] or list(FILE_KINDS)
        out["file"] = {"accept": accept, "max_size_mb": float(field.get("max_size_mb") or 5),
                       "max_files": int(field.get("max_files") or 1),
                       "document_type": field.get("document_type") or None}
    if kind == "block":
        out["fields"] = [_field(sub) for sub in field.get("fields") or [] if isinstance(sub, dict)]
    return out


def form_definition(defn):
    """What a client needs to build a submission, from `ProcedureVersion.form` (guichet.formdefs)."""
    return {"pages": [{"id": str(page.get("id") or ""), "title": str(page.get("title") or ""),
                       "condition": page.get("condition") if isinstance(page.get("condition"), dict) else None,
                       "fields": [_field(field) for field in page_fields(page)]}
                      for page in pages(defn)]}


def workflow_statuses(workflow):
    statuses = workflow.get("statuses") if isinstance(workflow, dict) else None
    return [{"id": str(s.get("id") or ""), "label": str(s.get("label") or s.get("id") or ""),
             "visible": bool(s.get("visible")), "final": bool(s.get("final"))}
            for s in statuses or [] if isinstance(s, dict)]


def published_procedures(request):
    """What the caller may see: citizens and anonymous callers the public catalogue; an API client also the
    procedures entered at the counter only (`who_may_submit=agents`)."""
    procedures = visible_procedures(request.organisation)
    if hasattr(request.auth, "pk"):
        procedures = (Procedure.objects.of(request.organisation)
                      .filter(state=Procedure.State.PUBLISHED, current_version__isnull=False)
                      .select_related("current_version"))
    return procedures.select_related("current_version__service")


def _procedure(request, slug):
    return get_object_or_404(published_procedures(request), slug=slug)


def _sheet_summary(sheet):
    return {"id": sheet.pk, "question": sheet.question, "theme": {"id": sheet.theme_id, "name": sheet.theme.name},
            "service": _service_ref(sheet.service), "updated_at": sheet.updated_at.isoformat(),
            "url": f"/questions-frequentes/{sheet.pk}/"}


# --- endpoints -------------------------------------------------------------------------------------------------

class ProcedureFilters(Schema):
    theme: str = Field(None, pattern=SLUG, description="Thème (etat-civil, scolaire…).")
    q: str = Field(None, max_length=200, pattern=TEXT, description="Mots cherchés (titre, description, "
                                                                              "mots-clés).")
    open311: bool = Field(None, description="true : seulement les démarches exposées en Open311.")
    page: int = Field(1, ge=1, le=100_000, description="Numéro de la page, à partir de 1.")
    page_size: int = Field(20, ge=1, le=100, description="Éléments par page (100 au plus).")


@router.get("/procedures", response=Page[ProcedureSummary], summary="Démarches publiées",
            openapi_extra={"security": PUBLIC}, operation_id="list_procedures",
            description=PUBLIC_TEXT + "Les démarches publiées de la collectivité, par titre, filtrées par thème, mots "
                        "cherchés ou exposition en Open311 ; un client de l'API voit aussi celles saisies au guichet "
                        "seulement.")
def list_procedures(request, filters: Query[ProcedureFilters]):
    procedures = published_procedures(request)
    for term in search_terms(filters.q or ""):
        procedures = procedures.filter(search_text__contains=term)
    if filters.theme:
        procedures = procedures.filter(theme=filters.theme)
    if filters.open311 is not None:
        procedures = procedures.filter(open311=filters.open311)
    result = page_of(procedures.order_by("title", "pk"), filters.page, filters.page_size)
    result["items"] = [_summary(procedure) for procedure in result["items"]]
    return result


@router.get("/procedures/{slug}", response=ProcedureDetail, summary="Une démarche et son formulaire",
            openapi_extra={"security": PUBLIC}, operation_id="read_procedure",
            description=PUBLIC_TEXT + "La version publiée d'une démarche : qui peut la déposer, service, délai, pièces "
                        "à fournir, formulaire (pages, champs, conditions, règles des fichiers) et statuts du circuit.")
def read_procedure(request, slug: str = Path(..., pattern=SLUG, description="Identifiant (slug) de la démarche.")):
    procedure = _procedure(request, slug)
    version = procedure.current_version
    return {
        **_summary(procedure), "documents_needed": procedure.documents_list, "keywords": procedure.keyword_list,
        "silence": str(procedure_services.silence_in_words(version) or ""),
        "form": form_definition(version.form), "statuses": workflow_statuses(version.workflow),
    }


@router.get("/procedures/{slug}/statuses", response=List[StatusOut], summary="Statuts du circuit d'une démarche",
            openapi_extra={"security": PUBLIC}, operation_id="list_procedure_statuses",
            description=PUBLIC_TEXT + "Les statuts du circuit de la version publiée, dans l'ordre, avec ceux montrés à "
                        "l'usager et ceux qui closent la demande.")
def list_procedure_statuses(request, slug: str = Path(..., pattern=SLUG,
                                                     description="Identifiant (slug) de la démarche.")):
    return workflow_statuses(_procedure(request, slug).current_version.workflow)


@router.get("/statuses", response=List[StatusOfProcedures], summary="Tous les statuts des démarches publiées",
            openapi_extra={"security": PUBLIC}, operation_id="list_statuses",
            description=PUBLIC_TEXT + "Chaque statut des circuits des démarches publiées, avec les démarches qui "
                        "l'emploient.")
def list_statuses(request):
    statuses = {}
    for procedure in published_procedures(request).order_by("title", "pk"):
        for status in workflow_statuses(procedure.current_version.workflow):
            entry = statuses.setdefault(status["id"], {**status, "procedures": []})
            entry["procedures"].append(procedure.slug)
    return list(statuses.values())


@router.get("/services", response=List[ServiceOut], summary="Services de la collectivité",
            openapi_extra={"security": PUBLIC}, operation_id="list_services",
            description=PUBLIC_TEXT + "Les services actifs de la collectivité et leurs coordonnées publiques.")
def list_services(request):
    return [{"id": s.pk, "slug": s.slug, "name": s.name, "description": s.description, "email": s.email,
             "phone": s.phone}
            for s in Service.objects.of(request.organisation).filter(is_active=True).order_by("name", "pk")]


class SheetFilters(Schema):
    q: str = Field(None, max_length=200, pattern=TEXT, description="Mots cherchés.")
    theme: int = Field(None, ge=1, le=MAX_ID, description="Identifiant du thème.")
    page: int = Field(1, ge=1, le=100_000, description="Numéro de la page, à partir de 1.")
    page_size: int = Field(20, ge=1, le=100, description="Éléments par page (100 au plus).")


@router.get("/sheets", response=Page[SheetSummary], summary="Fiches publiques de la base de connaissances",
            openapi_extra={"security": PUBLIC}, operation_id="list_sheets",
            description=PUBLIC_TEXT + "Les fiches publiques de la base de connaissances, par thème puis question, ou "
                        "les plus pertinentes pour les mots cherchés (`q`).")
def list_sheets(request, filters: Query[SheetFilters]):
    if filters.q and filters.q.strip():
        found, error = knowledge_search.search_results(request.organisation, filters.q, public_only=True,
                                                       limit=knowledge_search.MAX_LIMIT)
        if error:
            raise ApiError(422, _("Données invalides"), str(error), code="validation",
                           errors=[{"location": ["query", "q"], "message": str(error), "type": "search"}])
        if filters.theme:
            found = [sheet for sheet in found if sheet.theme_id == filters.theme]
        start = (filters.page - 1) * filters.page_size
        result = {"count": len(found), "page": filters.page, "page_size": filters.page_size,
                  "next_page": filters.page + 1 if start + filters.page_size < len(found) else None,
                  "items": found[start:start + filters.page_size]}
    else:
        sheets = sheets_of(request.organisation, public_only=True)
        if filters.theme:
            sheets = sheets.filter(theme_id=filters.theme)
        result = page_of(sheets.order_by("theme__position", "theme__name", "question", "pk"), filters.page,
                         filters.page_size)
    result["items"] = [_sheet_summary(sheet) for sheet in result["items"]]
    return result


@router.get("/sheets/{sheet_id}", response=SheetDetail, summary="Une fiche publique",
            openapi_extra={"security": PUBLIC}, operation_id="read_sheet",
            description=PUBLIC_TEXT + "Une fiche publique : sa réponse en HTML nettoyé et les démarches liées.")
def read_sheet(request, sheet_id: int = Path(..., ge=1, le=MAX_ID, description="Identifiant de la fiche.")):
    sheet = get_object_or_404(sheets_of(request.organisation, public_only=True).prefetch_related("procedures"),
                              pk=sheet_id)
    return {**_sheet_summary(sheet), "answer_html": richtext.sanitise(sheet.answer),
            "procedures": sorted(p.slug for p in sheet.procedures.all() if p.organisation_id == sheet.organisation_id)}

