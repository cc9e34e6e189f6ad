"""The collectivité's services and the agents who work in them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned


class Service(OrganisationOwned):
    """A municipal service: État civil, Scolaire, Services techniques, CCAS, Urbanisme…"""

    name = models.CharField(_("nom"), max_length=150)
    slug = models.SlugField(_("identifiant"), max_length=80)
    description = models.TextField(_("missions"), blank=True)
    email = models.EmailField(_("courriel du service"), blank=True)
    phone = models.CharField(_("téléphone du service"), max_length=30, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="unique_service_slug_per_organisation",
                violation_error_message=_("Un service porte déjà cet identifiant."),
            ),
            models.UniqueConstraint(
                fields=["organisation", "name"], name="unique_service_name_per_organisation",
                violation_error_message=_("Un service porte déjà ce nom."),
            ),
        ]

    def __str__(self):
        return self.name


class Membership(OrganisationOwned):
    """An agent's place in a service, with their role there."""

    class Role(models.TextChoices):
        AGENT = "agent", _("Agent")
        MANAGER = "manager", _("Responsable de service")
        ELECTED = "elected", _("Élu (lecture seule)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices, default=Role.AGENT)

    class Meta:
        verbose_name = _("appartenance à un service")
        verbose_name_plural = _("appartenances aux services")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "service"], name="unique_membership",
                violation_error_message=_("Cet agent fait déjà partie de ce service."),
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.service} ({self.get_role_display()})"
