"""A connector: how the collectivité's workflows reach one external service (base URL, authentication, limits)."""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,49}$")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")  # an RFC 9110 token
# Headers a connector may not set itself: the transport's own, and the ones its authentication writes.
RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "content-type",
                              "authorization", "x-guichet-signature", "cookie"})
MAX_HEADERS = 20
HEADER_VALUE_MAX = 1000
TIMEOUT_MIN, TIMEOUT_MAX = 1, 60
ATTEMPTS_MIN, ATTEMPTS_MAX = 1, 10
HMAC_SECRET_MIN = 16


def validate_slug(value):
    if not isinstance(value, str) or not SLUG_PATTERN.match(value):
        raise ValidationError(gettext("Indiquez un identifiant de 50 caractères au plus : lettres minuscules, "
                                      "chiffres et tirets, par exemple « etat-civil »."), code="slug")


def validate_base_url(value):
    """An http(s) address without query, fragment nor credentials (those go in the authentication)."""
    message = gettext("Indiquez une adresse web commençant par http:// ou https://, sans « ? » ni « # ».")
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValidationError(message, code="base_url") from None
    parts = urlsplit(value)
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValidationError(message, code="base_url")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(gettext("N'écrivez pas d'identifiant ni de mot de passe dans l'adresse : "
                                      "choisissez plutôt une authentification."), code="base_url")


def validate_header_name(value):
    if not isinstance(value, str) or not HEADER_NAME.match(value):
        raise ValidationError(gettext("« %(name)s » n'est pas un nom d'en-tête HTTP valide (lettres, chiffres, "
                                      "tirets).") % {"name": value}, code="header")


def validate_headers(value):
    """Default headers: a JSON object of at most 20 {name: value} texts, no line breaks, no reserved name."""
    if not isinstance(value, dict):
        raise ValidationError(gettext("Les en-têtes doivent être des paires nom : valeur."), code="headers")
    if len(value) > MAX_HEADERS:
        raise ValidationError(gettext("%(max)s en-têtes au plus.") % {"max": MAX_HEADERS}, code="headers")
    for name, header_value in value.items():
        validate_header_name(name)
        if name.lower() in RESERVED_HEADERS:
            raise ValidationError(gettext("L'en-tête « %(name)s » est écrit par Guichet lui-même : retirez-le.")
                                  % {"name": name}, code="headers")
        if (not isinstance(header_value, str) or len(header_value) > HEADER_VALUE_MAX
                or re.search(r"[\x00-\x1f\x7f]", header_value)):
            raise ValidationError(gettext("La valeur de l'en-tête « %(name)s » doit être un texte d'une ligne de "
                                          "%(max)s caractères au plus.") % {"name": name, "max": HEADER_VALUE_MAX},
                                  code="headers")


class Connector(OrganisationOwned):
    class Auth(models.TextChoices):
        NONE = "none", _("Aucune")
        BEARER = "bearer", _("Jeton (Authorization: Bearer)")
        BASIC = "basic", _("Identifiant et mot de passe (HTTP Basic)")
        API_KEY = "api_key", _("Clé d'API dans un en-tête")
        HMAC = "hmac", _("Signature HMAC (X-Guichet-Signature)")

    name = models.CharField(_("nom"), max_length=150)
    slug = models.CharField(_("identifiant"), max_length=50, validators=[validate_slug],
                            help_text=_("Les circuits de traitement appellent le connecteur par cet identifiant "
                                        "(lettres minuscules, chiffres, tirets)."))
    base_url = models.CharField(_("adresse de base"), max_length=500, validators=[validate_base_url])
    auth_kind = models.CharField(_("authentification"), max_length=10, choices=Auth.choices, default=Auth.NONE)
    username = models.CharField(_("identifiant de connexion (HTTP Basic)"), max_length=200, blank=True)
    header_name = models.CharField(_("nom de l'en-tête de la clé d'API"), max_length=100, blank=True)
    # Kept as typed: it is needed to call the service. Never shown again once saved.
    secret = models.CharField(_("secret"), max_length=1000, blank=True)
    timeout_seconds = models.PositiveSmallIntegerField(
        _("délai d'attente (secondes)"), default=10,
        validators=[MinValueValidator(TIMEOUT_MIN), MaxValueValidator(TIMEOUT_MAX)])
    max_attempts = models.PositiveSmallIntegerField(
        _("nombre d'essais"), default=3, validators=[MinValueValidator(ATTEMPTS_MIN), MaxValueValidator(ATTEMPTS_MAX)])
    headers = models.JSONField(_("en-têtes ajoutés à chaque appel"), default=dict, blank=True,
                               validators=[validate_headers])
    is_active = models.BooleanField(_("actif"), default=True)
    last_called_at = models.DateTimeField(_("dernier appel"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("code de la dernière réponse"), null=True, blank=True)
    last_error = models.CharField(_("erreur du dernier appel"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("connecteur")
        verbose_name_plural = _("connecteurs")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["organisation", "slug"], name="connector_slug_per_org")]

    def __str__(self):
        return self.name

    @property
    def last_call_ok(self):
        return self.last_called_at is not None and not self.last_error
