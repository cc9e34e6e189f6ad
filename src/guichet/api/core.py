"""The REST API of a collectivité (/api/v1/ on its host), built with django-ninja.

`api` is the NinjaAPI; each domain has its Router (catalogue.py, requests.py), mounted by `mount_routers()`
(called by urls.py). The OpenAPI 3 document is served at /api/v1/openapi.json (its `servers` is the host's own
URL) and browsable at /api/v1/docs (ninja's local Swagger UI). Every error is a problem document (RFC 9457,
`application/problem+json`, French `title` and `detail`, a stable `code`), and every operation of the document
declares those answers with the `Problem` schema (see `_complete_schema`).

Authentication (request.auth after ninja's check):
- `ClientAuth`: `Authorization: Bearer <secret>` of an API client of the host's collectivité (api_clients),
  counted against the client's rate limit (429 with Retry-After beyond it);
- `CitizenSession`: the citizen's own browser session on the collectivité's host (CSRF checked on writes);
- `OptionalClient`: public endpoints: no Authorization header → `ANONYMOUS`; a bearer presented must be valid
  (else 401) and is counted like with `ClientAuth`.
"""

import functools
import json
import logging
import re
from typing import List, Optional

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from guichet.api_clients import services as clients

from .schemas import PROBLEM_MEDIA_TYPE, FieldError, Problem

logger = logging.getLogger("guichet.api")

TITLES = {
    400: gettext_lazy("Requête invalide"),
    401: gettext_lazy("Authentification requise"),
    403: gettext_lazy("Accès refusé"),
    404: gettext_lazy("Introuvable"),
    405: gettext_lazy("Méthode non permise"),
    409: gettext_lazy("Conflit"),
    413: gettext_lazy("Requête trop volumineuse"),
    415: gettext_lazy("Type de contenu non pris en charge"),
    422: gettext_lazy("Données invalides"),
    429: gettext_lazy("Trop de requêtes"),
    500: gettext_lazy("Erreur interne"),
}
CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "validation", 429: "rate_limited",
         500: "server_error"}
# The problems every operation may answer (declared on each one in the OpenAPI document).
DECLARED_PROBLEMS = (400, 401, 403, 404, 422, 429, 500)
BODY_PROBLEMS = (413,)  # and those with a request body (too large)
WWW_AUTHENTICATE = 'Bearer realm="Guichet"'
# A Python string holds a surrogate only when it is alone (json.loads joins the pairs).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ApiError(Exception):
    """Raised by endpoints and services: answered as a problem document with `status` and a French `detail`.

    `extra` members are added to the document (e.g. `code="closed"`, `errors=[...]`)."""

    def __init__(self, status, title, detail, **extra):
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


class RateLimited(ApiError):
    def __init__(self, retry_after):
        super().__init__(429, _("Trop de requêtes"), _(
            "Ce client a dépassé le nombre d'appels permis par minute ; réessayez dans %(seconds)s s.")
            % {"seconds": retry_after}, code="rate_limited")
        self.retry_after = retry_after


def forbidden(detail=None):
    return ApiError(403, _("Accès refusé"), detail or _("Ce client n'a pas la permission nécessaire."),
                    code="forbidden")


def not_found(detail=None):
    return ApiError(404, _("Introuvable"), detail or _("Cet objet n'existe pas dans cette collectivité."),
                    code="not_found")


def require_scope(request, scope):
    """403 unless the caller is an API client holding `scope` (a citizen's session has no scopes: check what
    it may see with the services' own rules instead)."""
    caller = getattr(request, "auth", None)
    if not hasattr(caller, "has_scope") or not caller.has_scope(scope):
        raise forbidden(_("Ce client n'a pas la permission « %(scope)s ».") % {"scope": scope})


def _rate_checked(client):
    wait = clients.check_rate(client)
    if wait is not None:
        raise RateLimited(wait)
    return client


class ClientAuth(HttpBearer):
    def authenticate(self, request, token):
        client = clients.authenticate_bearer(getattr(request, "organisation", None), f"Bearer {token}")
        if client is None:
            return None
        return _rate_checked(client)


