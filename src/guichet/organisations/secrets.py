"""Secrets that outside systems of a collectivité present to the platform (the telephony system's webhook, the mail
gateway; later the API clients): generated once and shown once, stored only as a SHA-256 hash, presented as
`Authorization: Bearer <secret>` and compared in constant time."""

import hashlib
import hmac
import secrets

MAX_LENGTH = 200


def new_secret(prefix):
    """A new clear secret, e.g. `gtel_…` (the prefix tells an administrator what it is for)."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(clear):
    return hashlib.sha256(clear.encode("utf-8")).hexdigest()


def presented_hash(authorization):
    """The hash of the secret in an `Authorization: Bearer <secret>` header, or None when there is none."""
    scheme, _sep, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_LENGTH:
        return None
    return hash_secret(token)


def same_hash(stored, presented):
    """Constant-time comparison of two hashes (False when either is missing)."""
    return bool(stored and presented) and hmac.compare_digest(stored, presented)
