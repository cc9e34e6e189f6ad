"""What the collectivité tells people, and how each message travelled (delivery log)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned


class Channel(models.TextChoices):
    EMAIL = "email", _("Courriel")
    SMS = "sms", _("SMS")
    LETTER = "letter", _("Courrier postal")


class MessageTemplate(OrganisationOwned):
    """A collectivité's wording of one kind of message (the kinds are declared in `catalogue.py`)."""

    key = models.CharField(_("message"), max_length=100)
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("texte du courriel et de la notification"))
    sms_text = models.TextField(_("texte du SMS"))
    letter_text = models.TextField(_("texte du courrier"))
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("modifié par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("modèle de message")
        verbose_name_plural = _("modèles de messages")
        constraints = [models.UniqueConstraint(fields=["organisation", "key"], name="unique_template_per_organisation")]

    def __str__(self):
        return self.key


class Notification(OrganisationOwned):
    """One message to one person, as rendered when it was sent; shown in « Mes notifications »."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("destinataire"), on_delete=models.CASCADE,
        related_name="notifications",
    )
    key = models.CharField(_("message"), max_length=100)
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("texte"))
    link = models.CharField(_("lien"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "recipient", "-created_at"]),
            models.Index(fields=["organisation", "-created_at"]),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_read(self):
        return self.read_at is not None


class Delivery(OrganisationOwned):
    """The sending of a notification on one channel: queued, sent, then delivered or failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("En attente d'envoi")
        RETRYING = "retrying", _("Nouvel essai prévu")
        SENDING = "sending", _("Envoi en cours")
        SENT = "sent", _("Envoyé")
        DELIVERED = "delivered", _("Distribué")
        FAILED = "failed", _("Échec")
        BOUNCED = "bounced", _("Rejeté par le destinataire")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    address = models.TextField(_("adresse"), help_text=_("Courriel, numéro de téléphone ou adresse postale."))
    content = models.TextField(_("texte envoyé"), blank=True, help_text=_("Texte du SMS ou du courrier."))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    queued_at = models.DateTimeField(_("mis en file le"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("résultat reçu le"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("prochain essai"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    result = models.TextField(_("résultat"), blank=True)
    provider_id = models.CharField(_("identifiant chez le prestataire"), max_length=255, blank=True, db_index=True)
    # Stable per delivery: the Message-ID of its e-mail and the key of its SMS, so a resend is recognisable.
    reference = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        ordering = ["-queued_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "-queued_at"]),
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.address}"


class DeliveryEvent(OrganisationOwned):
    """Append-only history of a delivery: tries, errors, fallbacks, bounces, receipts."""

    class Kind(models.TextChoices):
        QUEUED = "queued", _("Mis en file")
        FALLBACK = "fallback", _("Canal de repli")
        ATTEMPT_FAILED = "attempt_failed", _("Essai échoué")
        SENT = "sent", _("Envoyé")
        DELIVERED = "delivered", _("Distribué")
        FAILED = "failed", _("Échec définitif")
        BOUNCED = "bounced", _("Rejet (bounce)")
        RETRIED = "retried", _("Relancé par un agent")
        POSTED = "posted", _("Posté")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("événement"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("le"), auto_now_add=True)
    detail = models.TextField(_("détail"), blank=True)

    class Meta:
        verbose_name = _("événement d'envoi")
        verbose_name_plural = _("événements d'envoi")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%d/%m/%Y %H:%M}"
