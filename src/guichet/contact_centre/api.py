"""The incoming-call webhook the collectivité's telephony system calls (POST /api/telephonie/appels-entrants/).

Answers are JSON; refusals are problem documents (RFC 9457, `application/problem+json`) with a French `detail`:
401 no or wrong secret, 400 unreadable JSON or missing/absurd fields, 413 body too large, 405 other methods;
202 a new call recorded, 200 the same `call_id` again (nothing recorded twice).
"""

import json
import logging
import re

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from . import services

logger = logging.getLogger(__name__)

MAX_BODY = 4 * 1024  # a call announcement is a hundred bytes
CALL_ID = re.compile(r"^[\w.:@+\-/]{1,100}$")
CALLER = re.compile(r"^[\w +().\-]{0,40}$")


def problem(status, title, detail, **extra):
    response = JsonResponse({"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
                            status=status, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/problem+json; charset=utf-8"
    return response


def _bad_request(detail, field=None):
    extra = {"field": field} if field else {}
    return problem(400, _("Requête invalide"), detail, **extra)


def _unauthorised():
    response = problem(401, _("Authentification requise"), _(
        "Présentez le secret de la téléphonie de la collectivité dans l'en-tête « Authorization: Bearer <secret> »."))
    response["WWW-Authenticate"] = 'Bearer realm="telephonie"'
    return response


def _text_field(payload, name, pattern, required):
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise ValueError(name, _("Le champ « %(name)s » est obligatoire.") % {"name": name})
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(name, _("Le champ « %(name)s » doit être une chaîne de caractères.") % {"name": name})
    value = str(value).strip()
    if not pattern.match(value) or (required and not value):
        raise ValueError(name, _("Le champ « %(name)s » n'a pas une valeur plausible.") % {"name": name})
    return value


@csrf_exempt
def incoming_call(request):
    if request.method != "POST":
        response = problem(405, _("Méthode non permise"), _("Ce point d'entrée n'accepte que POST."))
        response["Allow"] = "POST"
        return response
    organisation = request.organisation
    if services.authenticate(organisation, request.headers.get("Authorization", "")) is None:
        return _unauthorised()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return problem(413, _("Contenu trop volumineux"), _(
            "Le corps de la requête dépasse %(size)s octets.") % {"size": MAX_BODY})
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return problem(413, _("Contenu trop volumineux"), _(
            "Le corps de la requête dépasse %(size)s octets.") % {"size": MAX_BODY})
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _bad_request(_("Le corps de la requête n'est pas un document JSON lisible (UTF-8)."))
    if not isinstance(payload, dict):
        return _bad_request(_("Le document JSON doit être un objet : {\"call_id\", \"caller\", \"extension\"}."))
    try:
        call_id = _text_field(payload, "call_id", CALL_ID, required=True)
        caller = _text_field(payload, "caller", CALLER, required=False)
        extension = _text_field(payload, "extension", services.EXTENSION_PATTERN, required=False)
    except ValueError as error:
        field, detail = error.args
        return _bad_request(detail, field)
    call, created = services.receive_call(organisation, call_id=call_id, caller=caller, extension=extension)
    if created:
        logger.info("Incoming call %s for %s (extension %r)", call.pk, organisation, extension)
    return JsonResponse({
        "call_id": call.call_id, "status": "created" if created else "already_received",
        "caller": call.caller, "extension": call.extension, "assigned": call.agent_id is not None,
    }, status=202 if created else 200)
