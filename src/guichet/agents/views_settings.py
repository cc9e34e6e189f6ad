"""The collectivité's own settings, edited by its administrators (the rest is the platform operator's)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from guichet.organisations.models import Organisation

from . import services
from .forms import OrganisationSettingsForm
from .permissions import org_admin_required


@org_admin_required
def organisation_settings(request):
    # A copy: a refused form must not repaint the page with the colours or name it refused.
    organisation = Organisation.objects.get(pk=request.organisation.pk)
    old_logo = organisation.logo.name
    form = OrganisationSettingsForm(request.POST or None, request.FILES or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        services.discard_replaced_logo(organisation, old_logo)
        messages.success(request, _("Les réglages de la collectivité sont enregistrés."))
        return redirect("agents:organisation_settings")
    return render(request, "agents/admin/organisation_settings.html", {"form": form})
