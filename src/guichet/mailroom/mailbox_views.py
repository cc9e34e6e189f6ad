"""The administrators' e-mail intake settings: the IMAP mailboxes read by the platform, and the secret with which a
mail gateway forwards messages to /api/courriels/entrants/.

`urlpatterns` here are meant to be added to `mailroom/urls.py` (namespace `mailroom`):
    urlpatterns += mailbox_views.urlpatterns
"""

import re

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from guichet.agents.models import Service
from guichet.agents.permissions import org_admin_required

from .email_in import generate_inbound_secret, revoke_inbound_secret
from .imap import ImapError, check_connection
from .models import InboundEndpoint, Mailbox

HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9\-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9\-]{0,62}"
                  r"[A-Za-z0-9])?)*\.?$|^\[?[0-9A-Fa-f:.]+\]?$")
TEST_TIMEOUT = 10  # seconds: the administrator waits for the answer


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        label=gettext_lazy("mot de passe"), required=False, max_length=254, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = Mailbox
        fields = ["name", "host", "port", "security", "username", "password", "folder", "service", "is_active"]
        help_texts = {
            "host": gettext_lazy("Par exemple « imap.saint-aubin.fr », sans « imaps:// »."),
            "port": gettext_lazy("993 en IMAPS ; 143 en général avec STARTTLS (obligatoire : jamais de repli en clair) ou sans chiffrement."),
            "folder": gettext_lazy("Le dossier relevé, « INBOX » pour la boîte de réception."),
            "is_active": gettext_lazy("Les nouveaux messages sont relevés toutes les 2 minutes."),
            "service": gettext_lazy("Les messages relevés sont proposés à ce service pour qualification."),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["service"].queryset = Service.objects.of(organisation).filter(is_active=True).order_by("name")
        self.fields["username"].widget.attrs["autocomplete"] = "off"
        if self.instance.pk:
            self.fields["password"].help_text = _("Laissez vide pour garder le mot de passe enregistré.")
        else:
            self.fields["password"].required = True

    def clean_host(self):
        host = self.cleaned_data["host"].strip()
        if "://" in host or not HOST.match(host):
            raise forms.ValidationError(_("Indiquez le nom du serveur seul, par exemple « imap.exemple.fr »."))
        return host.strip("[]").lower()

    def clean_port(self):
        port = self.cleaned_data["port"]
        if not 1 <= port <= 65535:
            raise forms.ValidationError(_("Le port est un nombre entre 1 et 65535."))
        return port

    def clean_folder(self):
        folder = self.cleaned_data["folder"].strip()
        if not folder or any(ord(c) < 0x20 for c in folder):
            raise forms.ValidationError(_("Indiquez le nom du dossier, par exemple « INBOX »."))
        return folder

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not password and self.instance.pk:
            return Mailbox.objects.filter(pk=self.instance.pk).values_list("password", flat=True).first() or ""
        return password

    def save(self, commit=True):
        mailbox = super().save(commit=False)
        mailbox.organisation = self.organisation
        if commit:
            if mailbox.pk and {"host", "port", "username", "folder"} & set(self.changed_data):
                # Another mailbox or folder: its UIDs mean nothing here, read it from the start (dedup keeps
                # what was already stored).
                mailbox.uidvalidity, mailbox.last_uid = None, 0
            mailbox.save()
        return mailbox


class EndpointForm(forms.Form):
    service = forms.ModelChoiceField(
        label=gettext_lazy("service destinataire par défaut"), queryset=Service.objects.none(), required=False,
        help_text=gettext_lazy("Les messages transférés sont proposés à ce service pour qualification."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.of(organisation).filter(is_active=True).order_by("name")


def _settings_page(request, *, secret=None, endpoint_form=None, status=200):
    organisation = request.organisation
    endpoint = InboundEndpoint.objects.of(organisation).select_related("created_by", "service").first()
    response = render(request, "mailroom/email/settings.html", {
        "mailboxes": Mailbox.objects.of(organisation).select_related("service").order_by("name", "pk"),
        "endpoint": endpoint,
        "endpoint_form": endpoint_form or EndpointForm(
            organisation=organisation, initial={"service": endpoint.service if endpoint else None}),
        "inbound_url": request.build_absolute_uri(reverse("mailroom_api:inbound")),
        "secret": secret,
    }, status=status)
    if secret:
        response["Cache-Control"] = "no-store"
    return response


@org_admin_required
def email_settings(request):
    return _settings_page(request)


@require_POST
@org_admin_required
def endpoint_generate(request):
    form = EndpointForm(request.POST, organisation=request.organisation)
    if not form.is_valid():
        return _settings_page(request, endpoint_form=form, status=400)
    replaced = InboundEndpoint.objects.of(request.organisation).exists()
    endpoint, clear = generate_inbound_secret(request.organisation, request.user,
                                              service=form.cleaned_data["service"])
    if form.cleaned_data["service"] is None and endpoint.service_id:
        InboundEndpoint.objects.filter(pk=endpoint.pk).update(service=None)
    if replaced:
        messages.warning(request, _("Nouveau secret généré : l'ancien ne fonctionne plus, donnez celui-ci à la "
                                    "passerelle de messagerie."))
    else:
        messages.success(request, _("Secret généré : la réception des courriels transférés est ouverte."))
    return _settings_page(request, secret=clear)


@require_POST
@org_admin_required
def endpoint_revoke(request):
    if revoke_inbound_secret(request.organisation):
        messages.success(request, _("Secret révoqué : les courriels transférés sont désormais refusés."))
    else:
        messages.info(request, _("Aucun secret à révoquer."))
    return redirect("mailroom:email_settings")


def _test(form):
    """« Tester la connexion » with the typed settings (nothing saved)."""
    candidate = form.save(commit=False)
    try:
        count = check_connection(candidate, seconds=TEST_TIMEOUT)
    except ImapError as error:
        return "error", _("La connexion a échoué : %(error)s") % {"error": error}
    return "success", _("Connexion réussie : le dossier « %(folder)s » contient %(count)d message(s).") % {
        "folder": candidate.folder, "count": count}


def _mailbox_form_page(request, mailbox=None):
    form = MailboxForm(request.POST or None, instance=mailbox, organisation=request.organisation)
    test_result = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "test":
            test_result = _test(form)
            # the typed password is kept only in this answer (never re-displayed): type it again to save it
        else:
            saved = form.save()
            messages.success(request, _("La boîte « %(name)s » est enregistrée.") % {"name": saved.name})
            return redirect("mailroom:email_settings")
    return render(request, "mailroom/email/mailbox_form.html", {
        "form": form, "mailbox": mailbox, "test_result": test_result,
    }, status=400 if request.method == "POST" and form.errors else 200)


@org_admin_required
@require_http_methods(["GET", "POST"])
def mailbox_create(request):
    return _mailbox_form_page(request)


@org_admin_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request, pk):
    mailbox = get_object_or_404(Mailbox.objects.of(request.organisation), pk=pk)
    return _mailbox_form_page(request, mailbox)


@require_POST
@org_admin_required
def mailbox_toggle(request, pk):
    mailbox = get_object_or_404(Mailbox.objects.of(request.organisation), pk=pk)
    mailbox.is_active = not mailbox.is_active
    mailbox.save(update_fields=["is_active"])
    if mailbox.is_active:
        messages.success(request, _("La boîte « %(name)s » est de nouveau relevée.") % {"name": mailbox.name})
    else:
        messages.success(request, _("La boîte « %(name)s » n'est plus relevée ; les messages déjà reçus restent "
                                    "enregistrés.") % {"name": mailbox.name})
    return redirect("mailroom:email_settings")


urlpatterns = [
    path("reglages-courriels/", email_settings, name="email_settings"),
    path("reglages-courriels/secret/", endpoint_generate, name="endpoint_generate"),
    path("reglages-courriels/secret/revoquer/", endpoint_revoke, name="endpoint_revoke"),
    path("reglages-courriels/boites/ajouter/", mailbox_create, name="mailbox_create"),
    path("reglages-courriels/boites/<int:pk>/", mailbox_edit, name="mailbox_edit"),
    path("reglages-courriels/boites/<int:pk>/releve/", mailbox_toggle, name="mailbox_toggle"),
]
