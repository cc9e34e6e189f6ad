"""Reading the delivery receipts providers send to our callback URL (formats: see `guichet.sms.gateways`).

`parse_receipts(request)` returns the receipts found, each a `Receipt(provider_id, status, detail)` whose
status is ``delivered``, ``failed`` or ``None`` (an intermediate state: accepted, sent to the operator…,
acknowledged but not reported). Anything unreadable raises `MalformedReceipt`, answered 400.
"""

import json
from dataclasses import dataclass

DELIVERED = "delivered"
FAILED = "failed"

# OVH: the `dlr` code (Kannel-style delivery report bits).
OVH_DLR = {"1": DELIVERED, "2": FAILED, "16": FAILED, "4": None, "8": None}
OVH_DLR_LABELS = {
    "1": "remis au destinataire",
    "2": "non remis au destinataire",
    "4": "en attente chez l'opérateur",
    "8": "remis à l'opérateur",
    "16": "refusé par l'opérateur",
}
# Brevo: `msg_status` of the transactional SMS webhook.
BREVO_STATUS = {
    "delivered": DELIVERED,
    "hard_bounce": FAILED, "soft_bounce": FAILED, "rejected": FAILED, "blocked": FAILED, "error": FAILED,
    "sent": None, "accepted": None, "replied": None, "unsubscribed": None, "skip": None,
}
MAX_ID = 100


class MalformedReceipt(ValueError):
    """The request is not a receipt we can read (French message for the 400 answer)."""


@dataclass(frozen=True)
class Receipt:
    provider_id: str
    status: str | None
    detail: str


def _clean_id(value):
    text = str(value if value is not None else "").strip()
    if not text or len(text) > MAX_ID or not text.isprintable():
        raise MalformedReceipt("Identifiant de message absent ou invalide.")
    return text


def _brevo(item):
    if not isinstance(item, dict):
        raise MalformedReceipt("Accusé Brevo illisible : un objet JSON est attendu.")
    status_name = str(item.get("msg_status") or item.get("event") or "").strip().lower()
    if status_name not in BREVO_STATUS:
        raise MalformedReceipt(f"État Brevo inconnu : {status_name[:40]!r}.")
    detail = status_name
    reason = item.get("reason") or item.get("description") or item.get("bounce_type")
    if reason:
        detail = f"{status_name} : {str(reason)[:200]}"
    return Receipt(_clean_id(item.get("messageId")), BREVO_STATUS[status_name], detail)


def _ovh(params):
    dlr = str(params.get("dlr", "")).strip()
    if dlr not in OVH_DLR:
        raise MalformedReceipt(f"Code d'état OVH (dlr) inconnu : {dlr[:10]!r}.")
    detail = f"dlr={dlr} ({OVH_DLR_LABELS[dlr]})"
    extra = [f"{name}={str(params.get(name))[:80]}" for name in ("ptt", "description") if params.get(name)]
    if extra:
        detail += " " + " ".join(extra)
    return Receipt(_clean_id(params.get("id")), OVH_DLR[dlr], detail[:255])


def parse_receipts(request):
    """The receipts carried by `request`: Brevo's JSON body, or OVH's query/form parameters."""
    content_type = request.content_type or ""
    if request.method == "POST" and ("json" in content_type or request.body[:1] in (b"{", b"[")):
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise MalformedReceipt("Corps JSON illisible.") from error
        items = data if isinstance(data, list) else [data]
        if not items or len(items) > 1000:
            raise MalformedReceipt("Aucun accusé de réception dans la requête.")
        return [_brevo(item) for item in items]
    params = request.POST if request.method == "POST" and request.POST else request.GET
    if "id" in params or "dlr" in params:
        return [_ovh(params)]
    raise MalformedReceipt("Requête sans accusé de réception reconnaissable (id et dlr, ou JSON Brevo).")
