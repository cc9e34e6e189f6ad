"""The citizen's account: sign-up with e-mail confirmation, sign-in, password, "Mon compte", deletion."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from guichet.households.services import members_of
from guichet.oidc.services import enabled_providers
from guichet.organisations.services import safe_next

from . import emails, services
from .forms import DeleteAccountForm, EmailForm, LoginForm, OrganisationPasswordResetForm, ProfileForm, SignupForm
from .models import User
from .tokens import email_confirmation_token

BACKEND = "guichet.accounts.backends.OrganisationBackend"


def form_data(request):
    """The submitted data for a bound form on POST (even when empty), None on GET."""
    return request.POST if request.method == "POST" else None


def citizen_required(view):
    """Citizens' pages: anonymous visitors are sent to the sign-in page, agents are refused (403)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
        if not user.is_citizen:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request):
    return safe_next(request, request.POST.get("next") or request.GET.get("next"))


def _identity_providers(request):
    return enabled_providers(request.organisation)


@sensitive_post_parameters("password")
def login(request):
    next_url = _safe_next(request)
    if request.user.is_authenticated and request.user.is_citizen and request.method != "POST":
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request, form_data(request))
    if request.method == "POST" and form.is_valid():
        auth_login(request, form.user)
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/login.html", {
        "form": form, "next": next_url, "identity_providers": _identity_providers(request),
    })


@require_POST
def logout(request):
    auth_logout(request)
    messages.success(request, _("Vous êtes déconnecté."))
    return redirect("organisations:home")


def locked_out(request, credentials=None, *args, **kwargs):
    """Answer of django-axes when too many sign-in attempts failed (citizens' and agents' forms alike)."""
    minutes = round(float(getattr(settings, "AXES_COOLOFF_TIME", 0.25) or 0) * 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


@sensitive_post_parameters("password1", "password2")
def signup(request):
    organisation = request.organisation
    if not organisation.citizen_signup_open:
        return render(request, "accounts/signup_closed.html", status=403)
    if request.user.is_authenticated and request.user.is_citizen:
        return redirect("accounts:profile")
    form = SignupForm(form_data(request), organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.register_citizen(
                organisation, form.cleaned_data["password1"], **form.account_fields()
            )
        except services.DuplicateEmail:
            form.add_error("email", services.DUPLICATE_EMAIL_MESSAGE)
        else:
            emails.send_confirmation_email(request, user)
            return redirect("accounts:signup_done")
    return render(request, "accounts/signup.html", {
        "form": form, "identity_providers": _identity_providers(request),
    })


def signup_done(request):
    return render(request, "accounts/signup_done.html")


def _citizen_from_uid(request, uidb64):
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(organisation=request.organisation, kind=User.Kind.CITIZEN, pk=pk).first()


def confirm(request, uidb64, token):
    """The link of the confirmation e-mail: confirms the address and signs the citizen in."""
    user = _citizen_from_uid(request, uidb64)
    if user is None or not user.is_active or not email_confirmation_token.check_token(user, token):
        return render(request, "accounts/confirm_invalid.html", status=400)
    services.confirm_email(user, account_url=request.build_absolute_uri(reverse("accounts:profile")))
    auth_login(request, user, backend=BACKEND)
    messages.success(request, _("Votre adresse électronique est confirmée. Bienvenue !"))
    return redirect("accounts:profile")


def confirm_resend(request):
    """Sends a new confirmation link; the answer is the same whether the address has an account or not."""
    form = EmailForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        user = services.citizen_for_confirmation(request.organisation, form.cleaned_data["email"])
        if user is not None:
            emails.send_confirmation_email(request, user)
        return render(request, "accounts/confirm_resend.html", {"sent": True, "email": form.cleaned_data["email"]})
    return render(request, "accounts/confirm_resend.html", {"form": form})


def email_change_confirm(request, token):
    user = services.apply_email_change(request.organisation, token)
    if user is None:
        return render(request, "accounts/email_change_invalid.html", status=400)
    messages.success(request, _("Votre nouvelle adresse électronique est confirmée : %(email)s.") % {"email": user.email})
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("accounts:profile")
    return redirect("accounts:login")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = OrganisationPasswordResetForm
    email_template_name = "accounts/emails/password_reset.txt"
    html_email_template_name = "accounts/emails/password_reset.html"
    subject_template_name = "accounts/emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organisation": self.request.organisation}

    def form_valid(self, form):
        self.from_email = self.request.organisation.from_email
        self.extra_email_context = {"organisation": self.request.organisation}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_user(self, uidb64):
        """Only accounts of the request's collectivité can be reset on its host."""
        user = super().get_user(uidb64)
        if user is not None and user.organisation_id != self.request.organisation.pk:
            return None
        return user

    def form_valid(self, form):
        # Following a link sent to the address proves it works, as the confirmation link would.
        form.user.email_confirmed = True
        return super().form_valid(form)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Votre mot de passe a été modifié."))
        return response


password_reset = PasswordResetView.as_view()
password_reset_done = PasswordResetDoneView.as_view()
password_reset_confirm = PasswordResetConfirmView.as_view()
password_reset_complete = PasswordResetCompleteView.as_view()
password_change = citizen_required(PasswordChangeView.as_view())


@citizen_required
def profile(request):
    user = request.user
    return render(request, "accounts/profile.html", {
        "phone": services.format_phone(user.phone),
        "members": members_of(user),
        "identities": user.external_identities.select_related("provider").order_by("provider__name"),
    })


@citizen_required
def profile_edit(request):
    """Edits the citizen's details.

    Changing the e-mail address does not change it at once: the current address stays the
    account's (confirmed) address, a link is sent to the new address, and the change happens
    when that link is followed (`email_change_confirm`); the current address is told of the
    request. A typing error in the new address thus never locks the citizen out.
    """
    user = request.user
    form = ProfileForm(form_data(request), instance=user)
    if request.method == "POST" and form.is_valid():
        new_email = form.new_email
        form.save()
        messages.success(request, _("Vos informations ont été enregistrées."))
        if new_email:
            emails.send_email_change_confirmation(request, user, new_email)
            emails.send_email_change_notice(request, user, new_email)
            messages.info(request, _(
                "Un lien de confirmation a été envoyé à %(email)s. Votre adresse ne changera qu'une fois ce lien suivi."
            ) % {"email": new_email})
        return redirect("accounts:profile")
    return render(request, "accounts/profile_edit.html", {"form": form})


@citizen_required
@sensitive_post_parameters("password")
def delete(request):
    user = request.user
    form = DeleteAccountForm(user, form_data(request))
    if request.method == "POST" and form.is_valid():
        services.erase_citizen(user)
        auth_logout(request)
        messages.success(request, _("Votre compte a été supprimé et vos données personnelles effacées."))
        return redirect("organisations:home")
    return render(request, "accounts/delete.html", {"form": form})
