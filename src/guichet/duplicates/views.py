"""Agents' pages of duplicates: merge two requests (choosing the one kept), link and unlink, recurring problems.

The request in the URL must be one the agent may see (`requests_for_agent`, else 404), the other one too (a
code of another service or collectivité is « introuvable »); changing them needs the right to act on both.
"""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guichet.agents.permissions import agent_required
from guichet.service_requests.agent_services import requests_for_agent
from guichet.service_requests.agent_views import _request_for_agent

from . import services
from .forms import MergeForm, OtherRequestForm, RecurringForm
from .models import RequestLink

GROUPS_PER_PAGE = 50


def _other_request(http_request, service_request, form):
    """The other request named in the valid `form`, among those the agent may see, or None (error added)."""
    code = form.cleaned_data["autre"]
    if code == service_request.tracking_code:
        form.add_error("autre", _("Indiquez le numéro d'une autre demande que celle-ci."))
        return None
    other = requests_for_agent(http_request.user, http_request.organisation).select_related(
        "version", "procedure", "service", "citizen"
    ).filter(tracking_code=code).first()
    if other is None:
        form.add_error("autre", _("Aucune demande de vos services ne porte le numéro %(code)s.") % {"code": code})
    return other


@require_http_methods(["GET", "POST"])
@agent_required
def merge(http_request, code):
    """`/agents/doublons/<code>/regrouper/?autre=<code>`: compare both requests, choose the one kept, merge."""
    service_request = _request_for_agent(http_request, code)
    data = http_request.POST if http_request.method == "POST" else http_request.GET
    other_form = OtherRequestForm(data if "autre" in data else None)
    other = _other_request(http_request, service_request, other_form) if other_form.is_valid() else None
    context = {"service_request": service_request, "other_form": other_form, "other": other}
    if other is None:
        return render(http_request, "duplicates/merge.html", context, status=400 if other_form.is_bound else 200)
    initial = {"verrou_a": service_request.lock_version,
               "verrou_b": other.lock_version}
    bound = http_request.method == "POST"
    form = MergeForm(http_request.POST if bound else None, initial=initial, first=service_request, second=other)
    context.update(form=form, requests=[service_request, other])
    if bound and form.is_valid():
        if form.cleaned_data["principale"] == service_request.tracking_code:
            main, merged, expected = service_request, other, form.cleaned_data["verrou_b"]
        else:
            main, merged, expected = other, service_request, form.cleaned_data["verrou_a"]
        try:
            services.merge(main, merged, http_request.user, form.cleaned_data["message"],
                           expected_lock_version=expected)
        except services.DuplicateActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(http_request, _(
                "La demande %(merged)s est regroupée dans la demande %(main)s ; son usager en est informé."
            ) % {"merged": merged.tracking_code, "main": main.tracking_code})
            return redirect("agent_requests:detail", code=main.tracking_code)
    return render(http_request, "duplicates/merge.html", context, status=400 if bound else 200)


@require_http_methods(["GET", "POST"])
@agent_required
def link(http_request, code):
    """`/agents/doublons/<code>/lier/`: link this request to another one (tracking code)."""
    service_request = _request_for_agent(http_request, code)
    form = OtherRequestForm(http_request.POST if http_request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        other = _other_request(http_request, service_request, form)
        if other is not None:
            try:
                services.link(service_request, other, http_request.user)
            except services.DuplicateActionRefused as refusal:
                form.add_error("autre", refusal.message)
            else:
                messages.success(http_request, _("Les demandes %(a)s et %(b)s sont liées.") % {
                    "a": service_request.tracking_code, "b": other.tracking_code})
                return redirect("agent_requests:detail", code=service_request.tracking_code)
    return render(http_request, "duplicates/link.html", {"service_request": service_request, "form": form},
                  status=400 if form.is_bound else 200)


@require_POST
@agent_required
def unlink(http_request, code, pk):
    """`/agents/doublons/<code>/liens/<pk>/retirer/` (POST): remove a link of this request."""
    service_request = _request_for_agent(http_request, code)
    request_link = get_object_or_404(
        RequestLink.objects.of(http_request.organisation).filter(Q(first=service_request) | Q(second=service_request))
        .select_related("first", "second"),
        pk=pk,
    )
    other = request_link.other(service_request)
    try:
        services.unlink(request_link, http_request.user)
    except services.DuplicateActionRefused as refusal:
        messages.error(http_request, refusal.message)
    else:
        messages.success(http_request, _("Le lien avec la demande %(code)s est retiré.") % {
            "code": other.tracking_code})
    return redirect("agent_requests:detail", code=service_request.tracking_code)


def queue_link(group, place, start, end):
    """The queue filtered on the group's procedure, place and period (open and closed requests)."""
    params = {"procedure": group["procedure_id"], place: group["place_value"], "state": "all",
              "submitted_from": start.date().isoformat(), "submitted_to": end.date().isoformat()}
    return f"{reverse('agent_requests:list')}?{urlencode(params)}"


@require_GET
@agent_required
def recurring(http_request):
    """`/agents/doublons/recurrents/`: where the same problem keeps coming back (groups by procedure and place)."""
    form = RecurringForm(http_request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(http_request, "duplicates/recurring.html", {"form": form, "page": None}, status=400)
    if not form.is_bound:
        form = RecurringForm({"periode": "90", "lieu": "district", "seuil": "3"})
        form.is_valid()
    start, end = form.period()
    place = form.cleaned_data["lieu"]
    groups = services.recurring_problems(
        requests_for_agent(http_request.user, http_request.organisation), start, end, place,
        form.cleaned_data["seuil"],
    )
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(http_request.GET.get("page"))
    last_day = end - datetime.timedelta(days=1)
    rows = [{**group, "queue_url": queue_link(group, place, start, last_day)} for group in page.object_list]
    return render(http_request, "duplicates/recurring.html", {
        "form": form, "page": page, "rows": rows, "place": place, "start": start, "last_day": last_day,
        "threshold": form.cleaned_data["seuil"],
    })
