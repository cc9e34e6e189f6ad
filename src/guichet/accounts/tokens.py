"""One-time links sent by e-mail: confirmation of the address given at sign-up, and change of address."""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """Token of the link that confirms a citizen's e-mail address.

    Valid PASSWORD_RESET_TIMEOUT seconds (three days). Its hash includes `email_confirmed`, so the
    link stops working once used; it also includes the address, the collectivité and `is_active`,
    so a changed address or an erased account invalidates it.
    """

    key_salt = "guichet.accounts.tokens.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return (
            f"{user.pk}|{user.organisation_id}|{user.email}|{user.email_confirmed}|{user.is_active}|{timestamp}"
        )


email_confirmation_token = EmailConfirmationTokenGenerator()

EMAIL_CHANGE_SALT = "guichet.accounts.tokens.email-change"


def _address_fingerprint(user):
    return salted_hmac(EMAIL_CHANGE_SALT, f"{user.pk}|{user.email}").hexdigest()[:24]


def make_email_change_token(user, new_email):
    """A signed, timestamped token carrying the new address; it is only valid while the current address is unchanged."""
    payload = {"u": user.pk, "o": user.organisation_id, "e": new_email, "f": _address_fingerprint(user)}
    return signing.dumps(payload, salt=EMAIL_CHANGE_SALT, compress=True)


def read_email_change_token(token):
    """(user id, collectivité id, new address, fingerprint) or None when the token is forged or expired."""
    try:
        payload = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(payload, dict) or not {"u", "o", "e", "f"} <= payload.keys():
        return None
    return payload["u"], payload["o"], payload["e"], payload["f"]


def email_change_token_matches(user, fingerprint):
    return constant_time_compare(_address_fingerprint(user), fingerprint)
