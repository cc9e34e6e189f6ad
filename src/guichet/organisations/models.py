"""Collectivités (tenants): communes and the intercommunal bodies that group them."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .colours import contrast_ratio

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Indiquez une couleur au format #RRGGBB, par exemple #1f4e8c."))
COMMUNE_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
SIREN = re.compile(r"^\d{9}$")
# Text on a coloured band is white: AA contrast for normal text needs 4.5:1.
MINIMUM_CONTRAST = 4.5


class Organisation(models.Model):
    class Kind(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        INTERCOMMUNAL = "intercommunal", _("Intercommunalité")

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(
        _("identifiant"), max_length=63, unique=True,
        help_text=_("Sert d'adresse : <identifiant>.localhost en développement."),
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.COMMUNE)
    insee_code = models.CharField(
        _("code INSEE"), max_length=9, blank=True,
        help_text=_("Code officiel géographique de la commune (5 caractères) ou SIREN de l'intercommunalité."),
    )
    intercommunality = models.ForeignKey(
        "self", verbose_name=_("intercommunalité"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="member_communes", limit_choices_to={"kind": "intercommunal"},
    )
    is_active = models.BooleanField(_("active"), default=True)

    # Branding
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    primary_colour = models.CharField(_("couleur principale"), max_length=7, default="#1f4e8c", validators=[HEX_COLOUR])
    secondary_colour = models.CharField(
        _("couleur secondaire"), max_length=7, default="#7a2e0e", validators=[HEX_COLOUR]
    )
    # Contact details
    address = models.TextField(_("adresse postale"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("courriel de contact"), blank=True)
    website = models.URLField(_("site internet"), blank=True)
    opening_hours = models.TextField(_("horaires d'accueil"), blank=True)
    legal_notices = models.TextField(_("mentions légales"), blank=True)
    # Settings
    sender_email = models.EmailField(
        _("adresse d'expédition des courriels"), blank=True,
        help_text=_("Laissez vide pour utiliser l'adresse de la plateforme."),
    )
    citizen_signup_open = models.BooleanField(_("inscription des usagers ouverte"), default=True)
    settings = models.JSONField(_("réglages"), default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("collectivité")
        verbose_name_plural = _("collectivités")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.insee_code:
            pattern = COMMUNE_INSEE if self.kind == self.Kind.COMMUNE else SIREN
            if not pattern.match(self.insee_code):
                errors["insee_code"] = (
                    _("Le code INSEE d'une commune compte 5 caractères (ex. 54395 ou 2A004).")
                    if self.kind == self.Kind.COMMUNE
                    else _("Le SIREN d'une intercommunalité compte 9 chiffres.")
                )
        if self.intercommunality_id and self.kind != self.Kind.COMMUNE:
            errors["intercommunality"] = _("Seule une commune peut être membre d'une intercommunalité.")
        for field in ("primary_colour", "secondary_colour"):
            value = getattr(self, field)
            if value and re.match(r"^#[0-9a-fA-F]{6}$", value) and contrast_ratio(value, "#ffffff") < MINIMUM_CONTRAST:
                errors[field] = _(
                    "Cette couleur est trop claire : le texte blanc posé dessus doit avoir un contraste "
                    "d'au moins 4,5:1 (accessibilité RGAA)."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def is_intercommunal(self):
        return self.kind == self.Kind.INTERCOMMUNAL

    @property
    def from_email(self):
        from django.conf import settings

        if self.sender_email:
            return f"{self.name} <{self.sender_email}>"
        return settings.DEFAULT_FROM_EMAIL


class Host(models.Model):
    """A host name under which a collectivité is reached (besides `<slug>.<platform host>`)."""

    name = models.CharField(_("nom d'hôte"), max_length=253, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="hosts")

    class Meta:
        verbose_name = _("nom d'hôte")
        verbose_name_plural = _("noms d'hôte")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = self.name.strip().lower()
        super().save(*args, **kwargs)


class OrganisationQuerySet(models.QuerySet):
    def of(self, organisation):
        """Rows of this collectivité only: every query on tenant data goes through here."""
        if organisation is None:
            return self.none()
        return self.filter(organisation=organisation)


class OrganisationOwned(models.Model):
    """Base of every model whose rows belong to one collectivité."""

    organisation = models.ForeignKey(Organisation, verbose_name=_("collectivité"), on_delete=models.CASCADE)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        abstract = True
