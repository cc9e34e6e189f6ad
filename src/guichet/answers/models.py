"""Answer templates: the wording a service starts from when it writes its answer to a citizen."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned


class AnswerTemplate(OrganisationOwned):
    """A ready answer of one service (or of every service when `service` is empty), with request variables
    (`{{ demande.code }}`, `{{ destinataire.nom }}`…) filled in for each request; the agent edits it before
    sending."""

    service = models.ForeignKey(
        "agents.Service", verbose_name=_("service"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="answer_templates", help_text=_("Laissez vide pour un modèle commun à tous les services."),
    )
    title = models.CharField(_("titre"), max_length=150)
    body = models.TextField(_("texte de la réponse"))
    is_active = models.BooleanField(_("actif"), default=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("modifié par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("modèle de réponse")
        verbose_name_plural = _("modèles de réponse")
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["organisation", "service", "is_active"], name="answer_tpl_org_service")]

    def __str__(self):
        return self.title
