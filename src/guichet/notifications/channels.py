"""The three channels a notification travels on. Each sender returns (provider id, result text), raises
PermanentDeliveryError when the message can never go, and any other exception when it may go later."""

import re
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from guichet.organisations.services import organisation_url

from .models import Channel
from .services import PermanentDeliveryError, TemporaryDeliveryError, absolute_link

# Every try of a delivery carries the same Message-ID, built from its reference.
MESSAGE_ID_PATTERN = re.compile(r"<?([0-9a-f]{32})@([^>\s]+)>?", re.IGNORECASE)
# A send that hangs is given up after this long (the delivery is tried again later).
DEFAULT_EMAIL_TIMEOUT = 30


def message_id(delivery):
    """The same Message-ID for every try of a delivery: a bounce names it, and a resend is recognisable."""
    return f"<{delivery.reference.hex}@{settings.GUICHET_MAIL_DOMAIN}>"


def reference_from_message_id(value):
    """The delivery reference (32 hex digits) named by one of our Message-IDs, or None."""
    match = MESSAGE_ID_PATTERN.search(value or "")
    if match and match.group(2).lower() == settings.GUICHET_MAIL_DOMAIN.lower():
        return match.group(1).lower()
    return None


def bounce_address(delivery):
    """VERP envelope sender: a bounce comes back to an address that names the delivery."""
    local, _at, domain = settings.GUICHET_BOUNCE_ADDRESS.partition("@")
    return f"{local}+{delivery.reference.hex}@{domain}" if local and domain else ""


def preferences_url(delivery):
    """The page where the recipient changes how they are contacted (citizens only), or ""."""
    recipient = delivery.notification.recipient
    if recipient.is_agent:
        return ""
    return organisation_url(
        delivery.organisation, reverse("accounts:profile_edit"), scheme="https" if settings.PRODUCTION else "http"
    )


def build_email(delivery):
    notification = delivery.notification
    organisation = delivery.organisation
    settings_url = preferences_url(delivery)
    context = {
        "notification": notification, "organisation": organisation,
        "link": absolute_link(organisation, notification.link), "settings_url": settings_url,
    }
    headers = {
        "Message-ID": message_id(delivery),
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "Content-Language": translation.get_language() or settings.LANGUAGE_CODE,
    }
    if settings_url:
        # Where to change how one is contacted (these messages are about one's own requests, not a list).
        headers["List-Unsubscribe"] = f"<{settings_url}>"
    email = EmailMultiAlternatives(
        subject=notification.subject,
        body=render_to_string("notifications/email.txt", context),
        from_email=organisation.from_email,
        to=[delivery.address],
        reply_to=[organisation.email] if organisation.email else None,
        headers=headers,
    )
    email.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    envelope_sender = bounce_address(delivery)
    if envelope_sender:
        # The SMTP envelope sender (where bounces go) is the VERP address; the From header stays the town's.
        email.extra_headers["From"] = organisation.from_email
        email.from_email = envelope_sender
    return email


def _codes(error):
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return [code for code, _message in error.recipients.values()]
    return [getattr(error, "smtp_code", 0)]


def _smtp_text(error):
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address} : {code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
            for address, (code, message) in error.recipients.items()
        )
    message = getattr(error, "smtp_error", b"")
    message = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    return f"{getattr(error, 'smtp_code', '')} {message}".strip() or str(error) or error.__class__.__name__


def send_email(delivery):
    email = build_email(delivery)
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_EMAIL_TIMEOUT
    try:
        with get_connection(fail_silently=False, timeout=timeout) as connection:
            connection.send_messages([email])
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
        codes = _codes(error)
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentDeliveryError(
                _("Refusé par le serveur de courrier : %(error)s") % {"error": _smtp_text(error)}
            ) from error
        raise TemporaryDeliveryError(
            _("Refusé pour l'instant par le serveur de courrier : %(error)s") % {"error": _smtp_text(error)}
        ) from error
    except smtplib.SMTPException as error:
        raise TemporaryDeliveryError(
            _("Erreur du serveur de courrier : %(error)s") % {"error": _smtp_text(error)}
        ) from error
    except OSError as error:
        raise TemporaryDeliveryError(
            _("Serveur de courrier injoignable : %(error)s") % {"error": str(error) or error.__class__.__name__}
        ) from error
    return message_id(delivery), _("Accepté par le serveur de courrier")


def send_sms(delivery):
    from guichet.sms.gateways import SmsPermanentError
    from guichet.sms.services import get_gateway

    try:
        sent = get_gateway(delivery.organisation).send(
            delivery.address, delivery.content, reference=str(delivery.reference)
        )
    except SmsPermanentError as error:
        raise PermanentDeliveryError(str(error)) from error
    return sent.provider_id, _("Accepté par l'opérateur SMS (%(n)s SMS)") % {"n": sent.segments}


def send_letter(delivery):
    from guichet.letters.services import add_to_batch

    letter = add_to_batch(delivery)
    return str(letter.pk), _("Courrier ajouté au lot du %(date)s") % {"date": letter.batch.date.strftime("%d/%m/%Y")}


SENDERS = {Channel.EMAIL: send_email, Channel.SMS: send_sms, Channel.LETTER: send_letter}
