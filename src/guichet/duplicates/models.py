"""Links between requests about the same matter (merges live on `ServiceRequest.merged_into`)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned


class RequestLink(OrganisationOwned):
    """Two requests an agent declared related (« liées »), without merging them: both stay open on their own.

    A link has no direction: it is stored once, with the smaller request id in `first`, and shown on both.
    """

    first = models.ForeignKey(
        "service_requests.ServiceRequest", verbose_name=_("demande"), on_delete=models.CASCADE, related_name="+"
    )
    second = models.ForeignKey(
        "service_requests.ServiceRequest", verbose_name=_("demande liée"), on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("liée par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("liée le"), default=timezone.now)

    class Meta:
        verbose_name = _("lien entre demandes")
        verbose_name_plural = _("liens entre demandes")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="unique_request_link"),
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="request_link_ordered"),
        ]
        indexes = [models.Index(fields=["second"], name="request_link_second")]

    def __str__(self):
        return f"{self.first_id} ↔ {self.second_id}"

    def other(self, service_request):
        """The request at the other end of the link, seen from `service_request`."""
        return self.second if self.first_id == service_request.pk else self.first
