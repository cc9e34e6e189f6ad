"""Forms of the connectors' administration pages."""

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import (
    ATTEMPTS_MAX, ATTEMPTS_MIN, HMAC_SECRET_MIN, TIMEOUT_MAX, TIMEOUT_MIN, Connector, validate_header_name,
    validate_headers,
)
from .services import check_path, format_header_lines, parse_header_lines

MASK = "••••"
SECRET_NEEDED = (Connector.Auth.BEARER, Connector.Auth.BASIC, Connector.Auth.API_KEY, Connector.Auth.HMAC)


class ConnectorForm(forms.ModelForm):
    """Create or edit a connector. The secret is never rendered back: left empty, the saved one is kept."""

    secret = forms.CharField(
        label=gettext_lazy("Secret (jeton, mot de passe, clé d'API ou secret HMAC)"), required=False,
        max_length=1000, strip=True, widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    header_lines = forms.CharField(
        label=gettext_lazy("En-têtes ajoutés à chaque appel"), required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Un par ligne, « Nom: valeur », par exemple « X-Commune: 54470 »."))

    class Meta:
        model = Connector
        fields = ["name", "slug", "base_url", "auth_kind", "username", "header_name", "timeout_seconds",
                  "max_attempts"]
        help_texts = {
            "base_url": gettext_lazy("Par exemple https://etat-civil.example.fr/api/v2 : les chemins des appels "
                                     "s'ajoutent à la suite."),
            "username": gettext_lazy("Pour l'authentification HTTP Basic seulement."),
            "header_name": gettext_lazy("Pour la clé d'API seulement, par exemple « X-Api-Key »."),
            "timeout_seconds": gettext_lazy("De 1 à 60 secondes."),
            "max_attempts": gettext_lazy("De 1 à 10 : les appels des circuits en échec sont refaits plus tard."),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        self.had_secret = bool(self.instance.pk and self.instance.secret)
        if self.had_secret:
            self.fields["secret"].help_text = _("Un secret est enregistré (%(mask)s) : laissez vide pour le garder, "
                                                "ou tapez-en un nouveau pour le remplacer.") % {"mask": MASK}
            self.fields["secret"].widget.attrs["placeholder"] = MASK
        else:
            self.fields["secret"].help_text = _("Le secret HMAC fait au moins %(n)s caractères. Il ne sera plus "
                                                "affiché après l'enregistrement.") % {"n": HMAC_SECRET_MIN}
        if self.instance.pk and not self.is_bound:
            self.initial["header_lines"] = format_header_lines(self.instance.headers)
        messages = {
            "name": _("Indiquez le nom du connecteur."),
            "slug": _("Indiquez l'identifiant du connecteur."),
            "base_url": _("Indiquez l'adresse de base du service."),
            "timeout_seconds": _("Indiquez un délai entre 1 et 60 secondes."),
            "max_attempts": _("Indiquez un nombre d'essais entre 1 et 10."),
        }
        for name, message in messages.items():
            self.fields[name].error_messages.update({"required": message})
        for name in ("timeout_seconds", "max_attempts"):
            self.fields[name].error_messages.update({"invalid": messages[name], "min_value": messages[name],
                                                     "max_value": messages[name]})
        self.fields["timeout_seconds"].widget.attrs.update({"min": TIMEOUT_MIN, "max": TIMEOUT_MAX})
        self.fields["max_attempts"].widget.attrs.update({"min": ATTEMPTS_MIN, "max": ATTEMPTS_MAX})
        self.fields["auth_kind"].error_messages["invalid_choice"] = _("Choisissez une authentification de la liste.")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Indiquez le nom du connecteur."))
        return name

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip()
        taken = Connector.objects.of(self.organisation).filter(slug=slug).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Un autre connecteur porte déjà cet identifiant."))
        return slug

    def clean_base_url(self):
        return self.cleaned_data["base_url"].strip()

    def clean_username(self):
        return self.cleaned_data["username"].strip()

    def clean_header_lines(self):
        headers = parse_header_lines(self.cleaned_data.get("header_lines"))
        validate_headers(headers)
        return headers

    def clean_secret(self):
        secret = self.cleaned_data.get("secret") or ""
        if re.search(r"[\x00-\x1f\x7f]", secret):
            raise forms.ValidationError(_("Le secret doit tenir sur une ligne."))
        return secret

    def clean(self):
        data = super().clean()
        kind = data.get("auth_kind")
        secret = data.get("secret") or (self.instance.secret if self.had_secret else "")
        if kind in SECRET_NEEDED and not secret and "secret" not in self.errors:
            self.add_error("secret", _("Cette authentification demande un secret."))
        if kind == Connector.Auth.HMAC and secret and len(secret) < HMAC_SECRET_MIN and "secret" not in self.errors:
            self.add_error("secret", _("Le secret HMAC doit faire au moins %(n)s caractères.") % {"n": HMAC_SECRET_MIN})
        if kind == Connector.Auth.BASIC:
            if not data.get("username"):
                self.add_error("username", _("Indiquez l'identifiant de connexion."))
            elif ":" in data["username"]:
                self.add_error("username", _("L'identifiant ne peut pas contenir « : »."))
        if kind == Connector.Auth.API_KEY:
            name = (data.get("header_name") or "").strip()
            data["header_name"] = name
            if not name:
                self.add_error("header_name", _("Indiquez le nom de l'en-tête qui porte la clé."))
            else:
                try:
                    validate_header_name(name)
                except forms.ValidationError as error:
                    self.add_error("header_name", error)
                else:
                    if name.lower() in {header.lower() for header in data.get("header_lines") or {}}:
                        self.add_error("header_name", _("Cet en-tête est aussi dans les en-têtes ajoutés."))
        return data

    def save(self, commit=True):
        connector = super().save(commit=False)
        data = self.cleaned_data
        if data.get("secret"):
            connector.secret = data["secret"]
        connector.headers = data.get("header_lines") or {}
        if connector.auth_kind != Connector.Auth.BASIC:
            connector.username = ""
        if connector.auth_kind != Connector.Auth.API_KEY:
            connector.header_name = ""
        if connector.auth_kind == Connector.Auth.NONE:
            connector.secret = ""
        if commit:
            connector.save()
        return connector


class ConnectionTestForm(forms.Form):
    path = forms.CharField(label=gettext_lazy("Chemin à appeler (facultatif)"), required=False, max_length=500,
                           help_text=gettext_lazy("Ajouté à l'adresse de base, par exemple « /sante ». Laissez vide "
                                                  "pour appeler l'adresse de base."))

    def clean_path(self):
        path = self.cleaned_data["path"].strip()
        problem = check_path(path)
        if problem:
            raise forms.ValidationError(problem)
        return path
