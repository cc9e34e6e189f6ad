"""What the workers write beside django-tasks-db's job rows: their heartbeats, the periodic slots they claimed,
and the administrators' relaunches of failed jobs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult


class WorkerHeartbeat(models.Model):
    """One row per running worker process, refreshed every few seconds by its scheduler thread.

    A RUNNING job whose worker has not refreshed its row for a while is handed to another worker.
    """

    worker_id = models.CharField(_("identifiant du travailleur"), max_length=64, unique=True)
    hostname = models.CharField(_("machine"), max_length=255)
    pid = models.PositiveIntegerField(_("numéro de processus"))
    started_at = models.DateTimeField(_("démarré le"), auto_now_add=True)
    last_seen = models.DateTimeField(_("dernier signe de vie"), db_index=True)

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = _("travailleur")
        verbose_name_plural = _("travailleurs")

    def __str__(self):
        return f"{self.worker_id} ({self.hostname}, pid {self.pid})"


class ScheduledRun(models.Model):
    """A periodic job's slot, claimed once across all workers: the unique row is created in the same
    transaction as the job it enqueues, so a second worker reaching the same slot gets an IntegrityError."""

    name = models.CharField(_("travail périodique"), max_length=200)
    slot = models.DateTimeField(_("échéance"))
    claimed_at = models.DateTimeField(_("mis en file le"), auto_now_add=True)
    worker_id = models.CharField(_("par le travailleur"), max_length=64, blank=True)
    result_id = models.UUIDField(_("travail mis en file"), null=True, blank=True)

    class Meta:
        ordering = ["-slot", "name"]
        verbose_name = _("exécution planifiée")
        verbose_name_plural = _("exécutions planifiées")
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="background_scheduledrun_once")]

    def __str__(self):
        return f"{self.name} @ {self.slot:%Y-%m-%d %H:%M}"


class Job(DBTaskResult):
    """django-tasks-db's job rows, as the platform operators see them in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("travail")
        verbose_name_plural = _("travaux")


class JobRetry(models.Model):
    """A job failed for good, relaunched by an administrator: the failed row keeps its history and points to
    the new row; a failed job is relaunched once."""

    failed = models.OneToOneField(
        DBTaskResult, on_delete=models.CASCADE, related_name="guichet_retry", verbose_name=_("travail en échec")
    )
    retry = models.ForeignKey(
        DBTaskResult, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("nouveau travail"),
    )
    retried_at = models.DateTimeField(_("relancé le"), auto_now_add=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("relancé par"),
    )

    class Meta:
        ordering = ["-retried_at"]
        verbose_name = _("relance")
        verbose_name_plural = _("relances")

    def __str__(self):
        return f"{self.failed_id} → {self.retry_id}"