class CitizenSession(SessionAuth):
    """The signed-in citizen of the host's collectivité. CSRF is checked (unsafe methods) only when a session
    cookie is sent, so that a call without any credentials is a 401, not a 403."""

    def _get_key(self, request):
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = request.user
        if (key and user.is_authenticated and user.is_citizen
                and user.organisation_id == getattr(request.organisation, "pk", None)):
            return user
        return None


class _Anonymous:
    """`request.auth` of a public endpoint called without credentials."""

    def __bool__(self):
        return True

    def has_scope(self, scope):
        return False

    def __repr__(self):
        return "ANONYMOUS"


ANONYMOUS = _Anonymous()


class OptionalClient:
    """Auth of the public endpoints: none needed, but a presented Authorization header must be a valid bearer.
    (Declared in the OpenAPI document as `security: [{}, {ClientAuth: []}]`.)"""

    def __call__(self, request):
        header = request.headers.get("Authorization")
        if not header:
            return ANONYMOUS
        client = clients.authenticate_bearer(getattr(request, "organisation", None), header)
        if client is None:
            raise AuthenticationError()
        return _rate_checked(client)


# ---------------------------------------------------------------------------------------------------------------
# Problem documents

def problem_bytes(body):
    """The UTF-8 JSON of a problem document. A value sent by the caller may be echoed in it (an unknown choice, a
    key): a lone surrogate (JSON "\\ud800") cannot be encoded in UTF-8 and becomes U+FFFD instead of a 500."""
    return LONE_SURROGATE.sub("\ufffd", json.dumps(body, ensure_ascii=False, default=str)).encode("utf-8")


