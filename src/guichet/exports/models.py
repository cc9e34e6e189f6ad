"""An agent's export of a queue or a search result, produced by the worker."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned
from guichet.service_requests.storage import get_private_storage


class Export(OrganisationOwned):
    class Source(models.TextChoices):
        QUEUE = "queue", _("File de demandes")
        SEARCH = "search", _("Résultat de recherche")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        ODS = "ods", "ODS"
        XLSX = "xlsx", "XLSX"

    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("demandé par"), on_delete=models.CASCADE, related_name="exports"
    )
    source = models.CharField(_("origine"), max_length=10, choices=Source.choices)
    params = models.TextField(_("paramètres"), blank=True, help_text=_("Les paramètres de la liste exportée."))
    format = models.CharField(_("format"), max_length=5, choices=Format.choices)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PENDING)
    rows_done = models.PositiveIntegerField(_("lignes écrites"), default=0)
    rows_total = models.PositiveIntegerField(_("lignes à écrire"), null=True, blank=True)
    file = models.FileField(_("fichier"), storage=get_private_storage, max_length=255, blank=True)
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    error = models.TextField(_("erreur"), blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "requested_by", "-created_at"], name="export_requester_idx"),
            models.Index(fields=["state", "finished_at"], name="export_state_idx"),
        ]

    def __str__(self):
        return f"{self.get_source_display()} — {self.get_format_display()} ({self.created_at:%d/%m/%Y %H:%M})"

    @property
    def is_active(self):
        return self.state in (self.State.PENDING, self.State.RUNNING)

    @property
    def percent(self):
        """Progress in whole percent (0 before the total is known, 100 when done)."""
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
