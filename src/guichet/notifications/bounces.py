"""E-mail bounces: a mail server tells us, after accepting a notification, that it could not deliver it.

Bounces reach Guichet in two ways:

- the MTA pipes each message sent to the bounce address into ``manage.py process_bounce`` (Postfix:
  ``guichet-bounces: "|/srv/guichet/.venv/bin/python /srv/guichet/manage.py process_bounce"``);
- a mail gateway POSTs the raw message to ``/notifications/rebonds/<GUICHET_BOUNCE_TOKEN>/`` on the platform host.

The delivery is found by the VERP address the bounce was sent to (``bounces+<reference>@…``, our envelope
sender, see `channels.bounce_address`) or, failing that, by our Message-ID in the returned headers. A standard
delivery-status notification (RFC 3464, ``multipart/report; report-type=delivery-status``) gives the Status
and Diagnostic-Code of the failure; other bounces are recognised by their sender and subject. Delays (``Action:
delayed``), auto-replies and anything that cannot be matched are logged and otherwise ignored.
"""

import email
import email.header
import email.policy
import hmac
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .channels import reference_from_message_id
from .models import Channel, Delivery
from .services import record_bounce

logger = logging.getLogger("guichet.notifications.bounces")

# A bounce is small (the DSN and the returned headers, sometimes the message): refuse anything bigger.
MAX_BOUNCE_SIZE = 2 * 1024 * 1024
REFERENCE = re.compile(r"^[0-9a-f]{32}$")
ADDRESS = re.compile(r"[^\s<>\"',;:()]+@[^\s<>\"',;:()]+")
# Headers that may carry the address a bounce was delivered to (the VERP address).
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To", "Cc")
BOUNCE_SENDER = re.compile(r"mailer-daemon|postmaster|mail delivery (sub)?system", re.IGNORECASE)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (status notification|failure|has failed)|failure notice|returned mail|"
    r"mail delivery failed|non remis|non distribu|échec de (la )?(remise|distribution)|message not delivered",
    re.IGNORECASE,
)
STATUS_CODE = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")


class MalformedBounce(ValueError):
    """The input is not an e-mail message at all."""


@dataclass
class Bounce:
    """What a bounce message says."""

    is_dsn: bool = False
    looks_like_bounce: bool = False
    references: list = field(default_factory=list)  # delivery references, VERP first
    failed: bool = False  # at least one recipient failed for good
    delayed_only: bool = False  # the report only says « delayed, still trying »
    status: str = ""
    diagnostic: str = ""
    recipient: str = ""
    subject: str = ""

    @property
    def detail(self):
        parts = []
        if self.status:
            parts.append(_("statut %(status)s") % {"status": self.status})
        if self.diagnostic:
            parts.append(self.diagnostic)
        elif self.subject:
            parts.append(self.subject)
        text = " — ".join(parts) or _("message de non-remise sans détail")
        return _("Rejeté par le serveur du destinataire : %(detail)s") % {"detail": text}


@dataclass
class BounceOutcome:
    result: str  # "recorded", "ignored" or "unmatched"
    delivery: Delivery | None = None
    reason: str = ""


def _verp_reference(address):
    """The delivery reference in a VERP address `bounces+<32 hex>@domain`, or None."""
    local, at, domain = (address or "").strip().strip("<>").rpartition("@")
    if not at or "+" not in local:
        return None
    base, _plus, reference = local.rpartition("+")
    reference = reference.lower()
    if not REFERENCE.match(reference):
        return None
    configured_local, _at, configured_domain = settings.GUICHET_BOUNCE_ADDRESS.partition("@")
    if configured_local and (base.lower() != configured_local.lower() or domain.lower() != configured_domain.lower()):
        return None
    return reference


def _header(message, name):
    try:
        values = message.get_all(name) or []
    except Exception:  # noqa: BLE001 — a broken header is as good as none
        return []
    return [str(value) for value in values]


