"""Outgoing calls never reach link-local / metadata addresses; private ones only where the platform allows them."""

import pytest

from guichet.background.testing import run_ready_jobs
from guichet.connectors.destinations import refused_destination
from guichet.connectors.services import ConnectorError, call, try_connection

from .conftest import Service, make_connector

pytestmark = pytest.mark.django_db


@pytest.fixture
def service_request(organisation, service, citizen):
    from tests.workflows.conftest import make_request, make_version

    return make_request(make_version(organisation, service), citizen, status="recue")


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/", "http://0.0.0.0:8000/",
    "http://[fe80::1]/", "http://[fd00:ec2::254]/latest/", "http://224.0.0.1/", "http://100.100.100.200/",
])
def test_link_local_metadata_and_unspecified_addresses_are_always_refused(url):
    assert refused_destination(url).startswith("Adresse refusée")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/", "http://localhost/", "http://[::1]/", "http://10.1.2.3/",
                                 "http://192.168.1.10/api"])
def test_private_addresses_follow_the_setting(settings, url):
    assert refused_destination(url) is None
    settings.GUICHET_OUTGOING_PRIVATE_ADDRESSES = False
    assert "réseau privé" in refused_destination(url)


def test_a_public_name_is_allowed():
    assert refused_destination("https://93.184.215.14/") is None


def test_the_connection_test_never_shows_the_metadata_service(organisation, admin_client_org):
    connector = make_connector(organisation, "http://169.254.169.254/latest/meta-data")
    ok, summary, _error = try_connection(connector)
    assert not ok and "169.254.169.254" in summary and "jamais" in summary
    response = admin_client_org.post(f"/agents/admin/connecteurs/{connector.pk}/tester/", {"path": ""})
    assert response.status_code == 200 and "Adresse refusée" in response.content.decode()


def test_a_private_platform_refuses_the_local_service_and_records_it(settings, connector):
    settings.GUICHET_OUTGOING_PRIVATE_ADDRESSES = False
    with pytest.raises(ConnectorError) as raised:
        call(connector, "GET")
    assert not raised.value.retryable and Service.calls == []
    connector.refresh_from_db()
    assert "réseau privé" in connector.last_error


def test_a_webhook_subscription_to_the_metadata_service_fails_at_once(organisation, service_request):
    from guichet.service_requests import messaging
    from guichet.webhooks.models import Delivery
    from tests.webhooks.conftest import subscribe

    subscribe(organisation, "http://169.254.169.254/latest/meta-data/")
    messaging.post_agent_message(service_request, None, "Bonjour")
    run_ready_jobs()
    delivery = Delivery.objects.get(event_type="message.posted")
    assert delivery.status == Delivery.Status.FAILED and "Adresse refusée" in delivery.last_error
    assert delivery.attempts == 1 and delivery.next_attempt_at is None


def test_a_workflow_url_webhook_to_the_metadata_service_is_never_called(organisation, service_request):
    from guichet.service_requests.models import RequestEvent
    from guichet.workflows.actions import call_webhook

    workflow = service_request.version.workflow
    workflow["statuses"][0]["on_enter"] = [{"type": "webhook", "url": "http://169.254.169.254/latest/",
                                            "secret": "0123456789abcdef"}]
    service_request.version.save(update_fields=["workflow"])
    assert call_webhook.call(service_request.pk, ["statuses", 0, "on_enter", 0], "{}") == "adresse refusée"
    event = RequestEvent.objects.filter(request=service_request, kind="webhook").last()
    assert "Adresse refusée" in event.text
