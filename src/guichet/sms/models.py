"""A collectivité's SMS settings: which gateway, its credentials, the sender name, the receipts' token."""

import re
import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned

SENDER = re.compile(r"^[A-Za-z0-9 ]{1,11}$")


def new_receipt_token():
    return secrets.token_urlsafe(32)


def validate_sender(value):
    if not SENDER.match(value or "") or not re.search(r"[A-Za-z]", value):
        raise ValidationError(
            _("Le nom d'expéditeur compte 11 caractères au plus : lettres sans accent, chiffres et espaces, "
              "avec au moins une lettre (par exemple « MAIRIE »)."),
            code="invalid_sender",
        )


class SmsSettings(OrganisationOwned):
    class Backend(models.TextChoices):
        CONSOLE = "console", _("Développement : fichiers dans var/sms (aucun SMS réel)")
        OVH = "ovh", _("OVHcloud (API SMS)")
        BREVO = "brevo", _("Brevo (SMS transactionnels)")

    backend = models.CharField(_("passerelle"), max_length=20, choices=Backend.choices, default=Backend.CONSOLE)
    sender = models.CharField(
        _("nom d'expéditeur"), max_length=11, blank=True, validators=[validate_sender],
        help_text=_("11 caractères au plus, lettres sans accent et chiffres ; il doit être validé chez le "
                    "fournisseur. Laissé vide chez OVH, un numéro court est utilisé."),
    )
    endpoint_url = models.URLField(
        _("adresse de l'API"), blank=True,
        help_text=_("Laissez vide pour l'adresse officielle du fournisseur."),
    )
    transliterate = models.BooleanField(
        _("remplacer les caractères hors alphabet GSM"), default=False,
        help_text=_("â, ê, î, ô, û, œ, « » deviennent a, e, i, o, u, oe, \" : un SMS garde 160 caractères au lieu "
                    "de 70."),
    )
    ovh_application_key = models.CharField(_("OVH : clé d'application"), max_length=100, blank=True)
    ovh_application_secret = models.CharField(_("OVH : secret d'application"), max_length=100, blank=True)
    ovh_consumer_key = models.CharField(_("OVH : clé consommateur"), max_length=100, blank=True)
    ovh_service_name = models.CharField(
        _("OVH : compte SMS"), max_length=50, blank=True, help_text=_("Par exemple sms-ab12345-1."),
    )
    brevo_api_key = models.CharField(_("Brevo : clé d'API"), max_length=200, blank=True)
    receipt_token = models.CharField(
        _("jeton des accusés de réception"), max_length=64, unique=True, default=new_receipt_token, editable=False,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("réglages SMS")
        verbose_name_plural = _("réglages SMS")
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="one_sms_settings_per_organisation"),
        ]

    def __str__(self):
        return f"{self.organisation} : {self.get_backend_display()}"

    def clean(self):
        super().clean()
        errors = {}
        if self.backend == self.Backend.OVH:
            for name in ("ovh_application_key", "ovh_application_secret", "ovh_consumer_key", "ovh_service_name"):
                if not getattr(self, name):
                    errors[name] = _("Obligatoire pour envoyer par OVH.")
        elif self.backend == self.Backend.BREVO:
            if not self.brevo_api_key:
                errors["brevo_api_key"] = _("Obligatoire pour envoyer par Brevo.")
            if not self.sender:
                errors["sender"] = _("Brevo exige un nom d'expéditeur.")
        if errors:
            raise ValidationError(errors)


class SmsReceipt(OrganisationOwned):
    """A final delivery receipt received from the provider, kept so that a repeated call is answered once."""

    provider_id = models.CharField(_("identifiant chez le fournisseur"), max_length=100)
    status = models.CharField(_("état"), max_length=20)
    detail = models.CharField(_("détail"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("reçu le"), auto_now_add=True)
    forwarded_at = models.DateTimeField(_("transmis le"), null=True, blank=True)

    class Meta:
        verbose_name = _("accusé de réception SMS")
        verbose_name_plural = _("accusés de réception SMS")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "provider_id", "status"], name="one_sms_receipt_per_state"),
        ]

    def __str__(self):
        return f"{self.provider_id} : {self.status}"
