"""Gateways against the local fake provider: what reaches it, and how its answers map to our errors."""

import hashlib
import json

import pytest

from guichet.sms import services
from guichet.sms.gateways import (
    BrevoGateway, ConsoleGateway, OvhGateway, SmsPermanentError, SmsTemporaryError,
)
from guichet.sms.models import SmsSettings

from . import fake_provider
from .conftest import configure_brevo, configure_ovh

PHONE = "+33612345678"


def last_post(provider):
    return [r for r in provider.requests if r[0] == "POST"][-1]


# --- OVH ---------------------------------------------------------------------------------------------------

def test_ovh_send_reaches_the_provider_signed(organisation, provider):
    configure_ovh(organisation, provider)
    sent = services.get_gateway(organisation).send(PHONE, "Votre demande est enregistrée.", reference="notif-17")

    assert isinstance(services.get_gateway(organisation), OvhGateway)
    assert sent.provider_id == "4242" and sent.segments == 1 and sent.encoding == "gsm" and sent.backend == "ovh"
    method, path, headers, body = last_post(provider)
    assert path == f"/1.0/sms/{fake_provider.OVH_SERVICE}/jobs"
    assert headers["X-Ovh-Application"] == fake_provider.OVH_APP_KEY
    assert headers["X-Ovh-Consumer"] == fake_provider.OVH_CONSUMER_KEY
    assert headers["Content-Type"] == "application/json"
    timestamp = headers["X-Ovh-Timestamp"]
    assert abs(int(timestamp) - provider.now()) <= 2  # OVH's clock (317 s ahead), not ours
    raw = "+".join([fake_provider.OVH_APP_SECRET, fake_provider.OVH_CONSUMER_KEY, "POST",
                    f"{provider.ovh_endpoint}/sms/{fake_provider.OVH_SERVICE}/jobs", body.decode(), timestamp])
    assert headers["X-Ovh-Signature"] == "$1$" + hashlib.sha1(raw.encode()).hexdigest()  # noqa: S324
    job = json.loads(body)
    assert job == {
        "message": "Votre demande est enregistrée.", "receivers": [PHONE], "charset": "UTF-8", "coding": "7bit",
        "noStopClause": True, "priority": "high", "validityPeriod": 2880, "class": "phoneDisplay",
        "tag": "notif-17", "sender": "MAIRIE", "senderForResponse": False,
    }


def test_ovh_time_is_read_once(organisation, provider):
    configure_ovh(organisation, provider)
    for index in range(3):
        services.get_gateway(organisation).send(PHONE, f"Message {index}", reference=f"r{index}")
    assert provider.time_calls == 1
    assert len(provider.sent) == 3


def test_ovh_unicode_text_and_no_sender(organisation, provider):
    configure_ovh(organisation, provider, sender="")
    text = "Rendez-vous « confirmé » 🙂 " + "ê" * 60
    sent = services.get_gateway(organisation).send(PHONE, text, reference="x" * 40)
    job = provider.sent[-1]["body"]
    assert job["coding"] == "8bit" and job["message"] == text
    assert job["senderForResponse"] is True and "sender" not in job
    assert job["tag"] == "x" * 20
    assert sent.encoding == "ucs2" and sent.segments == 2


def test_ovh_transliteration_when_asked(organisation, provider):
    configure_ovh(organisation, provider, transliterate=True)
    sent = services.get_gateway(organisation).send(PHONE, "Votre « carte » est prête, côté accueil.", reference="t")
    assert provider.sent[-1]["body"]["message"] == 'Votre " carte " est prete, coté accueil.'
    assert provider.sent[-1]["body"]["coding"] == "7bit"
    assert sent.encoding == "gsm" and sent.text == 'Votre " carte " est prete, coté accueil.'


def test_ovh_refused_number_is_permanent(organisation, provider):
    configure_ovh(organisation, provider)
    with pytest.raises(SmsPermanentError, match="refuse le numéro"):
        services.get_gateway(organisation).send("+33123456789", "Bonjour", reference="r")
    assert provider.sent == []


def test_ovh_bad_secret_is_rejected_and_permanent(organisation, provider):
    configure_ovh(organisation, provider, ovh_application_secret="wrong-secret")
    with pytest.raises(SmsPermanentError, match="403") as caught:
        services.get_gateway(organisation).send(PHONE, "Bonjour", reference="r")
    assert "Invalid signature" in str(caught.value)
    assert provider.sent == []


