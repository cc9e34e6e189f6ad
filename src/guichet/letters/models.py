"""Postal letters: each letter notification is put in its collectivité's batch of the day, which an agent
downloads (one PDF to print), then marks as posted."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guichet.notifications.models import Delivery
from guichet.organisations.models import OrganisationOwned


class LetterBatch(OrganisationOwned):
    """The letters of one day. Open: letters are added to it. Downloaded: printed, closed to new letters
    (a letter arriving later goes into a new open batch). Posted: handed to the post office."""

    class Status(models.TextChoices):
        OPEN = "open", _("En cours de constitution")
        DOWNLOADED = "downloaded", _("Téléchargé, à poster")
        POSTED = "posted", _("Posté")

    date = models.DateField(_("date"))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    downloaded_at = models.DateTimeField(_("téléchargé le"), null=True, blank=True)
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("téléchargé par"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    posted_at = models.DateTimeField(_("posté le"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("posté par"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("lot de courriers")
        verbose_name_plural = _("lots de courriers")
        ordering = ["-date", "-pk"]
        constraints = [
            # At most one batch taking letters per collectivité and day (two workers cannot open two).
            models.UniqueConstraint(
                fields=["organisation", "date"], condition=Q(status="open"), name="one_open_letter_batch_per_day"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "-date"])]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} ({self.get_status_display()})"

    @property
    def is_open(self):
        return self.status == self.Status.OPEN


class Letter(OrganisationOwned):
    """One letter (a letter delivery) in a batch."""

    batch = models.ForeignKey(LetterBatch, verbose_name=_("lot"), on_delete=models.CASCADE, related_name="letters")
    delivery = models.OneToOneField(Delivery, verbose_name=_("envoi"), on_delete=models.CASCADE, related_name="letter")
    created_at = models.DateTimeField(_("ajouté le"), auto_now_add=True)

    class Meta:
        verbose_name = _("courrier")
        verbose_name_plural = _("courriers")
        ordering = ["pk"]

    def __str__(self):
        return self.recipient_name

    @property
    def address_lines(self):
        return [line.strip() for line in self.delivery.address.splitlines() if line.strip()]

    @property
    def recipient_name(self):
        lines = self.address_lines
        return lines[0] if lines else ""

    @property
    def short_reference(self):
        """The reference printed on the letter: the delivery's, short enough to be read on the phone."""
        return self.delivery.reference.hex[:8].upper()
