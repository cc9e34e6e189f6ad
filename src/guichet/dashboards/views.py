"""`/agents/tableaux-de-bord/`: the read-only dashboard of an elected member's remit or of the whole collectivité."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from guichet.agents.permissions import agent_required

from . import services
from .forms import DashboardFilterForm


@require_GET
@agent_required
def dashboard(request):
    remit = services.remit_of(request.user, request.organisation)
    if remit is None:
        raise PermissionDenied
    today = timezone.localdate()
    form = DashboardFilterForm(request.GET or None, services=remit.services, today=today)
    board = None
    if not form.is_bound:
        board = services.cached_build(request.organisation, remit, start=form.default_start, end=form.default_end,
                               today=today)
    elif form.is_valid():
        board = services.cached_build(request.organisation, remit, start=form.cleaned_data["start"],
                               end=form.cleaned_data["end"], service=form.chosen_service(), today=today)
    return render(request, "dashboards/dashboard.html", {
        "form": form, "board": board, "remit": remit, "cache_minutes": services.cache_seconds() // 60,
    }, status=200 if board is not None else 400)
