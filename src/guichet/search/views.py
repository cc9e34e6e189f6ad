"""The agents' search page: /agents/recherche/?q=…"""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from guichet.agents.permissions import agent_required

from .forms import SearchForm
from .services import exact_match, results_page

RESULTS_PER_PAGE = 50


@require_GET
@agent_required
def results(request):
    """The search box and, once something is searched, the matching requests the agent may see (a tracking code
    of one of them opens it directly)."""
    form = SearchForm(request.GET if "q" in request.GET else None)
    page = None
    if form.is_bound and form.is_valid():
        match = exact_match(request.user, request.organisation, form.terms)
        if match is not None:
            return redirect("agent_requests:detail", match.tracking_code)
        page = results_page(request.user, request.organisation, form.terms, request.GET.get("page") or 1,
                            RESULTS_PER_PAGE)
    return render(request, "search/results.html", {"form": form, "page": page})
