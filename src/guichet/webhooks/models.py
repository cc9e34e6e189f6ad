"""Outgoing webhooks: a collectivité's subscriptions to the events of its requests, and their deliveries.

A `Subscription` names a URL, the events it wants and the procedures they come from (all of them, or some); each
event of a matching request becomes one `Delivery` (its JSON body frozen at emission), sent by a background job
and tried again with back-off; every try is a `DeliveryAttempt`.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import Organisation, OrganisationOwned


class Event(models.TextChoices):
    REQUEST_CREATED = "request.created", _("Demande déposée")
    STATUS_CHANGED = "request.status_changed", _("Changement de statut")
    MESSAGE_POSTED = "message.posted", _("Message (de l'usager ou de l'agent, réponse écrite)")
    REQUEST_CLOSED = "request.closed", _("Demande close")


PING = "ping"
EVENT_LABELS = {**dict(Event.choices), PING: _("Test (ping)")}


class Subscription(OrganisationOwned):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("collectivité"), on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    name = models.CharField(_("nom"), max_length=120)
    url = models.URLField(_("adresse (URL)"), max_length=500)
    events = models.JSONField(_("événements"), default=list)
    all_procedures = models.BooleanField(_("toutes les démarches"), default=True)
    procedures = models.ManyToManyField(
        "procedures.Procedure", verbose_name=_("démarches"), blank=True, related_name="+",
    )
    # Kept as generated: the platform needs it in clear to sign every delivery (it is never shown again).
    secret = models.CharField(_("secret"), max_length=100)
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("créé par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    secret_renewed_at = models.DateTimeField(_("secret renouvelé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("abonnement webhook")
        verbose_name_plural = _("abonnements webhook")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["organisation", "is_active"], name="webhook_sub_org_active")]

    def __str__(self):
        return self.name

    @property
    def secret_hint(self):
        return self.secret[:8]

    def event_labels(self):
        return [EVENT_LABELS.get(event, event) for event in self.events]


class Delivery(OrganisationOwned):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("collectivité"), on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENDING = "sending", _("Envoi en cours")
        RETRYING = "retrying", _("Échec, nouvel essai prévu")
        DELIVERED = "delivered", _("Remis")
        FAILED = "failed", _("Échec définitif")

    subscription = models.ForeignKey(
        Subscription, verbose_name=_("abonnement"), on_delete=models.CASCADE, related_name="deliveries"
    )
    # Sent as X-Guichet-Delivery: the same on every try and replay, so that receivers can de-duplicate.
    uuid = models.UUIDField(_("identifiant de l'envoi"), default=uuid.uuid4, unique=True, editable=False)
    event_id = models.UUIDField(_("identifiant de l'événement"))
    event_type = models.CharField(_("événement"), max_length=40)
    tracking_code = models.CharField(_("numéro de suivi"), max_length=12, blank=True)
    # The exact JSON text POSTed, frozen at emission: retries and replays send these same bytes.
    body = models.TextField(_("contenu"))
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.PENDING)
    # A ping or a replay: one try, no automatic retries, sent even when the subscription is deactivated.
    manual = models.BooleanField(_("envoi manuel"), default=False)
    # Each job carries the generation it was queued for; a replay or a retry moves it on, so a stale job does
    # nothing.
    generation = models.PositiveIntegerField(default=1)
    attempts = models.PositiveIntegerField(_("essais"), default=0)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("prochain essai"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("remis le"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("dernier code de réponse"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)

    class Meta:
        verbose_name = _("envoi webhook")
        verbose_name_plural = _("envois webhook")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "-created_at", "-id"], name="webhook_delivery_log"),
            models.Index(fields=["organisation", "status", "-created_at", "-id"], name="webhook_delivery_status"),
            models.Index(fields=["organisation", "event_type", "-created_at", "-id"], name="webhook_delivery_event"),
            models.Index(fields=["subscription", "-created_at", "-id"], name="webhook_delivery_sub"),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.subscription_id} ({self.uuid})"

    @property
    def event_label(self):
        return EVENT_LABELS.get(self.event_type, self.event_type)


class DeliveryAttempt(OrganisationOwned):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("collectivité"), on_delete=models.CASCADE, related_name="webhook_delivery_attempts"
    )
    delivery = models.ForeignKey(Delivery, verbose_name=_("envoi"), on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField(_("essai n°"))
    at = models.DateTimeField(_("le"), default=timezone.now)
    manual = models.BooleanField(_("manuel"), default=False)
    status_code = models.PositiveIntegerField(_("code de réponse"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("durée (ms)"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    response_body = models.TextField(_("début de la réponse"), blank=True)

    class Meta:
        verbose_name = _("essai d'envoi webhook")
        verbose_name_plural = _("essais d'envoi webhook")
        ordering = ["delivery", "number", "pk"]
        indexes = [models.Index(fields=["delivery", "number"], name="webhook_attempt_delivery")]

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300
