"""Fixtures of the SMS tests: a fake provider on a local port, receipts recorded by a stand-in handler."""

import pytest

from guichet.sms.gateways import OvhGateway
from guichet.sms.models import SmsSettings

from . import fake_provider

RECEIVED = []


def record_receipt(organisation, provider_id, status, detail):
    """Stand-in for the notifications' receipt handler (GUICHET_SMS_RECEIPT_HANDLER in these tests)."""
    RECEIVED.append((organisation.slug, provider_id, status, detail))


@pytest.fixture(autouse=True)
def _sms_settings(settings, tmp_path):
    settings.GUICHET_SMS_FILE_PATH = tmp_path / "sms"
    settings.GUICHET_HTTP_TIMEOUT = 2
    settings.GUICHET_SMS_RECEIPT_HANDLER = "tests.sms.conftest.record_receipt"
    RECEIVED.clear()
    OvhGateway.forget_time_deltas()
    yield
    OvhGateway.forget_time_deltas()


@pytest.fixture
def received():
    return RECEIVED


@pytest.fixture
def provider():
    server = fake_provider.FakeProvider(clock_offset=317)  # OVH's clock is ahead of ours: the delta matters
    yield server
    server.stop()


def configure_ovh(organisation, provider, **fields):
    values = {
        "backend": SmsSettings.Backend.OVH, "sender": "MAIRIE", "endpoint_url": provider.ovh_endpoint,
        "ovh_application_key": fake_provider.OVH_APP_KEY, "ovh_application_secret": fake_provider.OVH_APP_SECRET,
        "ovh_consumer_key": fake_provider.OVH_CONSUMER_KEY, "ovh_service_name": fake_provider.OVH_SERVICE,
    }
    values.update(fields)
    config, _ = SmsSettings.objects.update_or_create(organisation=organisation, defaults=values)
    return config


def configure_brevo(organisation, provider, **fields):
    values = {
        "backend": SmsSettings.Backend.BREVO, "sender": "StAubin", "endpoint_url": provider.brevo_endpoint,
        "brevo_api_key": fake_provider.BREVO_API_KEY,
    }
    values.update(fields)
    config, _ = SmsSettings.objects.update_or_create(organisation=organisation, defaults=values)
    return config
