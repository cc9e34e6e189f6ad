"""The platform operators' Django admin (bare host): read-only lists of templates, notifications, deliveries
and their events, and a retry action that only relaunches failed deliveries."""

import pytest
from django.test import Client

from guichet.accounts.models import User
from guichet.notifications.models import Delivery, DeliveryEvent, MessageTemplate
from guichet.notifications.services import claim, notify, record_failed
from tests.conftest import PASSWORD, client_for


@pytest.fixture
def operator_client(db):
    operator = User.objects.create_superuser("operateur@guichet.example", PASSWORD)
    client = Client()  # the bare platform host
    client.force_login(operator)
    return client


def failed_delivery(user):
    delivery = notify(user, "notifications.test").deliveries.get()
    taken = claim(delivery.pk)
    taken.attempts = 1
    record_failed(taken, "connexion refusée")
    return delivery


def test_operators_see_read_only_lists(organisation, citizen, operator_client):
    MessageTemplate.objects.create(organisation=organisation, key="notifications.test", subject="Essai",
                                   body="b", sms_text="s", letter_text="l")
    delivery = failed_delivery(citizen)
    for model in ("messagetemplate", "notification", "delivery", "deliveryevent"):
        response = operator_client.get(f"/admin/notifications/{model}/")
        assert response.status_code == 200, model
        assert f"/admin/notifications/{model}/add/" not in response.content.decode()
    page = operator_client.get(f"/admin/notifications/delivery/{delivery.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "connexion refusée" in content and 'name="_save"' not in content  # read-only, events shown inline
    assert operator_client.post(f"/admin/notifications/delivery/{delivery.pk}/delete/").status_code == 403
    assert Delivery.objects.filter(pk=delivery.pk).exists()


def test_operators_retry_only_failed_deliveries(organisation, citizen, operator_client):
    broken = failed_delivery(citizen)
    waiting = notify(citizen, "notifications.test").deliveries.get()
    response = operator_client.post("/admin/notifications/delivery/", {
        "action": "retry", "_selected_action": [broken.pk, waiting.pk],
    }, follow=True)
    assert "1 envoi relancé" in response.content.decode()
    broken.refresh_from_db()
    assert broken.status == Delivery.Status.QUEUED
    assert broken.events.filter(kind=DeliveryEvent.Kind.RETRIED).count() == 1
    assert not waiting.events.filter(kind=DeliveryEvent.Kind.RETRIED).exists()


def test_the_admin_is_not_on_a_collectivites_host(organisation, org_admin):
    assert client_for(organisation, org_admin).get("/admin/notifications/delivery/").status_code == 404
    assert Client().get("/admin/notifications/delivery/").status_code == 302
