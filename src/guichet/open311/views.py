"""GeoReport v2 endpoints: read the parameters, call `services`, render in the format of the path's extension."""

import json

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters

from . import rendering, services
from .services import Open311Error, Params

# Never in an error report (Django's 500 e-mail/log shows the POST): the key and the reporter's contact details.
SENSITIVE = ("api_key", "email", "phone", "first_name", "last_name", "account_id", "device_id")


def _params(request):
    query = Params.from_querydict(request.GET)
    if request.method != "POST":
        return query
    content_type = (request.content_type or "").lower()
    if content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[…" nested 100 000 deep
            raise Open311Error(400, _("Le corps de la requête n'est pas du JSON valide.")) from None
        return Params.from_json(data).merged(query)
    return Params.from_querydict(request.POST).merged(query)


def endpoint(root, methods=("GET",)):
    """Wrap a view `(request, params, *args) → data`: format checked, jurisdiction checked, errors rendered."""

    allowed = list(methods) + (["HEAD"] if "GET" in methods else []) + ["OPTIONS"]

    def decorate(view):
        @csrf_exempt
        @sensitive_post_parameters(*SENSITIVE)
        def wrapped(request, *args, fmt, **kwargs):
            response = answer(request, *args, fmt=fmt, **kwargs)
            if request.method == "HEAD":  # the headers of GET (errors included), no body
                response.content = b""
            return response

        def answer(request, *args, fmt, **kwargs):
            if fmt not in rendering.FORMATS:
                return rendering.errors("json", 404, [_("Format « %(fmt)s » inconnu : utilisez .json ou .xml.")
                                                      % {"fmt": fmt[:20]}])
            if request.method == "OPTIONS":
                return HttpResponse(status=204, headers={"Allow": ", ".join(allowed)})
            if request.method not in allowed:
                # The specification's error document, in the format asked, with the methods that are allowed.
                response = rendering.errors(fmt, 405, [_("Méthode %(method)s non permise ici : utilisez %(allowed)s.")
                                                       % {"method": request.method[:20],
                                                          "allowed": ", ".join(methods)}])
                response["Allow"] = ", ".join(allowed)
                return response
            if getattr(request, "organisation", None) is None:
                raise Http404
            try:
                params = _params(request)
                services.check_jurisdiction(request.organisation, params, request.get_host())
                data = view(request, params, *args, **kwargs)
            except Open311Error as error:
                return rendering.errors(fmt, error.status, error.descriptions)
            except (RequestDataTooBig, TooManyFieldsSent, SuspiciousOperation, BadRequest):
                return rendering.errors(fmt, 400, [_("Requête trop grande ou mal formée.")])
            # 200 also for a created request: the specification names no other code, and clients check for it.
            return rendering.respond(fmt, root, data)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorate


@endpoint("discovery")
def discovery(request, params):
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "json"})).rsplit("/", 1)[0]
    return services.discovery(request.organisation, base)


@endpoint("services")
def service_list(request, params):
    return services.service_list(request.organisation)


@endpoint("service_definition")
def service_definition(request, params, service_code):
    return services.service_definition(request.organisation, service_code)


@endpoint("service_requests", methods=("GET", "POST"))
def requests(request, params):
    if request.method == "POST":
        return [services.post_request(request.organisation, params)]
    return services.request_list(request.organisation, params)


@endpoint("service_requests")
def request_detail(request, params, service_request_id):
    return services.request_detail(request.organisation, service_request_id)


@endpoint("service_requests")
def token(request, params, token_id):
    return services.token(request.organisation, token_id)


@endpoint("service_request_updates", methods=("GET", "POST"))
def updates(request, params):
    if request.method == "POST":
        return services.post_update(request.organisation, params)
    return services.update_list(request.organisation, params)
