"""Administrators' pages: procedures, their settings, the form builder, publication, versions, export/import.

Every procedure is looked up within request.organisation: another collectivité's ids give 404. The builder
edits the procedure's working copy (`draft_form`) through `guichet.formdefs.editing`; publishing makes it a
new version.
"""

import re

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet.agents.permissions import org_admin_required
from guichet.formdefs import DefinitionError, build_page_form, editing, is_visible
from guichet.formdefs.conditions import visible_answers
from guichet.formdefs.schema import find_page, page_fields, pages

from . import builder, exchange, services
from .forms import CatalogueImportForm, FieldForm, ImportForm, NewFieldForm, PageForm, ProcedureSettingsForm
from .models import Procedure, ProcedureVersion


EMPTY_PAGE_PATH = re.compile(r"^pages\[\d+\]\.fields$")
PREVIEW_SESSION_KEY = "procedures-preview-%s"


def _post(request):
    return request.POST if request.method == "POST" else None


def _procedures(request):
    return Procedure.objects.of(request.organisation)


def _procedure(request, pk, *, lock=False):
    queryset = _procedures(request).select_related("workflow", "service", "current_version")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return get_object_or_404(queryset, pk=pk)


def _builder_url(procedure, anchor=""):
    url = reverse("procedures_admin:form", args=[procedure.pk])
    return f"{url}#{anchor}" if anchor else url


# --- list, create, overview, settings --------------------------------------------------------------------------


@org_admin_required
def procedure_list(request):
    procedures = (
        _procedures(request).select_related("current_version", "service", "workflow")
        .annotate(request_count=Count("requests", filter=Q(requests__state="submitted")))
        .order_by("title")
    )
    return render(request, "procedures/admin/list.html", {"procedures": procedures})


