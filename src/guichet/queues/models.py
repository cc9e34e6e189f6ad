"""The agents' saved views of the queue, and the trace of the managers' daily digests."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned


class SavedView(OrganisationOwned):
    """A set of queue filters an agent saved under a name (their own: other agents never see it)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("nom"), max_length=100)
    # The queue's query string (only the filters, never the page), e.g. "status=recue&deadline_state=overdue".
    params = models.CharField(_("filtres"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("vue enregistrée")
        verbose_name_plural = _("vues enregistrées")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"], name="unique_saved_view_name_per_agent",
                violation_error_message=_("Vous avez déjà une vue de ce nom."),
            )
        ]

    def __str__(self):
        return self.name


class OverdueDigest(OrganisationOwned):
    """One daily digest of a service's overdue requests: written with its notifications, so a job run twice
    the same day sends nothing twice."""

    service = models.ForeignKey("agents.Service", verbose_name=_("service"), on_delete=models.CASCADE,
                                related_name="+")
    day = models.DateField(_("jour"))
    count = models.PositiveIntegerField(_("demandes en retard"), default=0)
    recipients = models.PositiveIntegerField(_("responsables prévenus"), default=0)
    sent_at = models.DateTimeField(_("envoyé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("récapitulatif des retards")
        verbose_name_plural = _("récapitulatifs des retards")
        constraints = [
            models.UniqueConstraint(fields=["service", "day"], name="unique_overdue_digest_per_service_and_day")
        ]

    def __str__(self):
        return f"{self.service} — {self.day}"
