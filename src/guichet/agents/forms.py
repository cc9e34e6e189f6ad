"""Forms of the agents' sign-in and of the collectivité administrators' pages."""

import re

from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import User
from guichet.accounts.validators import validate_french_phone
from guichet.organisations.models import Organisation

from . import services
from .models import Membership, Service

TOKEN = re.compile(r"^\d{6}$")


class LoginForm(forms.Form):
    """First step: e-mail and password of an agent of this collectivité (throttled by django-axes)."""

    email = forms.EmailField(
        label=_("Adresse électronique"), widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(
        label=_("Mot de passe"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        email = self.cleaned_data.get("email")
        password = self.cleaned_data.get("password")
        if email and password:
            self.user = authenticate(self.request, email=email, password=password, kind=User.Kind.AGENT)
            if self.user is None:
                raise ValidationError(
                    _("Adresse électronique ou mot de passe incorrect, ou compte agent désactivé."), code="invalid_login"
                )
        return self.cleaned_data


class TokenForm(forms.Form):
    """Second step: the six-digit code shown by the agent's authentication application."""

    token = forms.CharField(
        label=_("Code à 6 chiffres"),
        help_text=_("Le code affiché par votre application d'authentification (il change toutes les 30 secondes)."),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"[0-9 ]*", "autofocus": True}
        ),
    )

    def clean_token(self):
        token = self.cleaned_data["token"].replace(" ", "")
        if not TOKEN.match(token):
            raise ValidationError(_("Le code compte exactement 6 chiffres, par exemple 123456."), code="format")
        return token


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ["name", "slug", "description", "email", "phone"]
        help_texts = {
            "slug": _("Lettres minuscules, chiffres et tirets. Laissez vide pour le déduire du nom."),
            "description": _("Ce que fait le service, tel que les usagers le liront."),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        self.fields["slug"].required = False

    def _others(self):
        return Service.objects.of(self.organisation).exclude(pk=self.instance.pk)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        # Compared in Python: SQLite only folds the case of ASCII letters ("état civil" / "État civil").
        if any(other.casefold() == name.casefold() for other in self._others().values_list("name", flat=True)):
            raise ValidationError(_("Un service porte déjà ce nom dans la collectivité."), code="duplicate_name")
        return name

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone:
            validate_french_phone(phone)
        return phone

    def clean(self):
        cleaned = super().clean()
        slug = cleaned.get("slug") or slugify(cleaned.get("name") or "")[:80]
        if "slug" not in self.errors and "name" not in self.errors:
            if not slug:
                self.add_error("slug", _("Indiquez un identifiant fait de lettres, de chiffres et de tirets."))
            elif self._others().filter(slug=slug).exists():
                self.add_error("slug", _("Un service porte déjà cet identifiant (%(slug)s).") % {"slug": slug})
            else:
                cleaned["slug"] = slug
        return cleaned



NOT_MEMBER = ""


class AgentForm(forms.ModelForm):
    """An agent's identity, administrator flag, and their role in each service (or none)."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "job_title", "is_org_admin"]
        help_texts = {
            "is_org_admin": _("Gère les services, les agents, les rôles et les réglages de la collectivité."),
        }

    def __init__(self, *args, organisation, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.actor = actor
        self.instance.organisation = organisation
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        self.fields["email"].help_text = (
            _("L'agent y recevra un lien pour choisir son mot de passe.") if not self.instance.pk else ""
        )
        self.services = services.services_for_roles(organisation, self.instance)
        current = {}
        if self.instance.pk:
            current = dict(Membership.objects.filter(user=self.instance).values_list("service_id", "role"))
        choices = [(NOT_MEMBER, _("Ne fait pas partie du service")), *Membership.Role.choices]
        for service in self.services:
            label = service.name if service.is_active else _("%(name)s (service désactivé)") % {"name": service.name}
            self.fields[self.role_field_name(service)] = forms.ChoiceField(
                label=label, choices=choices, required=False, initial=current.get(service.pk, NOT_MEMBER)
            )

    @staticmethod
    def role_field_name(service):
        return f"role_{service.pk}"

    @property
    def identity_fields(self):
        return [self[name] for name in self.Meta.fields]

    @property
    def role_fields(self):
        return [self[self.role_field_name(service)] for service in self.services]

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        taken = User.objects.filter(organisation=self.organisation, email=email).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(
                _("Un compte existe déjà avec cette adresse électronique dans la collectivité."), code="duplicate_email"
            )
        return email

    def clean_is_org_admin(self):
        value = self.cleaned_data["is_org_admin"]
        if self.instance.pk and self.instance.is_org_admin and not value:
            if not services.can_change_admin_flag(self.actor, self.instance):
                raise ValidationError(
                    _("Vous ne pouvez pas retirer vos propres droits d'administrateur : demandez-le à un autre "
                      "administrateur de la collectivité."),
                    code="own_admin_flag",
                )
        return value

    def identity(self):
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def roles(self):
        return {service: self.cleaned_data.get(self.role_field_name(service)) or NOT_MEMBER for service in self.services}


def _https_urls(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class OrganisationSettingsForm(forms.ModelForm):
    """What the collectivité's administrators may change themselves (slug, type, INSEE code and hosts are
    the platform operator's)."""

    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("Image PNG, JPEG ou GIF de 1 Mo au plus ; elle sera convertie en PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )

    class Meta:
        model = Organisation
        formfield_callback = _https_urls
        fields = [
            "name", "address", "phone", "email", "website", "opening_hours", "legal_notices",
            "primary_colour", "secondary_colour", "logo", "sender_email", "citizen_signup_open",
        ]
        help_texts = {
            "primary_colour": _("Au format #RRGGBB. Le texte blanc posé dessus doit rester lisible (contraste 4,5:1)."),
            "secondary_colour": _("Au format #RRGGBB, même exigence de contraste."),
        }
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "opening_hours": forms.Textarea(attrs={"rows": 4})}

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone:
            validate_french_phone(phone)
        return phone

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.intercommunality_id:
            # A member commune: where its intercommunality's requests about it are reported (commune_updates).
            self.fields["mayor_office_email"] = forms.EmailField(
                label=_("Courriel du cabinet du maire"), required=False,
                initial=(self.instance.settings or {}).get("mayor_office_email", ""),
                help_text=_("L'intercommunalité y envoie le suivi des demandes qui concernent la commune, pour les "
                            "démarches qui le prévoient. Vide : le courriel de contact de la commune."),
            )

    def save(self, commit=True):
        if "mayor_office_email" in self.fields:
            settings = dict(self.instance.settings or {})
            settings["mayor_office_email"] = self.cleaned_data.get("mayor_office_email", "")
            self.instance.settings = settings
        return super().save(commit)

    def clean_primary_colour(self):
        return self.cleaned_data["primary_colour"].lower()

    def clean_secondary_colour(self):
        return self.cleaned_data["secondary_colour"].lower()

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not logo or not hasattr(logo, "content_type"):
            return logo  # unchanged, or cleared (False)
        try:
            return services.normalised_logo(logo, self.instance.slug)
        except services.LogoError as error:
            raise ValidationError(str(error), code="invalid_logo") from error
