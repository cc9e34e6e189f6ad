"""The inbound endpoint a mail gateway forwards messages to (POST /api/courriels/entrants/ on the collectivité's
host), the raw message as the body (`Content-Type: message/rfc822`), `Authorization: Bearer <secret>`.

Answers are JSON; refusals are problem documents (RFC 9457, `application/problem+json`) with a French `detail`:
401 no or wrong secret, 415 not `message/rfc822`, 400 empty body or not an e-mail message, 413 above
GUICHET_MAIL_MAX_BYTES, 405 other methods, 503 database or file storage unavailable (the gateway tries again);
202 stored (its registry number), 200 the same message again (nothing stored twice).
"""

import logging

from django.db import DatabaseError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .email_in import authenticate_inbound, looks_like_email, max_message_bytes, megabytes, receive_raw_email
from .models import IncomingMail

logger = logging.getLogger(__name__)

ACCEPTED_TYPES = ("message/rfc822", "application/octet-stream", "text/plain")


def problem(status, title, detail, **extra):
    response = JsonResponse({"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
                            status=status, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/problem+json; charset=utf-8"
    return response


def _too_big(limit):
    return problem(413, _("Message trop volumineux"), _(
        "Le message dépasse la taille maximale acceptée (%(limit)s).") % {"limit": megabytes(limit)})


def _answer(status, outcome, mail):
    return JsonResponse({"status": outcome, "registry_number": mail.registry_number, "id": mail.pk,
                         "state": mail.state}, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def inbound_email(request):
    if request.method != "POST":
        response = problem(405, _("Méthode non permise"), _("Ce point d'entrée n'accepte que POST."))
        response["Allow"] = "POST"
        return response
    organisation = getattr(request, "organisation", None)
    endpoint = authenticate_inbound(organisation, request.headers.get("Authorization", ""))
    if endpoint is None:
        response = problem(401, _("Authentification requise"), _(
            "Présentez le secret de réception des courriels de la collectivité dans l'en-tête "
            "« Authorization: Bearer <secret> »."))
        response["WWW-Authenticate"] = 'Bearer realm="courriels"'
        return response
    limit = max_message_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return problem(400, _("Requête invalide"), _("L'en-tête Content-Length est invalide."))
    if declared > limit:
        return _too_big(limit)
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return _too_big(limit)
    if not raw.strip():
        return problem(400, _("Requête invalide"), _("Le corps de la requête est vide : envoyez le message brut."))
    content_type = (request.content_type or "").lower()
    if content_type not in ACCEPTED_TYPES:
        return problem(415, _("Type de contenu non pris en charge"), _(
            "Envoyez le message brut tel que reçu, avec l'en-tête « Content-Type: message/rfc822 »."))
    if not looks_like_email(raw):
        return problem(400, _("Requête invalide"), _(
            "Le corps de la requête n'est pas un message électronique (en-têtes RFC 822 introuvables)."))
    try:
        mail, created = receive_raw_email(organisation, raw, source=IncomingMail.Source.INBOUND,
                                          service=endpoint.service)
    except (DatabaseError, OSError):  # database or private storage unavailable: nothing stored, nothing lost
        logger.exception("Inbound e-mail could not be stored for %s", organisation)
        response = problem(503, _("Service momentanément indisponible"), _(
            "Le message n'a pas pu être enregistré ; renvoyez-le plus tard."))
        response["Retry-After"] = "60"
        return response
    if not created:
        return _answer(200, "duplicate", mail)
    return _answer(202, "accepted", mail)
