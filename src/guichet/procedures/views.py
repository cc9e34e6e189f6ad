"""Citizens' pages: the catalogue of procedures (by theme, searchable) and each procedure's page."""

from django.shortcuts import get_object_or_404, render

from . import services
from .forms_public import CatalogueSearchForm
from .models import Procedure, Theme, WhoMaySubmit
from .text import search_terms


def visible_procedures(organisation):
    """Published procedures citizens may see (agents-only ones are not listed)."""
    return (
        Procedure.objects.of(organisation)
        .filter(state=Procedure.State.PUBLISHED, current_version__isnull=False)
        .exclude(current_version__who_may_submit=WhoMaySubmit.AGENTS)
        .select_related("current_version")
    )


def catalogue(request):
    form = CatalogueSearchForm(request.GET or None)
    query, theme = "", ""
    if form.is_valid():
        query, theme = form.cleaned_data.get("q") or "", form.cleaned_data.get("theme") or ""
    procedures = visible_procedures(request.organisation)
    for term in search_terms(query):
        procedures = procedures.filter(search_text__contains=term)
    procedures = list(procedures.order_by("title"))  # one query, whatever the number of procedures
    counts = {}
    for procedure in procedures:
        counts[procedure.theme] = counts.get(procedure.theme, 0) + 1
    themes = [(value, label, counts[value]) for value, label in Theme.choices if value in counts]
    if theme:
        procedures = [procedure for procedure in procedures if procedure.theme == theme]
    groups = []
    for value, label in Theme.choices:
        items = [procedure for procedure in procedures if procedure.theme == value]
        if items:
            groups.append({"theme": value, "label": label, "procedures": items})
    return render(request, "procedures/catalogue.html", {
        "form": form, "query": query, "theme": theme, "theme_label": Theme(theme).label if theme else "",
        "themes": themes, "groups": groups, "count": len(procedures), "searching": bool(query or theme),
    })


def detail(request, slug):
    procedure = get_object_or_404(visible_procedures(request.organisation).select_related("service"), slug=slug)
    version = procedure.current_version
    return render(request, "procedures/detail.html", {
        "procedure": procedure,
        "version": version,
        "deadline": services.deadline_in_words(version),
        "silence": services.silence_in_words(version),
        "anyone": version.who_may_submit == WhoMaySubmit.ANYONE,
    })
