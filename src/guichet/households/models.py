"""The people who live with a citizen (foyer): told once, reused by every procedure."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guichet.accounts.validators import validate_birth_date
from guichet.organisations.models import OrganisationOwned


class HouseholdMember(OrganisationOwned):
    class Relationship(models.TextChoices):
        SPOUSE = "spouse", _("Conjoint ou conjointe")
        CHILD = "child", _("Enfant")
        ADULT = "adult", _("Autre adulte")

    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="household_members",
        verbose_name=_("usager"),
    )
    relationship = models.CharField(_("lien avec vous"), max_length=10, choices=Relationship.choices)
    civility = models.CharField(_("civilité"), max_length=3, blank=True,
                                choices=[("mme", _("Madame")), ("m", _("Monsieur"))])
    first_name = models.CharField(_("prénom"), max_length=150)
    last_name = models.CharField(pgettext_lazy("nom de famille", "nom"), max_length=150)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True, validators=[validate_birth_date])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("membre du foyer")
        verbose_name_plural = _("membres du foyer")
        ordering = ["relationship", "birth_date", "first_name"]
        indexes = [models.Index(fields=["organisation", "citizen"])]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    def clean(self):
        super().clean()
        if self.relationship == self.Relationship.CHILD and self.birth_date is None:
            raise ValidationError({"birth_date": _("Indiquez la date de naissance de l'enfant.")}, code="required")
