"""Pages of the collectivité's administrators: services, agents and roles.

Every object is looked up within request.organisation: another collectivité's ids give 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet.accounts.models import User

from . import services
from .forms import AgentForm, ServiceForm
from .models import Service
from .permissions import org_admin_required

AGENTS_PER_PAGE = 20


def _agents(request):
    return User.objects.filter(organisation=request.organisation, kind=User.Kind.AGENT)


@org_admin_required
def admin_home(request):
    context = {
        "service_count": Service.objects.of(request.organisation).filter(is_active=True).count(),
        "agent_count": _agents(request).filter(is_active=True).count(),
    }
    return render(request, "agents/admin/home.html", context)


# --- Services -----------------------------------------------------------------------------------------------


@org_admin_required
def service_list(request):
    services_qs = Service.objects.of(request.organisation).annotate(member_count=Count("memberships")).order_by(
        "-is_active", "name"
    )
    return render(request, "agents/admin/service_list.html", {"services": services_qs})


@org_admin_required
def service_create(request):
    form = ServiceForm(request.POST or None, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        service = form.save()
        messages.success(request, _("Le service « %(name)s » est créé.") % {"name": service.name})
        return redirect("agents:service_list")
    return render(request, "agents/admin/service_form.html", {"form": form})


@org_admin_required
def service_edit(request, pk):
    service = get_object_or_404(Service.objects.of(request.organisation), pk=pk)
    form = ServiceForm(request.POST or None, instance=service, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Le service « %(name)s » est enregistré.") % {"name": service.name})
        return redirect("agents:service_list")
    return render(request, "agents/admin/service_form.html", {"form": form, "service": service})


@require_POST
@org_admin_required
def service_toggle(request, pk):
    service = get_object_or_404(Service.objects.of(request.organisation), pk=pk)
    services.set_service_active(service, not service.is_active)
    if service.is_active:
        messages.success(request, _("Le service « %(name)s » est réactivé.") % {"name": service.name})
    else:
        messages.success(
            request,
            _("Le service « %(name)s » est désactivé : il n'apparaît plus aux agents, ses membres restent "
              "enregistrés.") % {"name": service.name},
        )
    return redirect("agents:service_list")


# --- Agents -------------------------------------------------------------------------------------------------


@org_admin_required
def agent_list(request):
    search = request.GET.get("q", "").strip()
    paginator = Paginator(services.agents_of(request.organisation, search), AGENTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "agents/admin/agent_list.html", {"page": page, "search": search})


@org_admin_required
def agent_create(request):
    form = AgentForm(request.POST or None, organisation=request.organisation, actor=request.user)
    if request.method == "POST" and form.is_valid():
        agent = services.create_agent(request.organisation, form.identity(), form.roles())
        services.send_invitation(request, agent)
        messages.success(
            request,
            _("Le compte de %(name)s est créé : une invitation à choisir son mot de passe a été envoyée à "
              "%(email)s.") % {"name": agent.get_full_name(), "email": agent.email},
        )
        return redirect("agents:agent_edit", pk=agent.pk)
    return render(request, "agents/admin/agent_form.html", {"form": form})


@org_admin_required
def agent_edit(request, pk):
    agent = get_object_or_404(_agents(request), pk=pk)
    form = AgentForm(request.POST or None, instance=agent, organisation=request.organisation, actor=request.user)
    if request.method == "POST" and form.is_valid():
        services.update_agent(agent, form.identity(), form.roles())
        messages.success(request, _("Le compte de %(name)s est enregistré.") % {"name": agent.get_full_name()})
        return redirect("agents:agent_edit", pk=agent.pk)
    context = {
        "form": form,
        "agent": agent,
        "has_device": services.confirmed_device(agent) is not None,
        "can_deactivate": services.can_deactivate(request.user, agent),
    }
    return render(request, "agents/admin/agent_form.html", context)


@require_POST
@org_admin_required
def agent_toggle(request, pk):
    agent = get_object_or_404(_agents(request), pk=pk)
    if agent.is_active and not services.can_deactivate(request.user, agent):
        messages.error(
            request,
            _("Vous ne pouvez pas désactiver votre propre compte : demandez-le à un autre administrateur."),
        )
        return redirect("agents:agent_edit", pk=agent.pk)
    services.set_agent_active(agent, not agent.is_active)
    if agent.is_active:
        messages.success(request, _("Le compte de %(name)s est réactivé.") % {"name": agent.get_full_name()})
    else:
        messages.success(
            request,
            _("Le compte de %(name)s est désactivé : il ne peut plus se connecter.") % {"name": agent.get_full_name()},
        )
    return redirect("agents:agent_edit", pk=agent.pk)


@require_POST
@org_admin_required
def agent_reset_totp(request, pk):
    agent = get_object_or_404(_agents(request), pk=pk)
    services.reset_totp(agent)
    messages.success(
        request,
        _("La double authentification de %(name)s est réinitialisée : à sa prochaine connexion, il ou elle "
          "enregistrera une nouvelle application.") % {"name": agent.get_full_name()},
    )
    return redirect("agents:agent_edit", pk=agent.pk)


@require_POST
@org_admin_required
def agent_invite(request, pk):
    agent = get_object_or_404(_agents(request), pk=pk)
    if not agent.is_active:
        messages.error(request, _("Réactivez d'abord ce compte pour lui envoyer une invitation."))
        return redirect("agents:agent_edit", pk=agent.pk)
    services.send_invitation(request, agent)
    messages.success(
        request,
        _("Un lien pour choisir un nouveau mot de passe a été envoyé à %(email)s.") % {"email": agent.email},
    )
    return redirect("agents:agent_edit", pk=agent.pk)
