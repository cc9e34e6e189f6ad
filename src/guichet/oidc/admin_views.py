"""Administrators' pages: the collectivité's identity providers (list, create, edit, delete).

Every page is for the collectivité's administrators (password + TOTP) and only ever sees its own providers:
another collectivité's provider id gives 404.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guichet.agents.permissions import org_admin_required

from . import services
from .forms import IdentityProviderForm
from .models import IdentityProvider


def _providers(request):
    return IdentityProvider.objects.of(request.organisation).order_by("name", "pk")


@org_admin_required
def provider_list(request):
    return render(request, "oidc/admin/provider_list.html", {
        "providers": _providers(request), "redirect_uri": services.redirect_uri(request),
    })


def _edit(request, provider):
    form = IdentityProviderForm(request.POST or None, instance=provider, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Le fournisseur « %(name)s » est enregistré.") % {"name": saved.name})
        return redirect("oidc_admin:list")
    return render(request, "oidc/admin/provider_form.html", {
        "form": form, "provider": provider, "redirect_uri": services.redirect_uri(request),
    })


@org_admin_required
@require_http_methods(["GET", "POST"])
def provider_create(request):
    return _edit(request, None)


@org_admin_required
@require_http_methods(["GET", "POST"])
def provider_edit(request, pk):
    return _edit(request, get_object_or_404(_providers(request), pk=pk))


@org_admin_required
@require_http_methods(["GET", "POST"])
def provider_delete(request, pk):
    provider = get_object_or_404(_providers(request), pk=pk)
    if request.method == "POST":
        name = provider.name
        provider.delete()
        messages.success(request, _("Le fournisseur « %(name)s » est supprimé.") % {"name": name})
        return redirect("oidc_admin:list")
    return render(request, "oidc/admin/provider_confirm_delete.html", {
        "provider": provider, "identity_count": provider.identities.count(),
    })