def _text_of(part):
    """The decoded text of a (non-multipart) part, or ""."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        return ""
    if payload is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _one_line(text, limit=500):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _strip_type(value):
    """'smtp; 550 5.1.1 …' -> '550 5.1.1 …'; 'rfc822; a@b' -> 'a@b'."""
    kind, semicolon, rest = value.partition(";")
    return rest.strip() if semicolon and " " not in kind.strip() else value.strip()


def _returned_message_ids(part):
    """Message-IDs found in a returned message or returned headers part."""
    content_type = part.get_content_type()
    ids = []
    if content_type == "message/rfc822":
        payload = part.get_payload()
        for inner in payload if isinstance(payload, list) else []:
            ids += _header(inner, "Message-ID")
    elif content_type == "text/rfc822-headers":
        headers = email.message_from_string(_text_of(part).lstrip(), policy=email.policy.compat32)
        ids += _header(headers, "Message-ID")
    return ids


def _dsn_fields(part):
    """The field blocks of a message/delivery-status part: [per-message, per-recipient…] as lists of Messages."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return payload
    # Some mailers send it base64-encoded or as text: parse the blocks ourselves.
    text = _text_of(part)
    return [email.message_from_string(block, policy=email.policy.compat32)
            for block in re.split(r"\r?\n\s*\r?\n", text.strip()) if block.strip()]


