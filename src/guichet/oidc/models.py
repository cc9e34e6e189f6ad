"""External identity providers (OpenID Connect, as FranceConnect speaks it) and the identities linked to accounts."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned

from .validators import validate_issuer


class IdentityProvider(OrganisationOwned):
    name = models.CharField(_("nom affiché"), max_length=100, help_text=_("Par exemple : FranceConnect."))
    slug = models.SlugField(_("identifiant"), max_length=50)
    issuer = models.URLField(
        _("émetteur (issuer)"),
        help_text=_("Adresse de l'émetteur ; la configuration est lue à <issuer>/.well-known/openid-configuration."),
    )
    client_id = models.CharField(_("identifiant client"), max_length=255)
    client_secret = models.CharField(_("secret client"), max_length=255, blank=True)
    scopes = models.CharField(_("scopes"), max_length=255, default="openid given_name family_name birthdate email")
    acr_values = models.CharField(_("niveau d'authentification (acr_values)"), max_length=100, blank=True)
    trust_email = models.BooleanField(
        _("adresse électronique vérifiée par le fournisseur"), default=True,
        help_text=_("Les comptes créés par ce fournisseur n'ont pas à confirmer leur adresse."),
    )
    enabled = models.BooleanField(_("activé"), default=True)

    class Meta:
        verbose_name = _("fournisseur d'identité")
        verbose_name_plural = _("fournisseurs d'identité")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="unique_provider_slug_per_organisation",
                violation_error_message=_("Un fournisseur porte déjà cet identifiant."),
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.issuer:
            try:
                validate_issuer(self.issuer)
            except ValidationError as error:
                raise ValidationError({"issuer": error.messages}) from error

    @property
    def discovery_url(self):
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


class ExternalIdentity(OrganisationOwned):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities")
    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="identities")
    subject = models.CharField(_("identifiant chez le fournisseur (sub)"), max_length=255)
    linked_at = models.DateTimeField(_("liée le"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)

    class Meta:
        verbose_name = _("identité externe")
        verbose_name_plural = _("identités externes")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="unique_subject_per_provider"),
            models.UniqueConstraint(fields=["provider", "user"], name="unique_identity_per_user_and_provider"),
        ]

    def __str__(self):
        return f"{self.provider} : {self.subject}"