def test_ovh_bad_application_key_is_rejected(organisation, provider):
    configure_ovh(organisation, provider, ovh_application_key="unknown")
    with pytest.raises(SmsPermanentError, match="Invalid application key"):
        services.get_gateway(organisation).send(PHONE, "Bonjour", reference="r")


def test_ovh_unknown_service_is_permanent(organisation, provider):
    configure_ovh(organisation, provider, ovh_service_name="sms-other-1")
    with pytest.raises(SmsPermanentError, match="404"):
        services.get_gateway(organisation).send(PHONE, "Bonjour", reference="r")


def test_ovh_without_clock_delta_the_provider_refuses(organisation, provider):
    """A gateway that signed with our own clock would be 317 s late: the fake provider checks it."""
    configure_ovh(organisation, provider)
    OvhGateway._time_deltas[provider.ovh_endpoint] = 0
    with pytest.raises(SmsPermanentError, match="401"):
        services.get_gateway(organisation).send(PHONE, "Bonjour", reference="r")
    # The refusal makes the gateway read OVH's time again: the next try goes through.
    services.get_gateway(organisation).send(PHONE, "Bonjour", reference="r")
    assert len(provider.sent) == 1


@pytest.mark.parametrize(("status", "error"), [
    (500, SmsTemporaryError), (502, SmsTemporaryError), (503, SmsTemporaryError), (429, SmsTemporaryError),
    (400, SmsPermanentError), (402, SmsPermanentError), (403, SmsPermanentError), (404, SmsPermanentError),
])
def test_ovh_status_mapping(organisation, provider, status, error):
    configure_ovh(organisation, provider)
    provider.force(status, {"message": "Problème simulé"})
    with pytest.raises(error, match="Problème simulé"):
        services.get_gateway(organisation).send(PHONE, "Bonjour", reference="r")


def test_ovh_provider_down_is_temporary(organisation, provider):
    configure_ovh(organisation, provider)
    services.get_gateway(organisation).send(PHONE, "Avant la panne", reference="r")
    provider.stop()
    with pytest.raises(SmsTemporaryError, match="injoignable"):
        services.get_gateway(organisation).send(PHONE, "Pendant la panne", reference="r")


def test_ovh_down_before_reading_the_time_is_temporary(organisation, provider):
    configure_ovh(organisation, provider)
    provider.stop()
    with pytest.raises(SmsTemporaryError):
        services.get_gateway(organisation).send(PHONE, "Bonjour", reference="r")


def test_slow_provider_is_temporary(organisation, provider, settings):
    configure_ovh(organisation, provider)
    services.get_gateway(organisation).send(PHONE, "Réveil", reference="r")
    settings.GUICHET_HTTP_TIMEOUT = 0.3
    provider.delay = 1
    with pytest.raises(SmsTemporaryError, match="pas répondu à temps"):
        services.get_gateway(organisation).send(PHONE, "Bonjour", reference="r")


def test_unreadable_success_answer_is_not_retried(organisation, provider):
    configure_ovh(organisation, provider)
    provider.force(200, {"unexpected": True})
    with pytest.raises(SmsPermanentError, match="aucun envoi"):
        services.get_gateway(organisation).send(PHONE, "Bonjour", reference="r")


def test_incomplete_ovh_credentials_are_permanent(provider):
    gateway = OvhGateway(application_key="", application_secret="", consumer_key="", service_name="",
                         endpoint=provider.ovh_endpoint)
    with pytest.raises(SmsPermanentError, match="incomplets"):
        gateway.send(PHONE, "Bonjour", reference="r")
    assert provider.requests == []


# --- Brevo -------------------------------------------------------------------------------------------------

def test_brevo_send_reaches_the_provider(organisation, provider):
    config = configure_brevo(organisation, provider)
    sent = services.get_gateway(organisation).send(PHONE, "Votre dossier est complet.", reference="notif-3")
    assert sent.provider_id == "4242" and sent.backend == "brevo" and sent.segments == 1
    _method, path, headers, body = last_post(provider)
    assert path == "/v3/transactionalSMS/send"
    assert headers["api-key"] == fake_provider.BREVO_API_KEY
    assert json.loads(body) == {
        "sender": "StAubin", "recipient": "33612345678", "content": "Votre dossier est complet.",
        "type": "transactional", "tag": "notif-3", "unicodeEnabled": False,
        "webUrl": f"http://saint-aubin.localhost/sms/accuses/{config.receipt_token}/",
    }


