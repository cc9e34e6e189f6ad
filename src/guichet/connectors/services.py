"""Calling an external service through a connector, and reading its answer (`call`, `apply_mapping`).

    from guichet.connectors.services import ConnectorError, call, apply_mapping

    response = call(connector, "POST", "/dossiers", json={"numero": "A-12"})   # ConnectorResponse
    values = apply_mapping({"numero_dossier": "dossier.numero"}, response.json)  # {"numero_dossier": "…"}

`call` never follows redirects, refuses a path that would leave the base URL, stops reading after
`MAX_RESPONSE_BYTES`, and raises `ConnectorError` (French message) for every failure; it records the outcome
on the connector (last call, status, error).
"""

import codecs
import json as jsonlib
import re
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.formdefs.schema import ID_PATTERN

from . import signing
from .destinations import refused_destination
from .models import Connector

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_RESPONSE_BYTES = 1024 * 1024
PATH_MAX = 500
USER_AGENT = "Guichet-connecteur/1"
MAPPING_MAX_ENTRIES = 30
MAPPING_SOURCE_MAX = 200
MAPPED_VALUE_MAX = 10_000  # characters of a stored value, as JSON
MAPPED_DEPTH_MAX = 20  # lists/objects nested in a stored value (deeper breaks the JSON of the next calls)
# Failures worth another try later: the service is down, slow or overloaded (not a refusal of what we sent).
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Control characters and lone surrogates (from a JSON "\ud800"): PostgreSQL's JSON refuses the latter (a 500).
UNSAFE_CHARACTERS = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