@org_admin_required
def procedure_create(request):
    form = ProcedureSettingsForm(_post(request), organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        procedure = form.save(commit=False)
        procedure.draft_form = {"pages": [{"id": "demande", "title": _("Votre demande"), "condition": None,
                                           "fields": []}]}
        procedure.save()
        messages.success(request, _("La démarche « %(title)s » est créée : composez maintenant son formulaire.")
                         % {"title": procedure.title})
        return redirect("procedures_admin:form", procedure.pk)
    return render(request, "procedures/admin/settings.html", {"form": form, "procedure": None})


@org_admin_required
def procedure_detail(request, pk):
    procedure = _procedure(request, pk)
    context = {
        "procedure": procedure,
        "unpublished": services.has_unpublished_changes(procedure),
        "deadline": services.deadline_in_words(procedure),
        "version_count": procedure.versions.count(),
        "request_count": procedure.requests.filter(state="submitted").count(),
    }
    return render(request, "procedures/admin/detail.html", context)


@org_admin_required
def procedure_settings(request, pk):
    procedure = _procedure(request, pk)
    form = ProcedureSettingsForm(_post(request), instance=procedure, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Les réglages sont enregistrés."))
        if procedure.state == Procedure.State.PUBLISHED and services.has_unpublished_changes(procedure):
            messages.info(request, _("Publiez la démarche pour que les nouvelles demandes suivent ces réglages."))
        return redirect("procedures_admin:detail", procedure.pk)
    return render(request, "procedures/admin/settings.html", {"form": form, "procedure": procedure})


@org_admin_required
def procedure_delete(request, pk):
    procedure = _procedure(request, pk)
    deletable = not procedure.versions.exists() and not procedure.requests.exists()
    if request.method == "POST":
        if not deletable:
            messages.error(request, _("Une démarche déjà publiée ne peut être supprimée : archivez-la."))
            return redirect("procedures_admin:detail", procedure.pk)
        title = procedure.title
        procedure.delete()
        messages.success(request, _("La démarche « %(title)s » est supprimée.") % {"title": title})
        return redirect("procedures_admin:list")
    return render(request, "procedures/admin/delete.html", {"procedure": procedure, "deletable": deletable})


# --- form builder ------------------------------------------------------------------------------------------------


def _page_rows(defn):
    """The pages and their fields for the builder's list, with what moving and conditions need."""
    result = []
    all_pages = pages(defn)
    for page_index, page in enumerate(all_pages):
        fields = page_fields(page)
        rows = []
        for index, field in enumerate(fields):
            sub = page_fields(field) if field.get("type") == "block" else []
            rows.append({
                "field": field,
                "type_label": builder.type_label(field.get("type")),
                "condition": builder.describe_condition(field.get("condition"), defn),
                "first": index == 0 and page_index == 0,
                "last": index == len(fields) - 1 and page_index == len(all_pages) - 1,
                "sub": [{"field": item, "type_label": builder.type_label(item.get("type")),
                         "first": sub_index == 0, "last": sub_index == len(sub) - 1}
                        for sub_index, item in enumerate(sub)],
            })
        result.append({
            "page": page, "fields": rows, "first": page_index == 0, "last": page_index == len(all_pages) - 1,
            "condition": builder.describe_condition(page.get("condition"), defn),
        })
    return result


@org_admin_required
def form_builder(request, pk):
    procedure = _procedure(request, pk)
    defn = procedure.draft_form or {"pages": []}
    context = {
        "procedure": procedure,
        "pages": _page_rows(defn),
        "type_form": NewFieldForm(),
        "block_type_form": NewFieldForm(in_block=True),
        "problems": services.form_problems(defn) if pages(defn) else [],
        "unpublished": services.has_unpublished_changes(procedure),
    }
    return render(request, "procedures/admin/builder.html", context)


def _new_problems(before, after):
    """Problems of `after` that `before` did not have (an empty page is not one: it is being composed)."""
    from guichet.formdefs import validate_definition

    known = {(problem.path, problem.message) for problem in validate_definition(before)}
    return [problem for problem in validate_definition(after)
            if (problem.path, problem.message) not in known and not EMPTY_PAGE_PATH.match(problem.path)]


def _apply(request, pk, operation, *, check=True):
    """Run a formdefs editing operation on the working copy, under a lock (two tabs never lose a change).
    With `check`, a change that makes the form invalid (a bad pattern, a default not among the choices…) is
    refused with the problems found.

    Returns (procedure, error message or None)."""
    with transaction.atomic():
        procedure = _procedure(request, pk, lock=True)
        before = procedure.draft_form or {"pages": []}
        try:
            after = operation(before)
        except DefinitionError as error:
            return procedure, error.message
        if check:
            problems = _new_problems(before, after)
            if problems:
                return procedure, " ".join(problem.message for problem in problems)
        procedure.draft_form = after
        procedure.save(update_fields=["draft_form", "updated_at"])
    return procedure, None


@org_admin_required
def page_add(request, pk):
    procedure = _procedure(request, pk)
    defn = procedure.draft_form or {"pages": []}
    form = PageForm(_post(request), defn=defn)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        procedure, error = _apply(request, pk, lambda d: editing.add_page(
            d, page_id=data["page_id"], title=data["title"], condition=data["condition"]), check=False)
        if error is None:
            messages.success(request, _("La page « %(title)s » est ajoutée.") % {"title": data["title"]})
            return redirect(_builder_url(procedure, f"page-{data['page_id']}"))
        form.add_error(None, error)
    return render(request, "procedures/admin/page_form.html", {"procedure": procedure, "form": form, "page": None})


@org_admin_required
def page_edit(request, pk, page_id):
    procedure = _procedure(request, pk)
    defn = procedure.draft_form or {"pages": []}
    page = find_page(defn, page_id)
    if page is None:
        raise Http404
    form = PageForm(_post(request), defn=defn, page=page)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        procedure, error = _apply(request, pk, lambda d: editing.update_page(
            d, page_id, title=data["title"], condition=data["condition"]))
        if error is None:
            messages.success(request, _("La page « %(title)s » est enregistrée.") % {"title": data["title"]})
            return redirect(_builder_url(procedure, f"page-{page_id}"))
        form.add_error(None, error)
    return render(request, "procedures/admin/page_form.html", {"procedure": procedure, "form": form, "page": page})


def _find_block(defn, block_id):
    for page in pages(defn):
        for field in page_fields(page):
            if field.get("id") == block_id and field.get("type") == "block":
                return page, field
    raise Http404


def _field_type_or_chooser(request, procedure, in_block, context):
    kind = request.GET.get("type") or request.POST.get("type")
    allowed = [value for value, _label in builder.type_choices(in_block)]
    if kind not in allowed:
        chooser = NewFieldForm(request.GET if "type" in request.GET else None, in_block=in_block)
        if "type" in request.GET:
            chooser.is_valid()
        return None, render(request, "procedures/admin/field_type.html",
                            {"procedure": procedure, "form": chooser, **context})
    return kind, None


@org_admin_required
def field_add(request, pk, page_id, block_id=None):
    procedure = _procedure(request, pk)
    defn = procedure.draft_form or {"pages": []}
    block = None
    if block_id is not None:
        page, block = _find_block(defn, block_id)
        page_id = page.get("id")
    else:
        page = find_page(defn, page_id)
        if page is None:
            raise Http404
    context = {"page": page, "block": block}
    kind, chooser = _field_type_or_chooser(request, procedure, block is not None, context)
    if chooser is not None:
        return chooser
    form = FieldForm(_post(request), kind=kind, defn=defn, block=block)
    if request.method == "POST" and form.is_valid():
        new_field = form.new_field()
        procedure, error = _apply(request, pk, lambda d: editing.add_field(
            d, page_id, new_field, block_id=block_id))
        if error is None:
            messages.success(request, _("Le champ « %(label)s » est ajouté.")
                             % {"label": new_field.get("label") or new_field["id"]})
            return redirect(_builder_url(procedure, f"champ-{block_id or new_field['id']}"))
        form.add_error(None, error)
    return render(request, "procedures/admin/field_form.html", {
        "procedure": procedure, "form": form, "kind": kind, "type_label": builder.type_label(kind),
        "field": None, **context,
    })


@org_admin_required
def field_edit(request, pk, field_id, block_id=None):
    procedure = _procedure(request, pk)
    defn = procedure.draft_form or {"pages": []}
    block = None
    if block_id is not None:
        page, block = _find_block(defn, block_id)
        field = next((item for item in page_fields(block) if item.get("id") == field_id), None)
    else:
        page, field = next(((p, f) for p in pages(defn) for f in page_fields(p) if f.get("id") == field_id),
                           (None, None))
    if field is None:
        raise Http404
    kind = field.get("type")
    form = FieldForm(_post(request), kind=kind, defn=defn, field=field, block=block)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        procedure, error = _apply(request, pk, lambda d: editing.update_field(
            d, field_id, changes, block_id=block_id))
        if error is None:
            messages.success(request, _("Le champ « %(label)s » est enregistré.")
                             % {"label": changes.get("label") or field_id})
            return redirect(_builder_url(procedure, f"champ-{block_id or field_id}"))
        form.add_error(None, error)
    return render(request, "procedures/admin/field_form.html", {
        "procedure": procedure, "form": form, "kind": kind, "type_label": builder.type_label(kind),
        "field": field, "page": page, "block": block,
    })


@org_admin_required
@require_POST
def item_move(request, pk):
    item_id = request.POST.get("item", "")
    direction = request.POST.get("direction", "")
    block_id = request.POST.get("block") or None
    if direction not in ("up", "down") or not item_id:
        messages.error(request, _("Déplacement impossible : élément ou sens inconnu."))
        return redirect(_builder_url(_procedure(request, pk)))
    procedure, error = _apply(request, pk, lambda d: editing.move(d, item_id, direction=direction,
                                                                   block_id=block_id), check=False)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("L'élément est déplacé vers le haut.") if direction == "up"
                         else _("L'élément est déplacé vers le bas."))
    anchor = f"champ-{block_id}" if block_id else (f"page-{item_id}" if find_page(procedure.draft_form, item_id)
                                                    else f"champ-{item_id}")
    return redirect(_builder_url(procedure, anchor))


@org_admin_required
def item_delete(request, pk):
    procedure = _procedure(request, pk)
    source = request.POST if request.method == "POST" else request.GET
    item_id = source.get("item", "")
    block_id = source.get("block") or None
    defn = procedure.draft_form or {"pages": []}
    if block_id:
        _page, block = _find_block(defn, block_id)
        item = next((field for field in page_fields(block) if field.get("id") == item_id), None)
        is_page = False
    else:
        item = find_page(defn, item_id)
        is_page = item is not None
        if item is None:
            item = next((field for page in pages(defn) for field in page_fields(page) if field.get("id") == item_id),
                        None)
    if item is None:
        raise Http404
    if request.method == "POST":
        procedure, error = _apply(request, pk, lambda d: editing.delete(d, item_id, block_id=block_id),
                                  check=False)
        if error is None:
            messages.success(request, _("« %(label)s » est supprimé du formulaire.")
                             % {"label": item.get("title") or item.get("label") or item_id})
            return redirect(_builder_url(procedure))
        messages.error(request, error)
    return render(request, "procedures/admin/item_delete.html", {
        "procedure": procedure, "item": item, "item_id": item_id, "block_id": block_id, "is_page": is_page,
    })


@org_admin_required
def form_preview(request, pk):
    """A page of the working copy as a citizen sees it. Answers tried on a page are kept (in the session) so that
    the conditions of the following pages can be tried too; nothing is saved in the database."""
    procedure = _procedure(request, pk)
    defn = procedure.draft_form or {"pages": []}
    all_pages = pages(defn)
    if not all_pages:
        messages.error(request, _("Le formulaire n'a aucune page à prévisualiser."))
        return redirect(_builder_url(procedure))
    page_id = request.GET.get("page") or all_pages[0].get("id")
    page = find_page(defn, page_id)
    if page is None:
        raise Http404
    session_key = PREVIEW_SESSION_KEY % procedure.pk
    answers = request.session.get(session_key) or {}
    if request.method == "POST" and request.POST.get("reset"):
        request.session.pop(session_key, None)
        messages.success(request, _("Les réponses d'essai sont effacées."))
        return redirect(f"{reverse('procedures_admin:preview', args=[procedure.pk])}?page={page_id}")
    problems = services.form_problems(defn)
    form, checked = None, False
    if not problems:
        data = _post(request)
        form = build_page_form(defn, page_id, answers=answers, prefill={}, files_offered={}, data=data)
        if data is not None and form.is_valid():
            checked = True
            answers = {**answers, **form.page_answers}
            request.session[session_key] = answers
    hidden = [
        {"label": field.get("label") or field.get("id"),
         "condition": builder.describe_condition(field.get("condition"), defn)}
        for field in page_fields(page)
        if field.get("condition") and not is_visible(field, visible_answers(defn, answers))
    ]
    return render(request, "procedures/admin/preview.html", {
        "procedure": procedure, "page": page, "pages": all_pages, "form": form, "problems": problems,
        "checked": checked, "condition": builder.describe_condition(page.get("condition"), defn),
        "page_visible": is_visible(page, visible_answers(defn, answers)), "hidden": hidden,
        "has_answers": bool(answers),
    })


# --- publication, versions, export -------------------------------------------------------------------------------


@org_admin_required
def procedure_publish(request, pk):
    procedure = _procedure(request, pk)
    problems = []
    if request.method == "POST":
        try:
            version = services.publish(procedure, request.user)
        except services.PublicationRefused as refused:
            problems = refused.problems
        else:
            messages.success(request, _("La démarche est publiée (version %(number)s).") % {"number": version.number})
            return redirect("procedures_admin:detail", procedure.pk)
    else:
        problems = services.publication_problems(procedure)
    return render(request, "procedures/admin/publish.html", {
        "procedure": procedure, "problems": problems, "warnings": services.publication_warnings(procedure),
        "unpublished": services.has_unpublished_changes(procedure),
    }, status=400 if request.method == "POST" else 200)


@org_admin_required
@require_POST
def procedure_archive(request, pk):
    procedure = _procedure(request, pk)
    if procedure.state == Procedure.State.PUBLISHED:
        services.archive(procedure)
        messages.success(request, _("La démarche est archivée : les usagers ne la voient plus ; les demandes déjà "
                                    "faites continuent d'être traitées."))
    else:
        messages.error(request, _("Seule une démarche publiée peut être archivée."))
    return redirect("procedures_admin:detail", procedure.pk)


@org_admin_required
def version_list(request, pk):
    procedure = _procedure(request, pk)
    versions = (
        procedure.versions.select_related("published_by", "service")
        .annotate(request_count=Count("requests", filter=Q(requests__state="submitted")))
        .order_by("-number")
    )
    return render(request, "procedures/admin/versions.html", {"procedure": procedure, "versions": versions})


@org_admin_required
def version_detail(request, pk, number):
    procedure = _procedure(request, pk)
    version = get_object_or_404(ProcedureVersion.objects.of(request.organisation).filter(procedure=procedure),
                                number=number)
    return render(request, "procedures/admin/version.html", {
        "procedure": procedure, "version": version, "pages": _page_rows(version.form),
        "deadline": services.deadline_in_words(version),
        "statuses": [status for status in (version.workflow or {}).get("statuses", []) if isinstance(status, dict)],
    })


@org_admin_required
def procedure_export(request, pk):
    procedure = _procedure(request, pk)
    version = None
    if request.GET.get("version"):
        version = get_object_or_404(procedure.versions.all(), number=request.GET["version"]) \
            if request.GET["version"].isdigit() else None
        if version is None:
            raise Http404
    response = HttpResponse(exchange.export_json(procedure, version), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exchange.export_filename(procedure, version)}"'
    return response


# --- import --------------------------------------------------------------------------------------------------------


@org_admin_required
def procedure_import(request):
    form = ImportForm(_post(request), request.FILES if request.method == "POST" else None)
    problems = []
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        try:
            result = exchange.import_procedure(request.organisation, content, request.user,
                                               slug=form.cleaned_data.get("slug") or None)
        except exchange.ImportFailed as failed:
            problems = failed.problems
        else:
            messages.success(request, _("La démarche « %(title)s » est importée en brouillon : vérifiez-la puis "
                                        "publiez-la.") % {"title": result.procedure.title})
            for notice in result.notices:
                messages.info(request, notice)
            return redirect("procedures_admin:detail", result.procedure.pk)
    return render(request, "procedures/admin/import.html", {"form": form, "problems": problems},
                  status=400 if problems else 200)


@org_admin_required
def catalogue_import(request):
    entries = exchange.catalogue_entries()
    present = set(_procedures(request).values_list("slug", flat=True))
    problems, failed_entry = [], None
    if request.method == "POST":
        form = CatalogueImportForm(request.POST)
        entry = exchange.catalogue_entry(request.POST.get("key", "")) if form.is_valid() else None
        if entry is None:
            messages.error(request, _("Cette démarche n'existe pas dans le catalogue Guichet."))
            return redirect("procedures_admin:catalogue")
        publish = form.cleaned_data["publish"]
        try:
            result = exchange.import_catalogue_procedure(request.organisation, entry.key, request.user,
                                                         publish=publish)
        except exchange.ImportFailed as failed:
            problems, failed_entry = failed.problems, entry
        else:
            messages.success(request, (_("La démarche « %(title)s » est importée et publiée.") if publish else
                                       _("La démarche « %(title)s » est importée en brouillon."))
                             % {"title": result.procedure.title})
            for notice in result.notices:
                messages.info(request, notice)
            return redirect("procedures_admin:detail", result.procedure.pk)
    rows = [{"entry": entry, "present": entry.slug in present} for entry in entries]
    return render(request, "procedures/admin/catalogue.html", {
        "rows": rows, "problems": problems, "failed_entry": failed_entry,
    }, status=400 if problems else 200)

