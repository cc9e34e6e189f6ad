"""Administrators' pages of the API clients (/agents/admin/api/, namespace `api_clients`).

Only administrators of the host's collectivité (`org_admin_required`); every client is looked up in
`request.organisation` (another collectivité's client is a 404). A clear secret appears only in the answer to the
creation or the renewal, never again; those answers and the list are `Cache-Control: no-store`. The rules live
in `services`.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guichet.agents.permissions import org_admin_required

from . import services
from .forms import ApiClientForm
from .models import ApiClient


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _client_or_404(request, pk):
    if not 0 < pk < 2**63:
        raise Http404
    return get_object_or_404(ApiClient.objects.of(request.organisation), pk=pk)


def _endpoints(request):
    return {
        "api_url": request.build_absolute_uri("/api/v1/"),
        "docs_url": request.build_absolute_uri("/api/v1/docs"),
        "open311_url": request.build_absolute_uri("/open311/v2/"),
    }


@org_admin_required
@require_http_methods(["GET"])
def client_list(request):
    clients = list(services.with_current_calls(
        ApiClient.objects.of(request.organisation).select_related("created_by").prefetch_related("services")))
    for client in clients:
        client.rate_limited = services.is_rate_limited(client)
    return _no_store(render(request, "api_clients/list.html", {"clients": clients, **_endpoints(request)}))


def _secret_page(request, client, clear, renewed=False):
    return _no_store(render(request, "api_clients/secret.html", {
        "client": client, "clear": clear, "renewed": renewed, **_endpoints(request)}))


def _data(form):
    data = form.cleaned_data
    return {"name": data["name"], "description": data["description"], "scopes": data["scopes"],
            "services": list(data["services"]), "rate_limit": data["rate_limit"]}


@org_admin_required
@require_http_methods(["GET", "POST"])
def client_create(request):
    form = ApiClientForm(request.POST or None, organisation=request.organisation)
    if request.method == "POST":
        if form.is_valid():
            client, clear = services.create_client(request.organisation, created_by=request.user, **_data(form))
            return _secret_page(request, client, clear)
        return _no_store(render(request, "api_clients/form.html", {"form": form}, status=400))
    return _no_store(render(request, "api_clients/form.html", {"form": form}))


@org_admin_required
@require_http_methods(["GET", "POST"])
def client_edit(request, pk):
    client = _client_or_404(request, pk)
    form = ApiClientForm(request.POST or None, organisation=request.organisation, client=client)
    if request.method == "POST":
        if form.is_valid():
            services.update_client(client, **_data(form))
            messages.success(request, _("Le client « %(name)s » est enregistré.") % {"name": client.name})
            return redirect("api_clients:list")
        return _no_store(render(request, "api_clients/form.html", {"form": form, "client": client}, status=400))
    return _no_store(render(request, "api_clients/form.html", {"form": form, "client": client}))


@org_admin_required
@require_http_methods(["GET", "POST"])
def client_revoke(request, pk):
    client = _client_or_404(request, pk)
    if request.method == "POST":
        services.revoke_client(client, by=request.user)
        messages.success(request, _("Le client « %(name)s » est révoqué : ses appels sont refusés dès maintenant.")
                         % {"name": client.name})
        return redirect("api_clients:list")
    return _no_store(render(request, "api_clients/confirm.html", {"client": client, "action": "revoke"}))


@org_admin_required
@require_http_methods(["GET", "POST"])
def client_renew(request, pk):
    client = _client_or_404(request, pk)
    if request.method == "POST":
        try:
            clear = services.renew_secret(client)
        except ValidationError as refused:
            messages.error(request, refused.messages[0])
            return redirect("api_clients:list")
        return _secret_page(request, client, clear, renewed=True)
    if not client.is_active:
        messages.error(request, _("Ce client est révoqué : son secret ne peut plus être renouvelé."))
        return redirect(reverse("api_clients:list"))
    return _no_store(render(request, "api_clients/confirm.html", {"client": client, "action": "renew"}))