def parse_bounce(raw, envelope_recipient=""):
    """Read a bounce (bytes); raises MalformedBounce when it is not an e-mail message."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="replace")
    if not raw or not raw.strip():
        raise MalformedBounce("empty message")
    if len(raw) > MAX_BOUNCE_SIZE:
        raise MalformedBounce("message too large")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as error:  # noqa: BLE001
        raise MalformedBounce(str(error)) from error
    if not message.keys() or message.defects and not message.get_payload():
        raise MalformedBounce("no headers")
    bounce = Bounce(subject=_one_line(_decoded_header(message, "Subject"), 200))

    verp = []
    for address in [envelope_recipient] + [
        found for name in RECIPIENT_HEADERS for value in _header(message, name) for found in ADDRESS.findall(value)
    ]:
        reference = _verp_reference(address)
        if reference and reference not in verp:
            verp.append(reference)

    message_ids = []
    recipients = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            bounce.is_dsn = True
            actions = []
            for block in _dsn_fields(part):
                action = (block.get("Action") or "").strip().lower()
                if not action and not block.get("Status"):
                    continue
                actions.append(action)
                if action in ("failed", "") and not bounce.failed:
                    bounce.failed = action == "failed" or (block.get("Status") or "").strip().startswith("5")
                    bounce.status = _one_line(block.get("Status") or "", 20)
                    bounce.diagnostic = _one_line(_strip_type(block.get("Diagnostic-Code") or ""))
                    bounce.recipient = _one_line(_strip_type(
                        block.get("Final-Recipient") or block.get("Original-Recipient") or ""), 254)
                recipients.append(block)
            bounce.delayed_only = bool(actions) and all(action in ("delayed", "relayed", "delivered", "expanded")
                                                        for action in actions)
        elif content_type in ("message/rfc822", "text/rfc822-headers"):
            message_ids += _returned_message_ids(part)
    content_type = message.get_content_type()
    if content_type == "multipart/report" and (message.get_param("report-type") or "").lower() == "delivery-status":
        bounce.is_dsn = True

    if not bounce.is_dsn:
        # A plain bounce: recognised by its sender or subject; our Message-ID may appear in the quoted message.
        senders = " ".join(_header(message, "From") + _header(message, "Return-Path"))
        auto_submitted = (message.get("Auto-Submitted") or "").strip().lower()
        bounce.looks_like_bounce = bool(
            (BOUNCE_SENDER.search(senders) or BOUNCE_SUBJECT.search(bounce.subject))
            and not auto_submitted.startswith("auto-replied")
        )
        if bounce.looks_like_bounce:
            bounce.failed = True
            texts = [_text_of(part) for part in message.walk() if part.get_content_maintype() == "text"]
            body = "\n".join(texts)
            message_ids += re.findall(r"^\s*Message-ID:\s*(\S+)", body, flags=re.IGNORECASE | re.MULTILINE)
            status = STATUS_CODE.search(body)
            bounce.status = status.group(0) if status and status.group(1) in "45" else ""
            for line in body.splitlines():
                if re.search(r"\b[45]\d\d\b", line):
                    bounce.diagnostic = _one_line(line)
                    break
    else:
        bounce.looks_like_bounce = True

    by_id = [ref for ref in (reference_from_message_id(value) for value in message_ids) if ref]
    bounce.references = verp + [ref for ref in by_id if ref not in verp]
    return bounce


def _decoded_header(message, name):
    value = message.get(name)
    if value is None:
        return ""
    try:
        return str(email.header.make_header(email.header.decode_header(str(value))))
    except Exception:  # noqa: BLE001
        return str(value)


def find_delivery(bounce):
    """The e-mail delivery the bounce is about, or None."""
    for reference in bounce.references:
        delivery = Delivery.objects.filter(reference=reference, channel=Channel.EMAIL).first()
        if delivery is not None:
            return delivery
    return None


def process_bounce(raw, envelope_recipient=""):
    """Read a bounce and record it on its delivery; returns a BounceOutcome. Raises MalformedBounce."""
    bounce = parse_bounce(raw, envelope_recipient)
    if not bounce.looks_like_bounce:
        logger.info("Message to the bounce address is not a bounce (%r): ignored", bounce.subject)
        return BounceOutcome("ignored", reason="not a bounce")
    delivery = find_delivery(bounce)
    if delivery is None:
        logger.warning(
            "Bounce matching no delivery (references %s, recipient %r, subject %r): ignored",
            bounce.references, bounce.recipient, bounce.subject,
        )
        return BounceOutcome("unmatched", reason="no delivery")
    if bounce.delayed_only or not bounce.failed:
        logger.info("Delay notice for delivery %s (%s): ignored", delivery.pk, bounce.status)
        return BounceOutcome("ignored", delivery, reason="delayed")
    if delivery.status == Delivery.Status.BOUNCED:
        return BounceOutcome("ignored", delivery, reason="already bounced")
    record_bounce(delivery, bounce.detail)
    logger.info("Bounce recorded for delivery %s: %s", delivery.pk, bounce.detail)
    return BounceOutcome("recorded", delivery)


def _token_matches(token):
    expected = getattr(settings, "GUICHET_BOUNCE_TOKEN", "") or ""
    if not expected or not isinstance(token, str):
        return False
    return hmac.compare_digest(expected.encode(), token.encode())


@csrf_exempt
def receive_bounce(request, token):
    """POST /notifications/rebonds/<token>/ on the platform host: the raw bounce message as the body.

    Answers 404 for a wrong token (or when GUICHET_BOUNCE_TOKEN is unset), 413 above MAX_BOUNCE_SIZE, 400 for
    what is not an e-mail message, 503 when the database is unavailable (the sender tries again), else 200 with
    « recorded », « ignored » or « unmatched ».
    """
    if not _token_matches(token):
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponseBadRequest("Content-Length invalide.\n", content_type="text/plain; charset=utf-8")
    if declared > MAX_BOUNCE_SIZE:
        return HttpResponse("Message trop volumineux.\n", status=413, content_type="text/plain; charset=utf-8")
    raw = request.read(MAX_BOUNCE_SIZE + 1)
    if len(raw) > MAX_BOUNCE_SIZE:
        return HttpResponse("Message trop volumineux.\n", status=413, content_type="text/plain; charset=utf-8")
    try:
        outcome = process_bounce(raw)
    except MalformedBounce:
        return HttpResponseBadRequest("Ce n'est pas un message électronique.\n",
                                      content_type="text/plain; charset=utf-8")
    except DatabaseError:
        logger.exception("Bounce could not be recorded now")
        return HttpResponse("Réessayez plus tard.\n", status=503, content_type="text/plain; charset=utf-8")
    except Exception:  # noqa: BLE001 — a bounce we cannot read is logged, never a server error
        logger.exception("Bounce could not be processed")
        return HttpResponseBadRequest("Message illisible.\n", content_type="text/plain; charset=utf-8")
    return HttpResponse(f"{outcome.result}\n", content_type="text/plain; charset=utf-8")
