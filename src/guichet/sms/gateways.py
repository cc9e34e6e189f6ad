"""SMS gateways: one interface, a development backend and two French providers' HTTP APIs.

    gateway.send(phone_e164, text, *, reference) -> SentSms

raises `SmsTemporaryError` when trying again later may succeed (network error, timeout, HTTP 5xx, 429) and
`SmsPermanentError` when it will not (number refused, other 4xx, no credit, bad credentials). The text is
transliterated to GSM first when the collectivité asked for it; `SentSms.segments` is the GSM 03.38 count.

Backends
--------
``console``  `ConsoleGateway`: development. Writes each SMS to a file in ``GUICHET_SMS_FILE_PATH``
    (default ``var/sms/``) and logs it; never fails.

``ovh``  `OvhGateway`: OVHcloud SMS API (the "API OVH", not the legacy http2sms URL).
    Sources: OVHcloud guide "API SMS Cookbook" (docs.ovh.com/fr/sms/api_sms_cookbook, repository ovh/docs,
    pages/telecom/sms/api_sms_cookbook) for ``POST /sms/{serviceName}/jobs`` and its parameters; the
    /sms API schema of api.ovh.com (as generated into the OVH API clients, e.g. UrielCh/api-ovh-node
    packages/sms) for the parameter types and the answer ``sms.SmsSendingReport``; OVHcloud's API
    authentication scheme for the signature.

    * ``GET {endpoint}/auth/time`` once per endpoint and process: the difference with our clock is kept
      and added to every timestamp.
    * ``POST {endpoint}/sms/{serviceName}/jobs`` with headers ``X-Ovh-Application`` (application key),
      ``X-Ovh-Consumer`` (consumer key), ``X-Ovh-Timestamp`` and ``X-Ovh-Signature`` =
      ``"$1$" + sha1_hex(applicationSecret + "+" + consumerKey + "+" + "POST" + "+" + full URL + "+" +
      body + "+" + timestamp)``; the signed body is the exact JSON sent.
    * JSON body: ``message``, ``receivers`` ([E.164 number]), ``sender`` (or ``senderForResponse: true``
      when the collectivité has no validated sender name — the two are exclusive), ``charset: "UTF-8"``,
      ``coding`` (``"7bit"`` for a GSM text, ``"8bit"`` otherwise: the schema's ``sms.CodingEnum``),
      ``noStopClause: true`` (these are not marketing messages: no "STOP" mention, sent at any hour),
      ``priority: "high"``, ``validityPeriod: 2880`` (minutes), ``class: "phoneDisplay"``, ``tag`` (our
      reference, 20 characters at most).
    * Answer ``{"ids": [...], "validReceivers": [...], "invalidReceivers": [...], "totalCreditsRemoved": n}``:
      ``ids[0]`` is the provider id; a number listed in ``invalidReceivers`` is a permanent error.
    * Delivery receipts: the /sms schema has no per-job callback parameter; the URL OVH calls "when the state
      of a sent SMS changes" is the ``callBack`` property of the SMS account (``PUT /sms/{serviceName}``) or
      of the API user. The administrators' page shows the URL to paste there. OVHcloud's published guides
      do not document that call's parameters: `guichet.sms.receipts` reads ``id`` and ``dlr`` (1 delivered;
      2 and 16 failed; 4 and 8 intermediate, ignored) plus ``description``/``ptt`` when present, as the
      open-source RaspiSMS OVH adapter does — not confirmed from OVH's own documentation. That is why the
      Brevo backend below, whose receipts are documented, exists too.

``brevo``  `BrevoGateway`: Brevo (ex-Sendinblue, French) transactional SMS.
    Sources: developers.brevo.com "Transactional SMS endpoints" and the changelog "Deprecated endpoint
    POST /v3/transactionalSMS/sms" (new endpoint and answer); the ``SendTransacSms`` model of Brevo's
    generated API clients (getbrevo/brevo-php docs) for the body; developers.brevo.com "Transactional
    webhooks", section Transactional SMS, for the receipts.

    * ``POST {endpoint}/transactionalSMS/send`` (endpoint ``https://api.brevo.com/v3``), header
      ``api-key``, JSON body ``sender`` (≤ 11 alphanumeric), ``recipient`` (number with country code,
      digits only), ``content``, ``type: "transactional"``, ``tag`` (our reference), ``webUrl`` (our receipt
      URL: Brevo calls it for each event of this message), ``unicodeEnabled`` (true for a UCS-2 text).
    * Answer 201 ``{"messageId": n}`` (the deprecated endpoint also gave reference, smsCount…); 400 invalid
      parameter, 401 bad key, 402 not enough credits, 429 rate limited.
    * Receipts: JSON POST ``{"id", "to", "sms_count", "credits_used", "messageId", "remaining_credit",
      "msg_status": "sent" | "delivered" | "soft_bounce" | "hard_bounce", "date", "type", "reference", ...}``.
"""

