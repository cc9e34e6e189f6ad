"""The receipt callback: the collectivité's token, the providers' formats, repeats, bad input, outages."""

import json

import pytest
from django.urls import reverse

from guichet.sms.models import SmsReceipt
from tests.conftest import client_for

from .conftest import configure_brevo, configure_ovh


def url(config):
    return reverse("sms:receipt", args=[config.receipt_token])


def brevo_event(message_id=4242, status="delivered", **extra):
    event = {
        "id": 26570, "to": "33612345678", "sms_count": 1, "credits_used": 1.0, "messageId": message_id,
        "remaining_credit": 120.5, "msg_status": status, "date": "2025-05-12 10:03:00", "type": "transactional",
        "reference": "ab1cde2fgh3i4jklmno", "tag": "notif-3",
    }
    event.update(extra)
    return event


def post_json(client, address, data):
    return client.post(address, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def brevo_config(organisation, provider):
    return configure_brevo(organisation, provider)


def test_brevo_delivered(organisation, brevo_config, received):
    response = post_json(client_for(organisation), url(brevo_config), brevo_event())
    assert response.status_code == 200
    assert received == [("saint-aubin", "4242", "delivered", "delivered")]


def test_brevo_hard_bounce_is_a_failure_with_detail(organisation, brevo_config, received):
    response = post_json(client_for(organisation), url(brevo_config),
                         brevo_event(status="hard_bounce", reason="Numéro inexistant"))
    assert response.status_code == 200
    assert received == [("saint-aubin", "4242", "failed", "hard_bounce : Numéro inexistant")]


def test_intermediate_states_are_acknowledged_not_reported(organisation, brevo_config, received):
    for status in ("sent", "accepted"):
        assert post_json(client_for(organisation), url(brevo_config), brevo_event(status=status)).status_code == 200
    assert received == []
    assert not SmsReceipt.objects.exists()


def test_repeated_receipt_is_reported_once(organisation, brevo_config, received):
    client = client_for(organisation)
    for _ in range(3):
        assert post_json(client, url(brevo_config), brevo_event()).status_code == 200
    assert len(received) == 1
    assert SmsReceipt.objects.of(organisation).count() == 1


def test_unknown_message_id_is_handed_over_and_acknowledged(organisation, brevo_config, received):
    response = post_json(client_for(organisation), url(brevo_config), brevo_event(message_id=999999))
    assert response.status_code == 200  # the handler knows nothing of it; the provider must not retry
    assert received == [("saint-aubin", "999999", "delivered", "delivered")]


def test_ovh_receipt_by_get(organisation, provider, received):
    config = configure_ovh(organisation, provider)
    client = client_for(organisation)
    assert client.get(url(config), {"id": "4242", "dlr": "8"}).status_code == 200  # reached the operator
    assert received == []
    response = client.get(url(config), {"id": "4242", "dlr": "1", "receiver": "+33612345678"})
    assert response.status_code == 200
    response = client.get(url(config), {"id": "4243", "dlr": "2", "ptt": "2", "description": "Absent subscriber"})
    assert response.status_code == 200
    assert received == [
        ("saint-aubin", "4242", "delivered", "dlr=1 (remis au destinataire)"),
        ("saint-aubin", "4243", "failed",
         "dlr=2 (non remis au destinataire) ptt=2 description=Absent subscriber"),
    ]


def test_ovh_receipt_by_form_post(organisation, provider, received):
    config = configure_ovh(organisation, provider)
    response = client_for(organisation).post(url(config), {"id": "77", "dlr": "16"})
    assert response.status_code == 200
    assert received == [("saint-aubin", "77", "failed", "dlr=16 (refusé par l'opérateur)")]


def test_wrong_token_is_not_found(organisation, brevo_config, received):
    response = post_json(client_for(organisation), reverse("sms:receipt", args=["x" * 43]), brevo_event())
    assert response.status_code == 404
    assert received == []


def test_no_settings_means_not_found(organisation, received):
    response = post_json(client_for(organisation), reverse("sms:receipt", args=["anything"]), brevo_event())
    assert response.status_code == 404


def test_another_collectivite_token_is_not_found_here(organisation, other_organisation, provider, received):
    configure_brevo(organisation, provider)
    other = configure_brevo(other_organisation, provider)
    response = post_json(client_for(organisation), url(other), brevo_event())
    assert response.status_code == 404
    response = post_json(client_for(other_organisation), url(other), brevo_event())
    assert response.status_code == 200
    assert received == [("montclair", "4242", "delivered", "delivered")]
    assert not SmsReceipt.objects.of(organisation).exists()


def test_platform_host_has_no_receipts(brevo_config, client):
    assert post_json(client, f"/sms/accuses/{brevo_config.receipt_token}/", brevo_event()).status_code == 404


@pytest.mark.parametrize("body", [
    "{not json",
    "[]",
    json.dumps({"msg_status": "delivered"}),  # no messageId
    json.dumps({"messageId": 1, "msg_status": "teleported"}),
    json.dumps({"messageId": "x" * 500, "msg_status": "delivered"}),
    json.dumps(["not an object"]),
    json.dumps({"messageId": "a\nb", "msg_status": "delivered"}),
])
def test_malformed_json_is_refused_plainly(organisation, brevo_config, received, body):
    response = client_for(organisation).post(url(brevo_config), data=body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith("Accusé de réception illisible")
    assert received == []


@pytest.mark.parametrize("params", [{}, {"id": "1"}, {"dlr": "1"}, {"id": "1", "dlr": "99"}, {"id": "", "dlr": "1"}])
def test_malformed_ovh_parameters_are_refused(organisation, provider, received, params):
    config = configure_ovh(organisation, provider)
    assert client_for(organisation).get(url(config), params).status_code == 400
    assert received == []


def test_non_utf8_body_is_refused(organisation, brevo_config):
    response = client_for(organisation).post(url(brevo_config), data=b"{\xff\xfe", content_type="application/json")
    assert response.status_code == 400


def test_other_methods_are_refused(organisation, brevo_config):
    assert client_for(organisation).put(url(brevo_config), data="{}").status_code == 405


def test_handler_missing_answers_503_then_the_retry_goes_through(organisation, brevo_config, received, settings):
    settings.GUICHET_SMS_RECEIPT_HANDLER = "guichet.nowhere.record_sms_receipt"
    client = client_for(organisation)
    response = post_json(client, url(brevo_config), brevo_event())
    assert response.status_code == 503
    assert received == []
    settings.GUICHET_SMS_RECEIPT_HANDLER = "tests.sms.conftest.record_receipt"
    assert post_json(client, url(brevo_config), brevo_event()).status_code == 200
    assert received == [("saint-aubin", "4242", "delivered", "delivered")]


def failing_handler(organisation, provider_id, status, detail):
    raise RuntimeError("base de données indisponible")


def test_handler_failure_answers_503(organisation, brevo_config, settings):
    settings.GUICHET_SMS_RECEIPT_HANDLER = "tests.sms.test_receipts.failing_handler"
    assert post_json(client_for(organisation), url(brevo_config), brevo_event()).status_code == 503
    assert SmsReceipt.objects.get().forwarded_at is None


def test_csrf_is_not_required(organisation, brevo_config, received):
    from django.test import Client

    client = Client(HTTP_HOST="saint-aubin.localhost", enforce_csrf_checks=True)
    assert post_json(client, url(brevo_config), brevo_event()).status_code == 200


def test_default_handler_is_the_notifications_one(organisation, brevo_config, settings):
    """Without the setting, receipts go to guichet.notifications.services.record_sms_receipt."""
    del settings.GUICHET_SMS_RECEIPT_HANDLER
    response = post_json(client_for(organisation), url(brevo_config), brevo_event(message_id=123456))
    assert response.status_code == 200
    assert SmsReceipt.objects.of(organisation).get().forwarded_at is not None
