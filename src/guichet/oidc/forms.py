"""Administrators' form for an identity provider."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import IdentityProvider

# Slugs that would be shadowed by other URLs under /compte/identite/.
RESERVED_SLUGS = {"retour"}


class IdentityProviderForm(forms.ModelForm):
    """Create or edit a provider of `organisation`.

    The client secret is write-only: never displayed back; left blank on edit, the current secret is kept.
    """

    issuer = forms.URLField(
        label=_("Émetteur (issuer)"), max_length=200, assume_scheme="https",
        help_text=_(
            "Adresse https de l'émetteur ; la configuration est lue à <issuer>/.well-known/openid-configuration."
        ),
    )
    client_secret = forms.CharField(
        label=_("Secret client"), required=False, strip=True, max_length=255,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "name", "slug", "issuer", "client_id", "client_secret", "scopes", "acr_values", "trust_email", "enabled",
        ]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        self.fields["slug"].help_text = _(
            "Lettres minuscules, chiffres et tirets ; sert dans l'adresse du bouton de connexion."
        )
        self.fields["scopes"].help_text = _(
            "Séparés par des espaces ; « openid » est obligatoire. FranceConnect : openid given_name "
            "family_name birthdate email."
        )
        self.fields["acr_values"].help_text = _("Facultatif. Par exemple « eidas1 » pour FranceConnect.")
        self.has_secret = bool(self.instance.pk and self.instance.client_secret)
        if self.has_secret:
            self.fields["client_secret"].help_text = _(
                "Un secret est enregistré ; il n'est jamais réaffiché. Laissez vide pour le conserver."
            )
        else:
            self.fields["client_secret"].help_text = _("Fourni par le fournisseur d'identité.")

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("Cet identifiant est réservé ; choisissez-en un autre."))
        others = IdentityProvider.objects.of(self.organisation).filter(slug=slug)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("Un fournisseur porte déjà cet identifiant."))
        return slug

    def clean_scopes(self):
        scopes = " ".join(self.cleaned_data["scopes"].split())
        if "openid" not in scopes.split(" "):
            raise forms.ValidationError(_("Les scopes doivent contenir « openid »."))
        return scopes

    def clean_client_secret(self):
        secret = self.cleaned_data.get("client_secret", "")
        if not secret and self.instance.pk:
            # Blank means "keep": the instance still holds the stored secret.
            return IdentityProvider.objects.get(pk=self.instance.pk).client_secret
        return secret
