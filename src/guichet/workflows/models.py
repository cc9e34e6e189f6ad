"""Workflows (circuits de traitement) shared by procedures, and the engine's own bookkeeping.

A `Workflow` holds the editable JSON definition; publishing a procedure snapshots it into
`ProcedureVersion.workflow`, and the engine only ever reads that snapshot. `PendingTimer` rows are the timers of
a request's current status (created on entering it, deleted on leaving it); `InformationRequest` remembers what
was asked of the citizen and where the request goes once they answer; `ScheduledAnonymisation` is the date after
which a closed request's personal data are erased.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned


def default_definition():
    return {
        "initial": "recue",
        "statuses": [
            {"id": "recue", "label": "Reçue", "colour": "#1f4e8c", "visible": True, "final": False, "on_enter": [],
             "buttons": [
                 {"id": "accepter", "label": "Accepter", "roles": ["agent", "manager"],
                  "actions": [{"type": "goto", "status": "acceptee"}]},
                 {"id": "refuser", "label": "Refuser", "roles": ["agent", "manager"],
                  "actions": [{"type": "goto", "status": "refusee"}]},
             ], "timers": []},
            {"id": "acceptee", "label": "Acceptée", "colour": "#1d6b33", "visible": True, "final": True,
             "on_enter": [], "buttons": [], "timers": []},
            {"id": "refusee", "label": "Refusée", "colour": "#a4262c", "visible": True, "final": True,
             "on_enter": [], "buttons": [], "timers": []},
        ],
    }


class Workflow(OrganisationOwned):
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    definition = models.JSONField(_("définition"), default=default_definition)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("modifié par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("circuit de traitement")
        verbose_name_plural = _("circuits de traitement")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="unique_workflow_slug_per_organisation",
                violation_error_message=_("Un circuit porte déjà cet identifiant."),
            )
        ]

    def __str__(self):
        return self.name


class PendingTimer(OrganisationOwned):
    """A timer of the status a request is in: due at `due_at`, or once the request's deadline has passed."""

    request = models.ForeignKey("service_requests.ServiceRequest", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=80)
    index = models.PositiveSmallIntegerField()
    goto = models.CharField(max_length=80)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    on_deadline = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["on_deadline"], name="pending_timer_on_deadline")]


class InformationRequest(OrganisationOwned):
    """What an agent asked the citizen; the request goes to `then` once answered."""

    request = models.ForeignKey("service_requests.ServiceRequest", on_delete=models.CASCADE, related_name="+")
    message = models.TextField()
    then = models.CharField(max_length=80)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]


class ScheduledAnonymisation(OrganisationOwned):
    """The day from which the request's personal data are erased (once it is closed)."""

    request = models.OneToOneField("service_requests.ServiceRequest", on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField(db_index=True)