def test_brevo_unicode_flag(organisation, provider):
    configure_brevo(organisation, provider)
    sent = services.get_gateway(organisation).send(PHONE, "Merci 🙂", reference="r")
    assert provider.sent[-1]["body"]["unicodeEnabled"] is True
    assert sent.encoding == "ucs2"


def test_brevo_bad_key_is_permanent(organisation, provider):
    configure_brevo(organisation, provider, brevo_api_key="wrong")
    with pytest.raises(SmsPermanentError, match="401"):
        services.get_gateway(organisation).send(PHONE, "Bonjour", reference="r")


@pytest.mark.parametrize(("status", "body", "error"), [
    (402, {"code": "not_enough_credits", "message": "Not enough credits"}, SmsPermanentError),
    (400, {"code": "invalid_parameter", "message": "Invalid phone number"}, SmsPermanentError),
    (429, {"code": "too_many_requests", "message": "Rate limited"}, SmsTemporaryError),
    (500, {"code": "internal_error", "message": "Internal error"}, SmsTemporaryError),
])
def test_brevo_status_mapping(organisation, provider, status, body, error):
    configure_brevo(organisation, provider)
    provider.force(status, body)
    with pytest.raises(error, match=body["message"]):
        services.get_gateway(organisation).send(PHONE, "Bonjour", reference="r")


def test_brevo_down_is_temporary(organisation, provider):
    configure_brevo(organisation, provider)
    provider.stop()
    with pytest.raises(SmsTemporaryError):
        services.get_gateway(organisation).send(PHONE, "Bonjour", reference="r")


def test_brevo_needs_a_sender(provider):
    gateway = BrevoGateway(api_key=fake_provider.BREVO_API_KEY, endpoint=provider.brevo_endpoint)
    with pytest.raises(SmsPermanentError, match="expéditeur"):
        gateway.send(PHONE, "Bonjour", reference="r")


# --- console and choice of backend -------------------------------------------------------------------------

def test_console_is_the_default_and_writes_a_file(organisation, settings):
    gateway = services.get_gateway(organisation)
    assert isinstance(gateway, ConsoleGateway)
    sent = gateway.send(PHONE, "Essai € 🙂", reference="notif-1")
    assert sent.provider_id.startswith("console-") and sent.encoding == "ucs2"
    files = list(settings.GUICHET_SMS_FILE_PATH.iterdir())
    assert len(files) == 1
    content = files[0].read_text(encoding="utf-8")
    assert "À : +33612345678" in content and "Essai € 🙂" in content and "Référence : notif-1" in content


def test_console_with_settings_keeps_sender_and_transliteration(organisation):
    SmsSettings.objects.create(organisation=organisation, sender="MAIRIE", transliterate=True)
    gateway = services.get_gateway(organisation)
    assert isinstance(gateway, ConsoleGateway)
    assert gateway.send(PHONE, "Prêt « ici »", reference="r").text == 'Pret " ici "'


def test_bad_phone_or_empty_text_never_reach_the_provider(organisation, provider):
    configure_ovh(organisation, provider)
    gateway = services.get_gateway(organisation)
    with pytest.raises(SmsPermanentError):
        gateway.send("0612345678", "Bonjour", reference="r")
    with pytest.raises(SmsPermanentError):
        gateway.send(PHONE, "   ", reference="r")
    assert provider.requests == []


def test_gateway_follows_each_collectivite(organisation, other_organisation, provider):
    configure_ovh(organisation, provider)
    configure_brevo(other_organisation, provider)
    services.get_gateway(organisation).send(PHONE, "Pour Saint-Aubin", reference="a")
    services.get_gateway(other_organisation).send(PHONE, "Pour Montclair", reference="b")
    assert [(s["provider"], s["body"].get("message") or s["body"].get("content")) for s in provider.sent] == [
        ("ovh", "Pour Saint-Aubin"), ("brevo", "Pour Montclair"),
    ]


def test_preview_shows_what_will_be_sent(organisation):
    SmsSettings.objects.create(organisation=organisation, transliterate=True)
    text, info = services.preview(organisation, "Votre « rendez-vous » est à 10 h.")
    assert text == 'Votre " rendez-vous " est à 10 h.' and info.encoding == "gsm" and info.segments == 1