def problem(request, status, detail, *, title=None, code=None, headers=None, **extra):
    """The HttpResponse of a problem document."""
    body = {"type": extra.pop("type", "about:blank"), "title": str(title or TITLES.get(status, _("Erreur"))),
            "status": status, "detail": str(detail), "code": code or CODES.get(status, "error"),
            "instance": request.path}
    body.update(extra)
    response = HttpResponse(problem_bytes(body), status=status, content_type=f"{PROBLEM_MEDIA_TYPE}; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    if status == 401 and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = WWW_AUTHENTICATE
    return response


VALIDATION_MESSAGES = {
    "missing": gettext_lazy("Ce champ est obligatoire."),
    "int_parsing": gettext_lazy("Un nombre entier est attendu."),
    "int_type": gettext_lazy("Un nombre entier est attendu."),
    "float_parsing": gettext_lazy("Un nombre est attendu."),
    "float_type": gettext_lazy("Un nombre est attendu."),
    "bool_parsing": gettext_lazy("Un booléen est attendu (true ou false)."),
    "bool_type": gettext_lazy("Un booléen est attendu (true ou false)."),
    "string_type": gettext_lazy("Un texte est attendu."),
    "string_too_short": gettext_lazy("Ce texte est trop court."),
    "string_too_long": gettext_lazy("Ce texte est trop long."),
    "string_pattern_mismatch": gettext_lazy("Ce texte n'a pas le format attendu."),
    "greater_than_equal": gettext_lazy("Cette valeur est trop petite."),
    "greater_than": gettext_lazy("Cette valeur est trop petite."),
    "less_than_equal": gettext_lazy("Cette valeur est trop grande."),
    "less_than": gettext_lazy("Cette valeur est trop grande."),
    "literal_error": gettext_lazy("Cette valeur ne fait pas partie des valeurs permises."),
    "enum": gettext_lazy("Cette valeur ne fait pas partie des valeurs permises."),
    "list_type": gettext_lazy("Une liste est attendue."),
    "dict_type": gettext_lazy("Un objet JSON est attendu."),
    "model_type": gettext_lazy("Un objet JSON est attendu."),
    "model_attributes_type": gettext_lazy("Un objet JSON est attendu."),
    "too_long": gettext_lazy("Cette liste est trop longue."),
    "too_short": gettext_lazy("Cette liste est trop courte."),
    "date_parsing": gettext_lazy("Une date AAAA-MM-JJ est attendue."),
    "date_from_datetime_parsing": gettext_lazy("Une date AAAA-MM-JJ est attendue."),
    "datetime_parsing": gettext_lazy("Une date et heure ISO 8601 est attendue."),
    "datetime_from_date_parsing": gettext_lazy("Une date et heure ISO 8601 est attendue."),
    "uuid_parsing": gettext_lazy("Un identifiant UUID est attendu."),
    "value_error": gettext_lazy("Cette valeur est invalide."),
    "extra_forbidden": gettext_lazy("Ce champ n'est pas attendu."),
}


# A problem lists at most this many refused values: a body of a million wrong values is not answered with a
# million errors (the answer was ten times the request).
MAX_LISTED_ERRORS = 100


def field_errors(errors):
    """ninja's validation errors → the `errors` list of the 422 problem (French messages), the first
    MAX_LISTED_ERRORS of them."""
    result = []
    for error in list(errors)[:MAX_LISTED_ERRORS]:
        kind = str(error.get("type", "value_error"))
        result.append({"location": [part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
                       "message": str(VALIDATION_MESSAGES.get(kind, _("Cette valeur est invalide."))),
                       "type": kind})
    return result


class GuichetApi(NinjaAPI):
    """NinjaAPI whose OpenAPI document names the host as its server and declares the problems, and whose 405
    answers are problem documents too."""

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            if pattern.name == "openapi-json":
                pattern.callback = functools.partial(openapi_json, api=self)
            elif pattern.name == "api-root":  # ninja's raises Http404 (HTML page): a problem instead
                pattern.callback = unknown_path
            pattern.callback = _problem_405(pattern.callback)
        return patterns

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        return _complete_schema(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))


def _problem_405(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return problem(request, 405, _("Cette adresse accepte seulement : %(methods)s.") % {"methods": allowed},
                           headers={"Allow": allowed})
        return response

    return csrf_exempt(wrapper)


def openapi_json(request, api, **kwargs):
    schema = dict(api.get_openapi_schema(path_params=kwargs))
    schema["servers"] = [{"url": request.build_absolute_uri("/").rstrip("/"),
                          "description": str(getattr(request.organisation, "name", ""))}]
    response = HttpResponse(json.dumps(schema, ensure_ascii=False),
                            content_type="application/json; charset=utf-8")
    return response


def _problem_response(status):
    response = {"description": str(TITLES[status]),
                "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"description": "Secondes à attendre.",
                                               "schema": {"type": "integer"}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response


def _is_problem(content):
    return any(media.get("schema", {}).get("$ref", "").endswith("/Problem") for media in content.values())


def _complete_schema(schema):
    """Every operation declares the problems; the security schemes are both described; public operations say
    their bearer is optional."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    definition = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    definition.pop("$defs", None)
    schemas["Problem"] = definition
    schemas["FieldError"] = FieldError.model_json_schema(ref_template="#/components/schemas/{model}")
    components["securitySchemes"] = {
        "ClientAuth": {"type": "http", "scheme": "bearer",
                       "description": "Secret d'un client de l'API (créé par un administrateur)."},
        "CitizenSession": {"type": "apiKey", "in": "cookie", "name": CitizenSession.param_name,
                           "description": "Session de l'usager connecté sur le site de la collectivité "
                                          "(jeton CSRF exigé pour écrire)."},
    }
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, response in list(responses.items()):
                content = response.get("content")
                if content and _is_problem(content):
                    response["content"] = {PROBLEM_MEDIA_TYPE: next(iter(content.values()))}
            declared = DECLARED_PROBLEMS + (BODY_PROBLEMS if "requestBody" in operation else ())
            for status in declared:
                if status not in responses and str(status) not in responses:
                    responses[status] = _problem_response(status)
    return schema


class SessionSwagger(Swagger):
    """ninja's Swagger UI (local assets) which sends the CSRF token, so that a signed-in citizen can try the
    writing operations from /api/v1/docs with their session."""

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        return render(request, self.template, {"swagger_settings": json.dumps(self.settings, indent=1), "api": api,
                                               "add_csrf": True})


api = GuichetApi(
    title="Guichet — API REST",
    version="1",
    description="API de la collectivité : catalogue des démarches, dépôt et suivi des demandes. Guide : "
                "docs/api.md. Chaque erreur est un document « problem » (RFC 9457) en français.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs=SessionSwagger(),
)


@api.exception_handler(ApiError)
def _api_error(request, exc):
    extra = dict(exc.extra)
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return problem(request, exc.status, exc.detail, title=exc.title, code=extra.pop("code", None),
                   headers=headers, **extra)


@api.exception_handler(ValidationError)
def _validation_error(request, exc):
    return problem(request, 422, _("Certaines valeurs envoyées sont invalides : voir « errors »."),
                   errors=field_errors(exc.errors))


@api.exception_handler(AuthenticationError)
def _authentication_error(request, exc):
    if request.headers.get("Authorization"):
        detail = _("Le secret présenté n'est pas celui d'un client actif de cette collectivité.")
    else:
        detail = _("Cette opération demande un secret de client de l'API (Authorization: Bearer …) ou la "
                   "session d'un usager connecté.")
    return problem(request, 401, detail)


HTTP_DETAILS = {
    "CSRF check Failed": gettext_lazy("Jeton CSRF absent ou invalide : envoyez l'en-tête X-CSRFToken avec la "
                                      "session."),
    "Cannot parse request body": gettext_lazy("Le corps de la requête n'est pas lisible (JSON invalide ?)."),
}


@api.exception_handler(HttpError)
def _http_error(request, exc):
    message = str(exc)
    detail = HTTP_DETAILS.get(message.split(" (")[0])
    code = "csrf" if message == "CSRF check Failed" else None
    return problem(request, exc.status_code, detail or TITLES.get(exc.status_code, _("Erreur")), code=code)


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc):
    return problem(request, 413, _("Le corps de la requête dépasse la taille permise (%(size)s Mo).") % {
        "size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)})


@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc):
    """What Django refuses before the endpoint reads it (too many query or form fields, a broken multipart…): a
    400, as Django answers it outside the API — not the 500 of the catch-all below."""
    if isinstance(exc, TooManyFieldsSent):
        detail = _("La requête a trop de paramètres (%(max)s au plus).") % {
            "max": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
    else:
        detail = _("La requête a été refusée : elle n'est pas bien formée.")
    return problem(request, 400, detail)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem(request, 404, _("Cet objet n'existe pas dans cette collectivité."))


@api.exception_handler(PermissionDenied)
def _permission_denied(request, exc):
    return problem(request, 403, _("Vous n'avez pas accès à cet objet."))


@api.exception_handler(Exception)
def _unexpected(request, exc):
    logger.exception("API error on %s %s", request.method, request.path)
    return problem(request, 500, _("Une erreur inattendue est survenue ; elle a été enregistrée. Réessayez plus "
                                   "tard."))


class Caller(Schema):
    kind: str = Field(description="client (client de l'API) ou citizen (session d'un usager).")
    name: str
    scopes: List[str] = Field(description="Permissions du client (vide pour un usager).")
    rate_limit: Optional[int] = Field(None, description="Appels permis par minute (client seulement).")


@api.get("/me", response=Caller, auth=[ClientAuth(), CitizenSession()], tags=["Compte"], operation_id="me",
         summary="Qui appelle : le client de l'API ou l'usager connecté",
         description="Le client de l'API (secret) avec ses permissions et sa limite d'appels, ou l'usager connecté "
                     "(session) : pour vérifier une configuration.")
def me(request):
    caller = request.auth
    if hasattr(caller, "scopes"):
        return {"kind": "client", "name": caller.name, "scopes": sorted(caller.scopes or []),
                "rate_limit": caller.rate_limit}
    return {"kind": "citizen", "name": caller.get_full_name() or caller.email, "scopes": []}


@csrf_exempt
def unknown_path(request, *args, **kwargs):
    """Any other path under /api/v1/: a 404 problem (not the HTML page)."""
    return problem(request, 404, _("Cette adresse n'existe pas dans l'API : voir /api/v1/docs."))


_mounted = False


def mount_routers():
    """Mount the routers of the API (once; urls.py calls it)."""
    global _mounted
    if _mounted:
        return
    _mounted = True
    from .catalogue import router as catalogue_router

    api.add_router("/", catalogue_router)
    api.add_router("/requests", "guichet.api.requests.router")

