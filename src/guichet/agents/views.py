"""Agents' sign-in (password, then TOTP code), enrolment of their application, and their home page."""

from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from . import services
from .forms import LoginForm, TokenForm
from .models import Membership
from .permissions import agent_required, is_verified_agent


def _restart(request):
    messages.error(
        request,
        _("Votre connexion n'est plus en cours (elle expire au bout de 5 minutes) : saisissez de nouveau votre "
          "adresse électronique et votre mot de passe."),
    )
    return redirect("agents:login")


@sensitive_post_parameters("password")
@never_cache
def login(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if is_verified_agent(request.user):
        return redirect(services.safe_next_url(request, next_url))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.start_pending_login(request, form.user, next_url)
        if services.confirmed_device(form.user) is None:
            return redirect("agents:totp_setup")
        return redirect("agents:verify")
    return render(request, "agents/login.html", {"form": form, "next": next_url})


@never_cache
def verify(request):
    pending = services.pending_login(request)
    if pending is None:
        return _restart(request)
    user, _state = pending
    device = services.confirmed_device(user)
    if device is None:
        return redirect("agents:totp_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.check_code(request, device, form.cleaned_data["token"])
        if result.ok:
            next_url = services.complete_login(request, user, device)
            messages.success(request, _("Vous êtes connecté."))
            return redirect(next_url)
        if result.restart:
            messages.error(request, result.message)
            return redirect("agents:login")
        form.add_error("token", result.message)
    return render(request, "agents/verify.html", {"form": form, "pending_user": user})


@never_cache
def totp_setup(request):
    pending = services.pending_login(request)
    if pending is None:
        return _restart(request)
    user, _state = pending
    if services.confirmed_device(user) is not None:
        # Only an administrator's reset lets an agent enrol another application.
        return redirect("agents:verify")
    device = services.enrolment_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.check_code(request, device, form.cleaned_data["token"])
        if result.ok:
            services.confirm_enrolment(device)
            next_url = services.complete_login(request, user, device)
            messages.success(request, _("Votre application d'authentification est enregistrée. Vous êtes connecté."))
            return redirect(next_url)
        if result.restart:
            messages.error(request, result.message)
            return redirect("agents:login")
        form.add_error("token", result.message)
    context = {
        "form": form,
        "pending_user": user,
        "qr_svg": services.qr_code_svg(
            services.otpauth_url(device),
            _("QR code à scanner avec votre application d'authentification ; la clé est aussi écrite en toutes lettres ci-dessous."),
        ),
        "secret": services.totp_secret(device),
    }
    return render(request, "agents/totp_setup.html", context)


@agent_required
def home(request):
    memberships = (
        Membership.objects.of(request.organisation)
        .filter(user=request.user, service__is_active=True)
        .select_related("service")
        .order_by("service__name")
    )
    return render(request, "agents/home.html", {"memberships": memberships})


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def set_password(request, uidb64, token):
    """The link of the invitation e-mail: the agent chooses their password."""
    agent = services.agent_from_link(request.organisation, uidb64, token)
    if agent is None:
        return render(request, "agents/set_password_invalid.html", status=400)
    form = SetPasswordForm(agent, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.set_password_from_link(agent, form.cleaned_data["new_password1"])
        messages.success(
            request,
            _("Votre mot de passe est enregistré. Connectez-vous : il vous sera ensuite demandé d'enregistrer "
              "une application d'authentification."),
        )
        return redirect("agents:login")
    return render(request, "agents/set_password.html", {"form": form, "agent": agent})
