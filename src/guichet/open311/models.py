"""What Open311 adds to a request it submitted: the client that sent it, its token, and the GeoReport fields that
have no place in the request itself (device_id, account_id, media_url, address_id, the description as sent)."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned


def new_token():
    return secrets.token_hex(16)


class Open311Request(OrganisationOwned):
    request = models.OneToOneField(
        "service_requests.ServiceRequest", verbose_name=_("demande"), on_delete=models.CASCADE,
        related_name="open311",
    )
    token = models.CharField(_("jeton"), max_length=32, unique=True, default=new_token)
    api_client = models.ForeignKey(
        "api_clients.ApiClient", verbose_name=_("client de l'API"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    device_id = models.CharField(_("identifiant de l'appareil"), max_length=200, blank=True)
    account_id = models.CharField(_("identifiant du compte"), max_length=200, blank=True)
    media_url = models.URLField(_("adresse du média"), max_length=1000, blank=True)
    address_id = models.CharField(_("identifiant de l'adresse"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("reçue le"), default=timezone.now)

    class Meta:
        verbose_name = _("signalement Open311")
        verbose_name_plural = _("signalements Open311")

    def __str__(self):
        return self.token