import abc
import hashlib
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from django.conf import settings
from django.utils import timezone

from . import gsm

logger = logging.getLogger(__name__)

OVH_DEFAULT_ENDPOINT = "https://eu.api.ovh.com/1.0"
BREVO_DEFAULT_ENDPOINT = "https://api.brevo.com/v3"


class SmsError(Exception):
    """Sending failed; `str(error)` is a French explanation fit for the delivery log."""


class SmsTemporaryError(SmsError):
    """Try again later: network error, timeout, provider overloaded (5xx) or rate limiting (429)."""


class SmsPermanentError(SmsError):
    """Trying again will not help: number refused, bad request, bad credentials, no credit left."""


@dataclass(frozen=True)
class SentSms:
    """What the provider accepted: its id for this SMS (receipts refer to it) and what was sent."""

    provider_id: str
    segments: int
    encoding: str
    text: str
    backend: str
    details: dict = field(default_factory=dict)


class SmsGateway(abc.ABC):
    """Base of every backend. Subclasses implement `_send(phone_e164, text, info, reference)`."""

    name = ""

    def __init__(self, *, sender="", transliterate=False, receipt_url=""):
        self.sender = sender
        self.transliterate = transliterate
        self.receipt_url = receipt_url

    def prepare(self, text):
        """The text as it will be sent, and its GSM 03.38 segment information."""
        if self.transliterate:
            text = gsm.transliterate_to_gsm(text)
        return text, gsm.segment_info(text)

    def send(self, phone_e164, text, *, reference):
        if not phone_e164 or not str(phone_e164).startswith("+"):
            raise SmsPermanentError(f"Numéro de téléphone absent ou pas au format international : {phone_e164!r}.")
        text, info = self.prepare(text)
        if not text.strip():
            raise SmsPermanentError("Le texte du SMS est vide.")
        return self._send(str(phone_e164), text, info, str(reference))

    @abc.abstractmethod
    def _send(self, phone_e164, text, info, reference):
        """Hand the prepared text to the provider; return a SentSms."""


class ConsoleGateway(SmsGateway):
    """Development backend: one file per SMS in GUICHET_SMS_FILE_PATH, and a log line."""

    name = "console"

    def _send(self, phone_e164, text, info, reference):
        provider_id = f"console-{uuid.uuid4().hex}"
        directory = Path(getattr(settings, "GUICHET_SMS_FILE_PATH", settings.VAR_DIR / "sms"))
        directory.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        path = directory / f"{stamp}-{provider_id}.txt"
        path.write_text(
            f"À : {phone_e164}\nExpéditeur : {self.sender or '-'}\nRéférence : {reference}\n"
            f"Encodage : {info.encoding}, {info.characters} caractères, {info.segments} SMS\n\n{text}\n",
            encoding="utf-8",
        )
        logger.info("SMS (console) to %s, %s segment(s), ref %s: %s", phone_e164, info.segments, reference, text)
        return SentSms(provider_id, info.segments, info.encoding, text, self.name, {"path": str(path)})


def _post_json(url, body, headers, what):
    """POST `body` (already-serialised JSON) and return the response; network trouble is temporary."""
    try:
        return requests.post(
            url, data=body.encode("utf-8"), headers={"Content-Type": "application/json", **headers},
            timeout=settings.GUICHET_HTTP_TIMEOUT,
        )
    except requests.Timeout as error:
        raise SmsTemporaryError(f"{what} n'a pas répondu à temps ({error.__class__.__name__}).") from error
    except requests.RequestException as error:
        raise SmsTemporaryError(f"{what} est injoignable ({error.__class__.__name__}).") from error


def _provider_message(response):
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict):
        return str(data.get("message") or data.get("code") or data)[:200]
    return str(data)[:200]


def _raise_for_status(response, what):
    status = response.status_code
    if status == 429 or status >= 500:
        raise SmsTemporaryError(f"{what} a répondu {status} : {_provider_message(response)}")
    if status >= 400:
        raise SmsPermanentError(f"{what} a refusé l'envoi ({status}) : {_provider_message(response)}")


