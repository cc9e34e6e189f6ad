"""API clients of a collectivité: the business software, mobile apps and Open311 clients that call its REST API
(/api/v1/) and its Open311 endpoint (/open311/v2/).

An administrator creates a client with a set of scopes; its secret is shown once and only its SHA-256 is kept
(guichet.organisations.secrets). It is presented as `Authorization: Bearer <secret>` on the REST API and as
`api_key=<secret>` on Open311. A revoked client is refused at once. `RateWindow` counts each client's calls per
minute in the database, so that every stateless web process applies the same limit.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned

MIN_RATE_LIMIT, MAX_RATE_LIMIT = 1, 10_000


class Scope(models.TextChoices):
    REQUESTS_READ = "requests:read", _("Lire les demandes, leur historique et leurs messages")
    REQUESTS_WRITE = "requests:write", _("Déposer des demandes pour le compte des usagers")
    MESSAGES_WRITE = "messages:write", _("Écrire aux usagers sur leurs demandes")
    WORKFLOW = "workflow:act", _("Actionner les boutons du circuit de traitement")
    OPEN311 = "open311", _("Déposer et suivre des signalements en Open311")


class ApiClient(OrganisationOwned):
    name = models.CharField(_("nom"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    scopes = models.JSONField(_("permissions"), default=list, blank=True)
    # Requests of these services only (none: every service of the collectivité).
    services = models.ManyToManyField("agents.Service", verbose_name=_("services"), blank=True, related_name="+")
    secret_hash = models.CharField(_("empreinte du secret"), max_length=64, unique=True)
    hint = models.CharField(_("début du secret"), max_length=12)
    rate_limit = models.PositiveIntegerField(
        _("appels par minute"), default=120,
        validators=[MinValueValidator(MIN_RATE_LIMIT), MaxValueValidator(MAX_RATE_LIMIT)],
        help_text=_("Au-delà, l'API répond 429 jusqu'à la minute suivante."),
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("créé par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("révoqué par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("dernier appel le"), null=True, blank=True)

    class Meta:
        verbose_name = _("client de l'API")
        verbose_name_plural = _("clients de l'API")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["organisation", "revoked_at"], name="api_client_active")]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.revoked_at is None

    def has_scope(self, scope):
        return self.is_active and str(scope) in (self.scopes or [])


class RateWindow(models.Model):
    """How many calls `client` made in the minute starting at `start`."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "start"], name="unique_rate_window")]
        indexes = [models.Index(fields=["start"], name="rate_window_start")]  # the clean-up
