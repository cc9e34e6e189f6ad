"""Signatures of what the platform sends out (outgoing webhooks, the workflows' calls to external services).

Header `X-Guichet-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, like Stripe's webhooks: the
receiver recomputes the HMAC with the shared secret and refuses a timestamp too far from its clock (replays).
"""

import hashlib
import hmac
import time

HEADER = "X-Guichet-Signature"
DEFAULT_TOLERANCE = 300  # seconds


def signature(secret, body, timestamp):
    payload = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret, body, header, *, tolerance=DEFAULT_TOLERANCE, now=None):
    """True when `header` is a valid signature of `body` with `secret`, made less than `tolerance` s ago."""
    parts = dict(part.split("=", 1) for part in (header or "").split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
