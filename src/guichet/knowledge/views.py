"""Agents' pages of the knowledge base (under /agents/connaissances/, namespace `knowledge`).

Every query starts from `request.organisation`; a sheet or theme of another collectivité is a 404. Every
verified agent reads every sheet; writing follows `services.may_write` (403 otherwise); themes are managed by
administrators. The search (`knowledge:search?q=…`) with `&partial=1` answers only the results fragment
`knowledge/_results.html`, which the contact centre's call screen inserts into its page.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guichet.agents.permissions import agent_required, org_admin_required

from . import services
from .forms import SheetForm, ThemeForm
from .models import SheetVersion, Theme
from .search import search_results

SEARCH_LIMIT = 30
PER_THEME = 50  # sheets of each theme on the unfiltered list (the theme's own page lists them all)
PARTIAL_LIMIT = 10


def _int(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _sheet(request, pk):
    return get_object_or_404(services.sheets_of(request.organisation), pk=pk)


@agent_required
@require_http_methods(["GET"])
def sheet_list(request):
    organisation = request.organisation
    themes = list(Theme.objects.of(organisation))
    theme = None
    if request.GET.get("theme"):
        theme = next((item for item in themes if item.pk == _int(request.GET["theme"])), None)
        if theme is None:
            messages.error(request, _("Ce thème n'existe pas : toutes les fiches sont affichées."))
    only_to_review = request.GET.get("a_relire") == "1"
    return render(request, "knowledge/list.html", {
        "groups": services.themes_with_sheets(organisation, theme=theme, only_to_review=only_to_review,
                                              themes=themes, per_theme=None if theme else PER_THEME),
        "themes": themes, "theme": theme, "only_to_review": only_to_review,
        "to_review_count": services.to_review(services.sheets_of(organisation)).count(),
        "may_write": services.may_write(request.user, organisation),
        "may_manage_themes": services.may_manage_themes(request.user, organisation),
    })


@agent_required
@require_http_methods(["GET"])
def search(request):
    query = request.GET.get("q", "")
    partial = request.GET.get("partial") == "1"
    results, error = search_results(request.organisation, query, limit=PARTIAL_LIMIT if partial else SEARCH_LIMIT)
    context = {"results": results, "query": query, "error": error, "searched": bool(query.strip())}
    if partial:
        return render(request, "knowledge/_results.html", context)
    return render(request, "knowledge/search.html", context, status=400 if error else 200)


@agent_required
@require_http_methods(["GET"])
def sheet_detail(request, pk):
    sheet = _sheet(request, pk)
    return render(request, "knowledge/detail.html", {
        "sheet": sheet,
        "versions": sheet.versions.select_related("author").defer("answer"),
        "procedures": services.sheet_procedures(sheet),
        "may_write": services.may_write(request.user, request.organisation, sheet.service),
    })


def _sheet_form(request, data=None, initial=None):
    return SheetForm(data, initial=initial, organisation=request.organisation, user=request.user)


def _save(request, form, sheet=None):
    data = form.cleaned_data
    try:
        return services.save_sheet(
            request.organisation, request.user, question=data["question"], answer=data["answer"],
            theme=data["theme"], service=data["service"], is_public=data["is_public"], review_on=data["review_on"],
            procedures=data["procedures"], sheet=sheet,
            expected_version=data.get("base_version") if sheet is not None else None,
        )
    except services.KnowledgeRefused as refused:
        form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        return None


@agent_required
@require_http_methods(["GET", "POST"])
def sheet_create(request):
    organisation = request.organisation
    if not services.may_write(request.user, organisation):
        raise PermissionDenied
    if not Theme.objects.of(organisation).exists():
        return render(request, "knowledge/no_theme.html", {
            "may_manage_themes": services.may_manage_themes(request.user, organisation)})
    if request.method == "POST":
        form = _sheet_form(request, request.POST)
        if form.is_valid() and (sheet := _save(request, form)) is not None:
            messages.success(request, _("La fiche « %(question)s » est enregistrée.") % {"question": sheet.question})
            return redirect("knowledge:detail", sheet.pk)
        return render(request, "knowledge/form.html", {"form": form}, status=400)
    initial = {}
    if (theme := _int(request.GET.get("theme"))) is not None:
        initial["theme"] = theme
    return render(request, "knowledge/form.html", {"form": _sheet_form(request, initial=initial)})


@agent_required
@require_http_methods(["GET", "POST"])
def sheet_edit(request, pk):
    sheet = _sheet(request, pk)
    if not services.may_write(request.user, request.organisation, sheet.service):
        raise PermissionDenied
    if request.method == "POST":
        form = _sheet_form(request, request.POST)
        if form.is_valid() and _save(request, form, sheet) is not None:
            messages.success(request, _("La fiche « %(question)s » est enregistrée.") % {
                "question": form.cleaned_data["question"]})
            return redirect("knowledge:detail", sheet.pk)
        sheet.refresh_from_db()
        return render(request, "knowledge/form.html", {"form": form, "sheet": sheet}, status=400)
    return render(request, "knowledge/form.html", {"form": _sheet_form(request, initial=SheetForm.initial_for(sheet)),
                                                   "sheet": sheet})


def _version(sheet, number):
    version = SheetVersion.objects.of(sheet.organisation).filter(sheet=sheet, number=number).select_related(
        "author").first()
    if version is None:
        raise Http404
    return version


@agent_required
@require_http_methods(["GET"])
def version_detail(request, pk, number):
    sheet = _sheet(request, pk)
    version = _version(sheet, number)
    return render(request, "knowledge/version.html", {
        "sheet": sheet, "version": version,
        "may_write": services.may_write(request.user, request.organisation, sheet.service),
    })


@agent_required
@require_http_methods(["GET"])
def version_compare(request, pk):
    sheet = _sheet(request, pk)
    versions = list(sheet.versions.select_related("author"))
    numbers = {version.number: version for version in versions}
    older = numbers.get(_int(request.GET.get("de")))
    newer = numbers.get(_int(request.GET.get("a")))
    error = None
    if older is None or newer is None:
        if "de" in request.GET or "a" in request.GET:
            error = _("Choisissez deux versions de la liste.")
        older = numbers.get(sheet.version_number - 1) if older is None else older
        newer = numbers.get(sheet.version_number) if newer is None else newer
    if older is not None and newer is not None and older.number > newer.number:
        older, newer = newer, older
    rows = services.compare(older, newer) if older is not None and newer is not None and older != newer else []
    return render(request, "knowledge/compare.html", {
        "sheet": sheet, "versions": versions, "older": older, "newer": newer, "rows": rows, "error": error,
    }, status=400 if error else 200)


@agent_required
@require_POST
def version_restore(request, pk, number):
    sheet = _sheet(request, pk)
    if not services.may_write(request.user, request.organisation, sheet.service):
        raise PermissionDenied
    version = _version(sheet, number)
    try:
        sheet = services.restore_version(request.organisation, request.user, sheet, version)
    except services.KnowledgeRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("La version %(old)s est reprise : elle devient la version %(new)s.") % {
            "old": version.number, "new": sheet.version_number})
    return redirect("knowledge:detail", sheet.pk)


# --- themes (administrators) --------------------------------------------------------------------------


def _theme_form_errors(form, refused):
    form.add_error(refused.field if refused.field in form.fields else None, refused.message)


@org_admin_required
@require_http_methods(["GET", "POST"])
def theme_list(request):
    form = ThemeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                theme = services.save_theme(request.organisation, request.user, name=form.cleaned_data["name"],
                                            position=form.cleaned_data["position"])
            except services.KnowledgeRefused as refused:
                _theme_form_errors(form, refused)
            else:
                messages.success(request, _("Le thème « %(name)s » est créé.") % {"name": theme.name})
                return redirect("knowledge:themes")
    return render(request, "knowledge/themes.html", {
        "themes": services.themes_of(request.organisation), "form": form,
    }, status=400 if form.errors else 200)


@org_admin_required
@require_http_methods(["GET", "POST"])
def theme_edit(request, pk):
    theme = get_object_or_404(Theme.objects.of(request.organisation), pk=pk)
    form = ThemeForm(request.POST or None, initial={"name": theme.name, "position": theme.position})
    if request.method == "POST":
        if form.is_valid():
            try:
                services.save_theme(request.organisation, request.user, name=form.cleaned_data["name"],
                                    position=form.cleaned_data["position"], theme=theme)
            except services.KnowledgeRefused as refused:
                _theme_form_errors(form, refused)
            else:
                messages.success(request, _("Le thème « %(name)s » est enregistré.") % {"name": theme.name})
                return redirect("knowledge:themes")
        theme.refresh_from_db()
    return render(request, "knowledge/theme_form.html", {"theme": theme, "form": form},
                  status=400 if form.errors else 200)


@org_admin_required
@require_POST
def theme_delete(request, pk):
    theme = get_object_or_404(Theme.objects.of(request.organisation), pk=pk)
    try:
        services.delete_theme(request.organisation, request.user, theme)
    except services.KnowledgeRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Le thème « %(name)s » est supprimé.") % {"name": theme.name})
    return redirect("knowledge:themes")