class ConnectorError(Exception):
    """A call that did not give a usable answer. `message` is French; `status` the HTTP code if any."""

    def __init__(self, message, *, status=None, retryable=False, body=""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.body = body


@dataclass
class ConnectorResponse:
    status: int
    headers: dict
    json: object = None
    text: str = ""
    duration: float = 0.0  # seconds


# --- the address --------------------------------------------------------------------------------------


def check_path(path):
    """The French problem of a path to append to a base URL, or None. A path is relative to the base URL:
    no scheme nor host, no `..`, no query (use `params`) nor fragment, no spaces nor control characters."""
    if not isinstance(path, str):
        return _("Le chemin doit être un texte.")
    if len(path) > PATH_MAX:
        return _("Le chemin est trop long : %(max)s caractères au plus.") % {"max": PATH_MAX}
    if not path:
        return None
    decoded = unquote(unquote(path))
    if "://" in decoded or decoded.startswith("//") or "\\" in decoded:
        return _("Le chemin doit rester sous l'adresse du connecteur : pas d'adresse complète ni de « // ».")
    if re.search(r"[\x00-\x20\x7f?#]", decoded):
        return _("Le chemin ne peut contenir ni espace, ni « ? », ni « # » (les paramètres se donnent à part).")
    if any(segment in (".", "..") for segment in decoded.split("/")):
        return _("Le chemin ne peut pas contenir « . » ni « .. ».")
    if "//" in decoded:
        return _("Le chemin ne peut pas contenir « // ».")
    return None


def build_url(connector, path=""):
    """The connector's base URL followed by `path`; ConnectorError when the path would leave it."""
    problem = check_path(path)
    if problem:
        raise ConnectorError(problem)
    base = connector.base_url.rstrip("/")
    url = f"{base}/{path.lstrip('/')}" if path else connector.base_url
    wanted, got = urlsplit(base), urlsplit(url)
    if (got.scheme, got.netloc) != (wanted.scheme, wanted.netloc) or not got.path.startswith(wanted.path):
        raise ConnectorError(_("Le chemin doit rester sous l'adresse du connecteur."))
    return url


# --- authentication -----------------------------------------------------------------------------------


def auth_headers(connector, body):
    """The headers that authenticate a call carrying `body` (bytes)."""
    kind, secret = connector.auth_kind, connector.secret
    if kind == Connector.Auth.BEARER:
        return {"Authorization": f"Bearer {secret}"}
    if kind == Connector.Auth.BASIC:
        import base64

        token = base64.b64encode(f"{connector.username}:{secret}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}
    if kind == Connector.Auth.API_KEY:
        return {connector.header_name: secret}
    if kind == Connector.Auth.HMAC:
        return {signing.HEADER: signing.signature(secret, body, int(time.time()))}
    return {}


# --- the call -----------------------------------------------------------------------------------------


def _record(connector, status, error):
    Connector.objects.filter(pk=connector.pk).update(
        last_called_at=timezone.now(), last_status=status, last_error=error[:500])
    connector.last_status, connector.last_error = status, error[:500]


def _read_limited(response, started, timeout):
    chunks, size = [], 0
    while True:
        # read1: what has arrived, without waiting for more — iter_content blocks until its chunk is full, so a
        # service dripping its answer byte by byte (each within the socket's time-out) would hold the worker.
        chunk = response.raw.read1(65536, decode_content=True)
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ConnectorError(_("Réponse trop volumineuse : %(max)s Mo au plus.") % {
                "max": MAX_RESPONSE_BYTES // (1024 * 1024)}, status=response.status_code)
        if time.monotonic() - started > timeout:
            raise ConnectorError(_("Le service n'a pas répondu à temps (%(n)s s).") % {"n": timeout},
                                 retryable=True)
        chunks.append(chunk)
    return b"".join(chunks)


def _charset(response):
    """The answer's declared charset when Python knows it, else UTF-8 (a made-up charset is not a crash)."""
    try:
        return codecs.lookup(response.encoding or "utf-8").name
    except (LookupError, TypeError, ValueError):
        return "utf-8"


def call(connector, method, path="", *, json=None, params=None, body=None, expect_json=False):
    """Call the connector's service: `method` on the base URL + `path`, with `json` (serialised here) or `body`
    (bytes already serialised, sent as JSON) and query `params`.

    Returns a ConnectorResponse (the decoded JSON when the answer says it is JSON, or when `expect_json`);
    raises ConnectorError on a refused path, a connection error, a time-out, a redirection or any status
    outside 2xx, a response above 1 MB, or invalid JSON."""
    import requests

    method = (method or "").upper()
    if method not in METHODS:
        raise ConnectorError(_("Méthode HTTP inconnue : choisissez parmi %(methods)s.") % {
            "methods": ", ".join(METHODS)})
    url = build_url(connector, path)
    refused = refused_destination(url)
    if refused:
        error = ConnectorError(refused)
        _record(connector, None, error.message)
        raise error
    if body is None and json is not None:
        body = jsonlib.dumps(json, ensure_ascii=False, sort_keys=True).encode()
    raw = body if isinstance(body, bytes) else (body or "").encode()
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(connector.headers or {})}
    if raw or method in ("POST", "PUT", "PATCH"):
        headers["Content-Type"] = "application/json; charset=utf-8"
    headers.update(auth_headers(connector, raw))
    timeout = connector.timeout_seconds
    started = time.monotonic()
    try:
        try:
            response = requests.request(method, url, data=raw or None, params=params, headers=headers,
                                        timeout=timeout, allow_redirects=False, stream=True)
        except requests.Timeout as error:
            raise ConnectorError(_("Le service n'a pas répondu à temps (%(n)s s).") % {"n": timeout},
                                 retryable=True) from error
        except requests.ConnectionError as error:
            raise ConnectorError(_("Connexion impossible au service (%(error)s).") % {
                "error": error.__class__.__name__}, retryable=True) from error
        except (requests.RequestException, ValueError) as error:
            raise ConnectorError(_("Appel impossible : %(error)s.") % {"error": error.__class__.__name__}) from error
        try:
            content = _read_limited(response, started, timeout)
        except requests.RequestException as error:
            raise ConnectorError(_("La réponse du service a été interrompue (%(error)s).") % {
                "error": error.__class__.__name__}, retryable=True) from error
        finally:
            response.close()
        duration = time.monotonic() - started
        # NUL becomes U+FFFD: the text is kept in PostgreSQL (timeline, connector), which refuses NUL characters.
        text = content.decode(_charset(response), errors="replace").replace("\x00", "\ufffd")
        status = response.status_code
        if 300 <= status < 400:
            raise ConnectorError(_("Le service renvoie vers une autre adresse (code %(status)s) : les redirections "
                                   "ne sont pas suivies.") % {"status": status}, status=status, body=text[:2048])
        if not 200 <= status < 300:
            raise ConnectorError(_("Le service a répondu par une erreur (code %(status)s).") % {"status": status},
                                 status=status, retryable=status in RETRYABLE_STATUSES, body=text[:2048])
        payload = None
        is_json = "json" in response.headers.get("Content-Type", "").lower()
        if (is_json or expect_json) and content.strip():
            try:
                payload = jsonlib.loads(content.decode("utf-8"))
            except (ValueError, UnicodeDecodeError, RecursionError) as error:  # RecursionError: "[[[[…" deep
                raise ConnectorError(_("La réponse du service n'est pas du JSON valide."), status=status,
                                     body=text[:2048]) from error
        elif expect_json:
            raise ConnectorError(_("La réponse du service est vide alors que du JSON est attendu."), status=status)
    except ConnectorError as error:
        _record(connector, error.status, error.message)
        raise
    _record(connector, status, "")
    return ConnectorResponse(status=status, headers=dict(response.headers), json=payload, text=text,
                             duration=duration)


# --- response mapping ---------------------------------------------------------------------------------


_MISSING = object()


def _steps(source):
    """`dossier.numero`, `items.0.id` or the JSON pointer `/dossier/numero` as a list of keys."""
    if source.startswith("/"):
        return [step.replace("~1", "/").replace("~0", "~") for step in source[1:].split("/")]
    return source.split(".")


def lookup(payload, source):
    """The value at `source` in the JSON `payload`, or _MISSING."""
    node = payload
    for step in _steps(source):
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and re.fullmatch(r"0|[1-9][0-9]*", step) and int(step) < len(node):
            node = node[int(step)]
        else:
            return _MISSING
    return node


def check_mapping(mapping):
    """The French problems of a mapping {target: source}: [(target or None, message)]."""
    if not isinstance(mapping, dict):
        return [(None, _("La correspondance doit être un objet JSON {\"variable\": \"chemin.dans.la.reponse\"}."))]
    problems = []
    if len(mapping) > MAPPING_MAX_ENTRIES:
        problems.append((None, _("%(max)s correspondances au plus.") % {"max": MAPPING_MAX_ENTRIES}))
    for target, source in mapping.items():
        if not isinstance(target, str) or not ID_PATTERN.fullmatch(target):  # fullmatch: no "numero\n"
            problems.append((target, _("« %(target)s » n'est pas un nom de variable valide (minuscules, chiffres, "
                                       "tirets bas, par exemple « numero_dossier »).") % {"target": target}))
        if not isinstance(source, str) or not source.strip("/.") or len(source) > MAPPING_SOURCE_MAX:
            problems.append((target, _("Indiquez le chemin de la valeur dans la réponse pour « %(target)s », par "
                                       "exemple « dossier.numero » ou « /dossier/numero ».") % {"target": target}))
        elif UNSAFE_CHARACTERS.search(source):
            problems.append((target, _("Le chemin de « %(target)s » contient un caractère non autorisé.") % {
                "target": target}))
        elif "" in _steps(source):
            problems.append((target, _("Le chemin « %(source)s » contient une étape vide.") % {"source": source}))
    return problems


class Mapped(dict):
    """The values found, {target: value}; `missing` lists the targets whose source is absent or too large."""

    def __init__(self, values, missing):
        super().__init__(values)
        self.missing = missing


def _depth(value, limit=MAPPED_DEPTH_MAX + 1):
    """How deep lists and objects nest in `value` (counting stops past `limit`)."""
    if limit <= 0 or not isinstance(value, (list, dict)):
        return 0
    items = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(item, limit - 1) for item in items), default=0)


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # PostgreSQL's JSON holds neither "\u0000" nor lone surrogates


def _storable(value):
    if isinstance(value, str):
        return not UNSTORABLE.search(value)
    if isinstance(value, dict):
        return all(_storable(key) and _storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


def apply_mapping(mapping, payload):
    """Pick the mapped values out of the JSON `payload`: Mapped({target: value}, missing=[target…]).

    A source absent from the payload (or whose value is above 10 000 characters as JSON, nested more than 20
    deep, or holding "\u0000" or a lone surrogate, which PostgreSQL cannot store) is left out and
    listed in `missing`, so that the caller never overwrites a value with nothing."""
    values, missing = {}, []
    for target, source in mapping.items():
        value = lookup(payload, source)
        if (value is _MISSING or _depth(value) > MAPPED_DEPTH_MAX or not _storable(value)
                or len(jsonlib.dumps(value, ensure_ascii=False)) > MAPPED_VALUE_MAX):
            missing.append(target)
        else:
            values[target] = value
    return Mapped(values, missing)


def store_mapped(service_request, mapping, payload):
    """Write the mapped values into the request's data (its `reponses.<target>`), under a row lock.

    Returns (stored {target: value}, missing [target], refused [target]): a target that names a field of the
    request's form is refused (the citizen's answer is never overwritten), a missing source is skipped."""
    from guichet.formdefs.schema import field_ids
    from guichet.service_requests.models import ServiceRequest

    mapped = apply_mapping(mapping, payload)
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().select_related("version").get(pk=service_request.pk)
        answers = set(field_ids(locked.version.form))
        refused = [target for target in mapped if target in answers]
        stored = {target: value for target, value in mapped.items() if target not in answers}
        if stored:
            locked.data = {**(locked.data or {}), **stored}
            locked.save(update_fields=["data", "updated_at"])
    service_request.data = locked.data
    return stored, mapped.missing, refused


def try_connection(connector, path=""):
    """« Tester la connexion »: a GET on the base URL (or `path`); (ok, French summary, response or None)."""
    try:
        response = call(connector, "GET", path)
    except ConnectorError as error:
        detail = error.message
        return False, detail, error
    return True, _("Réponse %(status)s en %(ms)s ms.") % {
        "status": response.status, "ms": round(response.duration * 1000)}, response


def parse_header_lines(text):
    """Default headers typed one per line as `Name: value` → {name: value} (ValidationError in French)."""
    from django.core.exceptions import ValidationError

    headers = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValidationError(_("Ligne %(n)s : écrivez « Nom: valeur ».") % {"n": number})
        name = name.strip()
        if name.lower() in {known.lower() for known in headers}:
            raise ValidationError(_("Ligne %(n)s : l'en-tête « %(name)s » est déjà donné.") % {
                "n": number, "name": name})
        headers[name] = value.strip()
    return headers


def format_header_lines(headers):
    return "\n".join(f"{name}: {value}" for name, value in (headers or {}).items())