class OvhGateway(SmsGateway):
    name = "ovh"
    _time_deltas = {}  # endpoint -> OVH time minus ours, fetched once per endpoint and process
    _lock = threading.Lock()

    def __init__(self, *, application_key, application_secret, consumer_key, service_name, endpoint="", **kwargs):
        super().__init__(**kwargs)
        self.application_key = application_key
        self.application_secret = application_secret
        self.consumer_key = consumer_key
        self.service_name = service_name
        self.endpoint = (endpoint or OVH_DEFAULT_ENDPOINT).rstrip("/")

    def time_delta(self):
        with self._lock:
            if self.endpoint not in self._time_deltas:
                try:
                    response = requests.get(f"{self.endpoint}/auth/time", timeout=settings.GUICHET_HTTP_TIMEOUT)
                except requests.RequestException as error:
                    raise SmsTemporaryError(f"L'API OVH est injoignable ({error.__class__.__name__}).") from error
                _raise_for_status(response, "L'API OVH (heure)")
                try:
                    server_time = int(response.text.strip())
                except ValueError as error:
                    raise SmsTemporaryError("L'API OVH a donné une heure illisible.") from error
                self._time_deltas[self.endpoint] = server_time - int(time.time())
            return self._time_deltas[self.endpoint]

    @classmethod
    def forget_time_deltas(cls):
        with cls._lock:
            cls._time_deltas.clear()

    def signature(self, method, url, body, timestamp):
        raw = "+".join([self.application_secret, self.consumer_key, method, url, body, str(timestamp)])
        return "$1$" + hashlib.sha1(raw.encode("utf-8")).hexdigest()  # noqa: S324 - OVH's documented scheme

    def payload(self, phone_e164, text, info, reference):
        body = {
            "message": text,
            "receivers": [phone_e164],
            "charset": "UTF-8",
            "coding": "7bit" if info.is_gsm else "8bit",
            "noStopClause": True,
            "priority": "high",
            "validityPeriod": 2880,
            "class": "phoneDisplay",
            "tag": reference[:20],
        }
        if self.sender:
            body["sender"] = self.sender
            body["senderForResponse"] = False
        else:
            body["senderForResponse"] = True
        return body

    def _send(self, phone_e164, text, info, reference):
        if not (self.application_key and self.application_secret and self.consumer_key and self.service_name):
            raise SmsPermanentError("Les identifiants OVH de la collectivité sont incomplets.")
        url = f"{self.endpoint}/sms/{self.service_name}/jobs"
        body = json.dumps(self.payload(phone_e164, text, info, reference), ensure_ascii=False)
        timestamp = int(time.time()) + self.time_delta()
        headers = {
            "X-Ovh-Application": self.application_key,
            "X-Ovh-Consumer": self.consumer_key,
            "X-Ovh-Timestamp": str(timestamp),
            "X-Ovh-Signature": self.signature("POST", url, body, timestamp),
        }
        response = _post_json(url, body, headers, "L'API SMS d'OVH")
        if response.status_code in (401, 403):
            self.forget_time_deltas()  # a drifting clock is one cause: read OVH's time again next time
        _raise_for_status(response, "L'API SMS d'OVH")
        try:
            report = response.json()
            ids = report.get("ids") or []
            invalid = report.get("invalidReceivers") or []
        except (ValueError, AttributeError) as error:
            # Accepted but unreadable: trying again could send the SMS twice.
            raise SmsPermanentError("L'API SMS d'OVH a accepté l'envoi mais donné une réponse illisible.") from error
        if invalid:
            raise SmsPermanentError(f"OVH refuse le numéro du destinataire : {', '.join(map(str, invalid))}.")
        if not ids:
            raise SmsPermanentError("L'API SMS d'OVH n'a créé aucun envoi.")
        return SentSms(
            str(ids[0]), info.segments, info.encoding, text, self.name,
            {"credits": report.get("totalCreditsRemoved")},
        )


class BrevoGateway(SmsGateway):
    name = "brevo"

    def __init__(self, *, api_key, endpoint="", **kwargs):
        super().__init__(**kwargs)
        self.api_key = api_key
        self.endpoint = (endpoint or BREVO_DEFAULT_ENDPOINT).rstrip("/")

    def payload(self, phone_e164, text, info, reference):
        body = {
            "sender": self.sender,
            "recipient": phone_e164.lstrip("+"),
            "content": text,
            "type": "transactional",
            "tag": reference,
            "unicodeEnabled": not info.is_gsm,
        }
        if self.receipt_url:
            body["webUrl"] = self.receipt_url
        return body

    def _send(self, phone_e164, text, info, reference):
        if not self.api_key:
            raise SmsPermanentError("La clé d'API Brevo de la collectivité manque.")
        if not self.sender:
            raise SmsPermanentError("Brevo exige un nom d'expéditeur : renseignez-le dans les réglages SMS.")
        body = json.dumps(self.payload(phone_e164, text, info, reference), ensure_ascii=False)
        response = _post_json(
            f"{self.endpoint}/transactionalSMS/send", body, {"api-key": self.api_key, "Accept": "application/json"},
            "L'API SMS de Brevo",
        )
        _raise_for_status(response, "L'API SMS de Brevo")
        try:
            message_id = response.json()["messageId"]
        except (ValueError, KeyError, TypeError) as error:
            # Accepted but unreadable: trying again could send the SMS twice.
            raise SmsPermanentError("L'API SMS de Brevo a accepté l'envoi mais donné une réponse illisible.") from error
        return SentSms(str(message_id), info.segments, info.encoding, text, self.name)
