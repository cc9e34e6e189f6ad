"""Checks on an identity provider's configuration."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Plain http is accepted only for a provider running on this very machine (development, tests).
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def validate_issuer(value):
    """The issuer must be an https address; http is allowed for localhost / 127.0.0.1 only.

    An issuer carries no query string nor fragment (OpenID Connect Discovery, section 2).
    """
    parts = urlsplit(value or "")
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationError(_("Indiquez l'adresse complète de l'émetteur, par exemple https://fournisseur.example."))
    if parts.scheme == "http" and host not in LOCAL_HOSTS:
        raise ValidationError(
            _("L'émetteur doit utiliser https:// (http:// n'est accepté que pour localhost ou 127.0.0.1).")
        )
    if parts.query or parts.fragment:
        raise ValidationError(_("L'adresse de l'émetteur ne doit contenir ni « ? » ni « # »."))
