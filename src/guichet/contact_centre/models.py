"""Models of the contact centre: the telephony system's secret, the calls it announces, and the contacts (calls
and visits at the counter) that agents log."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guichet.organisations.models import OrganisationOwned


class TelephonySecret(OrganisationOwned):
    """A secret the collectivité's telephony system presents (`Authorization: Bearer …`) on the incoming-call
    webhook. Only its SHA-256 is stored: the clear value is shown once, when it is generated."""

    label = models.CharField(_("libellé"), max_length=100, blank=True)
    secret_hash = models.CharField(_("empreinte du secret"), max_length=64, unique=True)
    hint = models.CharField(_("début du secret"), max_length=8)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("créé par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("dernier usage le"), null=True, blank=True)

    class Meta:
        verbose_name = _("secret de la téléphonie")
        verbose_name_plural = _("secrets de la téléphonie")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "revoked_at"], name="telephony_secret_active")]

    def __str__(self):
        return f"{self.label or self.hint}…"

    @property
    def is_active(self):
        return self.revoked_at is None


class IncomingCall(OrganisationOwned):
    """A call the telephony system announced (it rings on an agent's extension, or nobody's)."""

    class State(models.TextChoices):
        RINGING = "ringing", _("Sonne")
        TAKEN = "taken", _("Pris")
        MISSED = "missed", _("Manqué")

    call_id = models.CharField(_("identifiant de l'appel (téléphonie)"), max_length=100)
    caller_raw = models.CharField(_("numéro reçu"), max_length=40, blank=True)
    caller = models.CharField(_("numéro de l'appelant (E.164)"), max_length=20, blank=True)
    extension = models.CharField(_("poste appelé"), max_length=20, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent du poste"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    received_at = models.DateTimeField(_("reçu le"), default=timezone.now)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.RINGING)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pris par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("appel entrant")
        verbose_name_plural = _("appels entrants")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "call_id"], name="incoming_call_unique_id"),
        ]
        indexes = [
            # The call screen: the calls ringing now, for one agent or nobody in particular.
            models.Index(fields=["organisation", "state", "received_at"], name="incoming_call_ringing"),
        ]

    def __str__(self):
        return f"{self.caller or self.caller_raw or '?'} → {self.extension or '?'}"


class Contact(OrganisationOwned):
    """One call or one visit at the counter, logged by the agent who handled it."""

    class Kind(models.TextChoices):
        CALL = "call", _("Appel téléphonique")
        VISIT = "visit", _("Passage à l'accueil")

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("Réponse apportée au premier niveau")
        TRANSFERRED = "transferred", _("Transféré")
        REQUEST_CREATED = "request_created", _("Demande créée")
        OTHER = "other", pgettext_lazy("issue d'un appel", "Autre")

    kind = models.CharField(_("type de contact"), max_length=10, choices=Kind.choices, default=Kind.CALL)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, on_delete=models.SET_NULL,
        related_name="contact_centre_contacts",
    )
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("usager"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="contacts",
    )
    caller_number = models.CharField(_("numéro de l'appelant"), max_length=20, blank=True)
    incoming_call = models.ForeignKey(
        IncomingCall, verbose_name=_("appel entrant"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="contacts",
    )
    started_at = models.DateTimeField(_("début"), default=timezone.now)
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)
    duration = models.DurationField(_("durée"), null=True, blank=True)
    reason = models.CharField(_("motif"), max_length=300, blank=True)
    outcome = models.CharField(_("issue"), max_length=20, choices=Outcome.choices, blank=True)
    transferred_to_service = models.ForeignKey(
        "agents.Service", verbose_name=_("transféré au service"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    transferred_to_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("transféré à l'agent"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_request = models.ForeignKey(
        "service_requests.ServiceRequest", verbose_name=_("demande créée"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    related_request = models.ForeignKey(
        "service_requests.ServiceRequest", verbose_name=_("demande concernée"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="contacts",
    )
    notes = models.TextField(_("notes"), blank=True)
    logged_at = models.DateTimeField(_("consigné le"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "started_at", "id"], name="contact_org_started"),
            models.Index(fields=["organisation", "agent", "started_at"], name="contact_org_agent"),
            models.Index(fields=["organisation", "outcome", "started_at"], name="contact_org_outcome"),
            models.Index(fields=["organisation", "citizen", "started_at"], name="contact_org_citizen"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({timezone.localtime(self.started_at):%d/%m/%Y %H:%M})"

    @property
    def is_logged(self):
        return self.logged_at is not None
