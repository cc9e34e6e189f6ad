"""The REST API of a collectivité (/api/v1/ on its host), built with django-ninja.

`api` is the NinjaAPI; each domain has its Router (catalogue.py, requests.py). The OpenAPI 3 document is served
at /api/v1/openapi.json and browsable at /api/v1/docs. Errors are problem documents (RFC 9457, French `detail`).

Authentication (request.auth after ninja's check):
- `ClientAuth`: `Authorization: Bearer <secret>` of an API client of the host's collectivité (api_clients),
  counted against the client's rate limit;
- `CitizenSession`: the citizen's own browser session on the collectivité's host (CSRF checked on writes).
"""

from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from guichet.api_clients import services as clients


class ApiError(Exception):
    """Raised by endpoints and services: answered as a problem document with `status` and a French `detail`."""

    def __init__(self, status, title, detail, **extra):
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


class RateLimited(ApiError):
    def __init__(self, retry_after):
        super().__init__(429, _("Trop de requêtes"), _(
            "Ce client a dépassé le nombre d'appels permis par minute ; réessayez dans %(seconds)s s.")
            % {"seconds": retry_after})
        self.retry_after = retry_after


class ClientAuth(HttpBearer):
    def authenticate(self, request, token):
        client = clients.authenticate_bearer(getattr(request, "organisation", None), f"Bearer {token}")
        if client is None:
            return None
        wait = clients.check_rate(client)
        if wait is not None:
            raise RateLimited(wait)
        return client


class CitizenSession(SessionAuth):
    def authenticate(self, request, key):
        user = request.user
        if user.is_authenticated and user.organisation_id == getattr(request.organisation, "pk", None):
            return user
        return None


api = NinjaAPI(
    title="Guichet — API REST",
    version="1",
    description="API de la collectivité : catalogue des démarches, dépôt et suivi des demandes.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
