"""People who sign in: citizens (usagers) and agents of a collectivité, and the platform's operators."""

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from .validators import validate_birth_date, validate_french_phone, validate_postcode


def is_placeholder_email(email):
    """True for an address that is nobody's mailbox: `.invalid` (RFC 2606), given to citizens recorded by an agent
    without e-mail and to anonymised accounts. Nothing is ever sent there and it is never shown."""
    return (email or "").strip().lower().endswith(".invalid")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # Only the platform's operators (no collectivité) sign in by e-mail alone (Django admin).
        return self.get(organisation__isnull=True, email__iexact=email)

    def create_user(self, email, password=None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True, kind=User.Kind.OPERATOR, organisation=None)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("Usager")
        AGENT = "agent", _("Agent")
        OPERATOR = "operator", _("Opérateur de la plateforme")

    class Civility(models.TextChoices):
        MADAME = "mme", _("Madame")
        MONSIEUR = "m", _("Monsieur")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Courriel")
        SMS = "sms", _("SMS")
        LETTER = "letter", _("Courrier postal")

    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("collectivité"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="users",
    )
    kind = models.CharField(_("type de compte"), max_length=10, choices=Kind.choices, default=Kind.CITIZEN)
    email = models.EmailField(_("adresse électronique"))
    email_confirmed = models.BooleanField(_("adresse confirmée"), default=False)

    civility = models.CharField(_("civilité"), max_length=3, choices=Civility.choices, blank=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(pgettext_lazy("nom de famille", "nom"), max_length=150, blank=True)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True, validators=[validate_birth_date])
    address_line = models.CharField(_("adresse"), max_length=250, blank=True)
    address_complement = models.CharField(_("complément d'adresse"), max_length=250, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True, validators=[validate_postcode])
    city = models.CharField(_("commune"), max_length=150, blank=True)
    phone = PhoneNumberField(_("téléphone"), blank=True, validators=[validate_french_phone])
    preferred_channel = models.CharField(
        _("moyen de contact préféré"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )

    # Agents only
    is_org_admin = models.BooleanField(_("administrateur de la collectivité"), default=False)
    job_title = models.CharField(_("fonction"), max_length=150, blank=True)
    # The agent's telephone extension: the telephony system names it when a call rings (contact centre).
    phone_extension = models.CharField(_("poste téléphonique"), max_length=20, blank=True, db_index=True)

    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(_("accès à l'administration de la plateforme"), default=False)
    date_joined = models.DateTimeField(_("inscrit le"), auto_now_add=True)
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.UniqueConstraint(
                "organisation", Lower("email"), name="unique_email_per_organisation",
                violation_error_message=_("Un compte existe déjà avec cette adresse électronique."),
            ),
            models.UniqueConstraint(
                Lower("email"), condition=models.Q(organisation__isnull=True), name="unique_operator_email",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "kind", "last_name"]),
            # The agents' look-up of citizens by phone (citizen records, the contact centre's caller pop).
            models.Index(fields=["organisation", "phone"], name="user_org_phone"),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return " ".join(part for part in (self.first_name, self.last_name) if part).strip()

    @property
    def real_email(self):
        """The e-mail address, or "" for a placeholder (see is_placeholder_email)."""
        return "" if is_placeholder_email(self.email) else self.email

    def get_short_name(self):
        return self.first_name or self.email

    @property
    def is_citizen(self):
        return self.kind == self.Kind.CITIZEN

    @property
    def is_agent(self):
        return self.kind == self.Kind.AGENT

    @property
    def postal_address(self):
        lines = [self.address_line, self.address_complement, f"{self.postcode} {self.city}".strip()]
        return "\n".join(line for line in lines if line)

    @staticmethod
    def anonymous_email():
        return f"supprime-{uuid.uuid4().hex}@anonyme.invalid"
