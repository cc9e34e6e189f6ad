"""The citizens' FAQ (under /questions-frequentes/, namespace `knowledge_public`): the public sheets of the
collectivité by theme, a search box (a plain GET form), each sheet on its page with the related procedures
that citizens can open. A private sheet, or one of another collectivité, is a 404 whatever its id or slug."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from . import services
from .models import Theme
from .search import search_results

SEARCH_LIMIT = 30
PER_THEME = 30  # questions of each theme on the FAQ's home (the theme's page, ?theme=<id>, lists them all)


@require_http_methods(["GET"])
def faq(request):
    organisation = request.organisation
    query = request.GET.get("q", "")
    results, error = search_results(organisation, query, public_only=True, limit=SEARCH_LIMIT)
    theme = None
    if request.GET.get("theme", "").isdigit():
        theme = Theme.objects.of(organisation).filter(pk=int(request.GET["theme"][:18])).first()
        if theme is None:
            raise Http404
    groups = [] if query.strip() else services.themes_with_sheets(
        organisation, public_only=True, theme=theme, per_theme=None if theme else PER_THEME)
    return render(request, "knowledge/public/index.html", {
        "groups": groups, "theme": theme,
        "query": query, "results": results, "error": error, "searched": bool(query.strip()),
    }, status=400 if error else 200)


@require_http_methods(["GET"])
def sheet(request, pk, slug=None):
    found = get_object_or_404(services.sheets_of(request.organisation, public_only=True), pk=pk)
    if slug != found.slug:
        return redirect("knowledge_public:sheet", pk=found.pk, slug=found.slug, permanent=True)
    procedures = [procedure for procedure, visible in services.sheet_procedures(found) if visible]
    return render(request, "knowledge/public/sheet.html", {"sheet": found, "procedures": procedures})
