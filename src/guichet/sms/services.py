"""SMS services the rest of Guichet calls.

    get_gateway(organisation) -> SmsGateway       # configured backend, console when none
    gateway.send("+33612345678", text, reference="notification-42") -> SentSms
        raises SmsTemporaryError (retry later) / SmsPermanentError (give up)
    segment_info(text) -> SegmentInfo              # GSM 03.38 encoding, size, segment count, parts
    preview(organisation, text) -> (text as sent, SegmentInfo)   # transliteration applied when asked for

Delivery receipts arrive at `receipt_url(organisation)`; each final one is passed to the function named by
setting GUICHET_SMS_RECEIPT_HANDLER as ``handler(organisation, provider_id, status, detail)`` with status
"delivered" or "failed". The handler must return normally for an id it does not know; an exception it
raises (or an import that fails) answers 503 so that the provider calls again later.
"""

import hmac
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from guichet.organisations.services import organisation_url

from . import gateways
from .gsm import segment_info
from .models import SmsReceipt, SmsSettings

logger = logging.getLogger(__name__)

DEFAULT_RECEIPT_HANDLER = "guichet.notifications.services.record_sms_receipt"

__all__ = [
    "get_gateway", "get_settings", "preview", "receipt_url", "record_receipt", "segment_info", "settings_for_token",
]


class ReceiptHandlerUnavailable(Exception):
    """The receipt could not be handed over now: answer 503 so the provider retries."""


def get_settings(organisation):
    """The collectivité's SmsSettings, created (console backend) on first use."""
    found, _created = SmsSettings.objects.get_or_create(organisation=organisation)
    return found


def receipt_url(organisation, sms_settings=None):
    """Absolute URL the provider calls with delivery receipts for this collectivité."""
    sms_settings = sms_settings or get_settings(organisation)
    path = reverse("sms:receipt", args=[sms_settings.receipt_token])
    return organisation_url(organisation, path, scheme="https" if settings.PRODUCTION else "http")


def get_gateway(organisation):
    """The gateway configured by the collectivité (console when it configured none)."""
    config = SmsSettings.objects.of(organisation).first()
    if config is None or config.backend == SmsSettings.Backend.CONSOLE:
        sender = config.sender if config else ""
        return gateways.ConsoleGateway(sender=sender, transliterate=bool(config and config.transliterate))
    common = {
        "sender": config.sender, "transliterate": config.transliterate,
        "receipt_url": receipt_url(organisation, config),
    }
    if config.backend == SmsSettings.Backend.OVH:
        return gateways.OvhGateway(
            application_key=config.ovh_application_key, application_secret=config.ovh_application_secret,
            consumer_key=config.ovh_consumer_key, service_name=config.ovh_service_name,
            endpoint=config.endpoint_url, **common,
        )
    if config.backend == SmsSettings.Backend.BREVO:
        return gateways.BrevoGateway(api_key=config.brevo_api_key, endpoint=config.endpoint_url, **common)
    raise gateways.SmsPermanentError(f"Passerelle SMS inconnue : {config.backend!r}.")


def preview(organisation, text):
    """`text` as the collectivité's gateway would send it, and its segment information."""
    return get_gateway(organisation).prepare(text)


def settings_for_token(organisation, token):
    """The collectivité's SmsSettings when `token` is its receipt token (constant-time compare), else None."""
    config = SmsSettings.objects.of(organisation).first()
    if config is None or not isinstance(token, str):
        return None
    if hmac.compare_digest(config.receipt_token.encode(), token.encode()):
        return config
    return None


def receipt_handler():
    path = getattr(settings, "GUICHET_SMS_RECEIPT_HANDLER", DEFAULT_RECEIPT_HANDLER)
    try:
        return import_string(path)
    except ImportError as error:
        logger.error("SMS receipt handler %s cannot be imported: %s", path, error)
        raise ReceiptHandlerUnavailable(str(error)) from error


def record_receipt(organisation, receipt):
    """Hand a final receipt over to the handler once; a repeated receipt is acknowledged and not repeated.

    Returns True when the handler was called, False for a duplicate or an intermediate state.
    """
    if receipt.status is None:
        return False
    try:
        with transaction.atomic():
            row, _created = SmsReceipt.objects.get_or_create(
                organisation=organisation, provider_id=receipt.provider_id, status=receipt.status,
                defaults={"detail": receipt.detail},
            )
    except IntegrityError:  # the same receipt arriving twice at the same moment
        row = SmsReceipt.objects.of(organisation).get(provider_id=receipt.provider_id, status=receipt.status)
    if row.forwarded_at is not None:
        return False
    handler = receipt_handler()
    try:
        handler(organisation, receipt.provider_id, receipt.status, receipt.detail)
    except Exception as error:
        logger.exception("SMS receipt handler failed for %s (%s)", receipt.provider_id, organisation)
        raise ReceiptHandlerUnavailable(str(error)) from error
    SmsReceipt.objects.filter(pk=row.pk).update(forwarded_at=timezone.now())
    return True


def trial_message(organisation):
    return f"{organisation.name} : ceci est un SMS d'essai envoyé depuis Guichet. Inutile d'y répondre."


def send_test_sms(organisation, phone_e164, reference):
    """Send the test SMS through the collectivité's gateway (errors raised as SmsError)."""
    return get_gateway(organisation).send(phone_e164, trial_message(organisation), reference=reference)
