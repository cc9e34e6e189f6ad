"""The citizens' ratings of the answer to their closed requests, and their requests to reopen them.

A rating belongs to one closing of a request (`closed_at` copied from the request when it was rated): a request
reopened and closed again may be rated again, never twice for the same closing. A reopening request likewise
belongs to one closing; the service accepts it (the request goes back to a non-final status of its workflow) or
refuses it with a written reason. Both are written only through `satisfaction.services`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned

MAX_COMMENT_LENGTH = 2000
MAX_REASON_LENGTH = 2000

SCORES = [
    (1, _("Très insatisfait")),
    (2, _("Insatisfait")),
    (3, _("Ni satisfait ni insatisfait")),
    (4, _("Satisfait")),
    (5, _("Très satisfait")),
]


class Rating(OrganisationOwned):
    request = models.ForeignKey(
        "service_requests.ServiceRequest", verbose_name=_("demande"), on_delete=models.CASCADE,
        related_name="ratings",
    )
    closed_at = models.DateTimeField(_("clôture évaluée"))
    score = models.PositiveSmallIntegerField(
        _("note"), choices=SCORES, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("commentaire"), max_length=MAX_COMMENT_LENGTH, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("auteur"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("donné le"), auto_now_add=True)

    class Meta:
        verbose_name = _("avis de l'usager")
        verbose_name_plural = _("avis des usagers")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "closed_at"], name="one_rating_per_closing",
                violation_error_message=_("Cette réponse a déjà reçu un avis."),
            ),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"),
        ]
        indexes = [models.Index(fields=["organisation", "created_at"], name="rating_org_created")]

    def __str__(self):
        return f"{self.request_id} : {self.score}/5"


class ReopenRequest(OrganisationOwned):
    class State(models.TextChoices):
        PENDING = "pending", _("En attente de la décision du service")
        ACCEPTED = "accepted", _("Acceptée : demande rouverte")
        REFUSED = "refused", _("Refusée")

    request = models.ForeignKey(
        "service_requests.ServiceRequest", verbose_name=_("demande"), on_delete=models.CASCADE,
        related_name="reopen_requests",
    )
    closed_at = models.DateTimeField(_("clôture contestée"))
    reason = models.TextField(_("motif"), max_length=MAX_REASON_LENGTH)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("demandée par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("décidée par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decision_text = models.TextField(_("texte de la décision"), blank=True)
    status_to = models.CharField(_("statut de reprise"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("demande de réouverture")
        verbose_name_plural = _("demandes de réouverture")
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "closed_at"], name="one_reopen_request_per_closing",
                violation_error_message=_("La réouverture de cette demande a déjà été demandée."),
            ),
        ]
        indexes = [models.Index(fields=["organisation", "state"], name="reopen_org_state")]

    def __str__(self):
        return f"{self.request_id} ({self.get_state_display()})"

    @property
    def is_pending(self):
        return self.state == self.State.PENDING
