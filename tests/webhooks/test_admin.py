"""Administrators' pages: subscriptions, secret shown once, test, delivery log, replay; permissions, isolation
and bad input."""

import pytest
from django.test import Client

from guichet.background.testing import run_ready_jobs
from guichet.webhooks import services
from guichet.webhooks.models import Delivery, Subscription
from tests.conftest import client_for, host_of, make_agent, make_service
from tests.workflows.conftest import make_version

from .conftest import subscribe

pytestmark = pytest.mark.django_db

BASE = "/agents/admin/webhooks/"


@pytest.fixture
def admin(organisation, org_admin):
    return client_for(organisation, org_admin)


@pytest.fixture
def montclair(other_organisation, receiver):
    admin = make_agent(other_organisation, email="admin.montclair@example.org", is_org_admin=True)
    subscription, _secret = subscribe(other_organisation, receiver.url, name="Montclair")
    delivery = services.send_ping(subscription)
    service = make_service(other_organisation, name="Voirie", slug="voirie")
    procedure = make_version(other_organisation, service, slug="voirie-montclair").procedure
    return {"admin": admin, "subscription": subscription, "delivery": delivery, "procedure": procedure}


def valid(**overrides):
    data = {"name": "Logiciel d'état civil", "url": "https://etat-civil.example.fr/guichet", "scope": "all",
            "events": ["request.created", "request.closed"], "is_active": "on"}
    data.update(overrides)
    return data


def test_create_shows_the_secret_once(admin, organisation):
    assert admin.get(BASE + "nouveau/").status_code == 200
    response = admin.post(BASE + "nouveau/", valid())
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.organisation == organisation and subscription.all_procedures
    assert subscription.events == ["request.created", "request.closed"]
    assert subscription.secret.startswith("gwhk_")
    assert subscription.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    for page in (BASE, BASE + f"{subscription.pk}/"):
        body = admin.get(page).content.decode()
        assert subscription.secret not in body
    assert subscription.secret[:8] in admin.get(BASE + f"{subscription.pk}/").content.decode()


def test_create_for_some_procedures(admin, organisation, version, service):
    other = make_version(organisation, service, slug="autre").procedure
    response = admin.post(BASE + "nouveau/", valid(scope="some", procedures=[version.procedure.pk, other.pk]))
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert not subscription.all_procedures
    assert set(subscription.procedures.all()) == {version.procedure, other}


@pytest.mark.parametrize("data, field, message", [
    (valid(url="ftp://example.fr/x"), "url", "http:// ou https://"),
    (valid(url="pas une adresse"), "url", "http:// ou https://"),
    (valid(url=""), "url", "Indiquez l&#x27;adresse"),
    (valid(events=[]), "events", "Choisissez au moins un événement."),
    (valid(events=["request.deleted"]), "events", "Choisissez parmi les événements proposés."),
    (valid(scope="some"), "procedures", "Choisissez au moins une démarche"),
    (valid(name=""), "name", "Donnez un nom"),
    (valid(scope="some", procedures=["abc"]), "procedures", "Choisissez parmi les démarches de la collectivité."),
])
def test_bad_input_french_errors(admin, data, field, message):
    response = admin.post(BASE + "nouveau/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert f'href="#id_{field}' in body
    assert 'aria-invalid="true"' in body or field == "events"
    assert not Subscription.objects.exists()


def test_another_collectivite_procedure_is_refused(admin, montclair):
    response = admin.post(BASE + "nouveau/", valid(scope="some", procedures=[montclair["procedure"].pk]))
    assert response.status_code == 400
    assert "Choisissez parmi les démarches de la collectivité." in response.content.decode()
    assert not Subscription.objects.filter(name="Logiciel d'état civil").exists()


def test_the_procedure_choices_are_the_collectivite_own(admin, organisation, version, montclair):
    body = admin.get(BASE + "nouveau/").content.decode()
    assert f'value="{version.procedure.pk}"' in body
    assert f'value="{montclair["procedure"].pk}"' not in body


def test_edit_deactivate_reactivate_delete(admin, organisation, receiver, version):
    subscription, _secret = subscribe(organisation, receiver.url)
    page = BASE + f"{subscription.pk}/"
    assert admin.get(page).status_code == 200
    response = admin.post(page, valid(name="Nouveau nom", url=receiver.url, scope="some",
                                      procedures=[version.procedure.pk], events=["message.posted"]))
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.name == "Nouveau nom" and subscription.events == ["message.posted"]
    assert not subscription.all_procedures and list(subscription.procedures.all()) == [version.procedure]
    assert admin.post(page, valid(url="javascript:alert(1)")).status_code == 400
    admin.post(page + "activation/", {"active": "0"})
    subscription.refresh_from_db()
    assert not subscription.is_active
    admin.post(page + "activation/", {"active": "1"})
    subscription.refresh_from_db()
    assert subscription.is_active
    assert admin.get(page + "supprimer/").status_code == 200
    assert admin.post(page + "supprimer/").status_code == 302
    assert not Subscription.objects.exists()


def test_renew_secret_shows_the_new_one(admin, organisation, receiver):
    subscription, old = subscribe(organisation, receiver.url)
    assert admin.get(BASE + f"{subscription.pk}/secret/").status_code == 405
    response = admin.post(BASE + f"{subscription.pk}/secret/")
    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.secret in response.content.decode()
    assert "Renouveler le secret" in admin.get(BASE + f"{subscription.pk}/").content.decode()


def test_test_button_sends_a_ping(admin, organisation, receiver):
    subscription, _secret = subscribe(organisation, receiver.url)
    response = admin.post(BASE + f"{subscription.pk}/tester/")
    delivery = Delivery.objects.get(event_type="ping")
    assert response.status_code == 302 and response["Location"] == BASE + f"envois/{delivery.pk}/"
    run_ready_jobs()
    body = admin.get(BASE + f"envois/{delivery.pk}/").content.decode()
    assert "Remis" in body and "200" in body and "ping" in body


def test_delivery_log_filters_and_queries(admin, organisation, receiver, django_assert_max_num_queries):
    first, _secret = subscribe(organisation, receiver.url, name="Premier")
    second, _secret = subscribe(organisation, receiver.url, name="Second")
    for _ in range(30):
        services.send_ping(first)
        services.send_ping(second)
    receiver.answer(500)
    run_ready_jobs()
    with django_assert_max_num_queries(10):
        response = admin.get(BASE + "envois/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 60
    assert len(response.context["page"].object_list) == 50
    with django_assert_max_num_queries(10):
        response = admin.get(BASE + "envois/", {"status": "failed", "event": "ping", "subscription": second.pk,
                                                "page": 1})
    assert response.context["page"].paginator.count == 30
    assert admin.get(BASE + "envois/", {"status": "delivered"}).context["page"].paginator.count == 0
    assert admin.get(BASE + "envois/", {"status": "nimporte"}).status_code == 400
    assert admin.get(BASE + "envois/", {"subscription": "abc"}).status_code == 400
    assert admin.get(BASE + "envois/", {"page": "9999"}).status_code == 200


def test_delivery_detail_and_replay(admin, organisation, receiver):
    subscription, _secret = subscribe(organisation, receiver.url)
    receiver.answer((500, 0, b"Erreur du logiciel"), 200)
    delivery = services.send_ping(subscription)
    run_ready_jobs()
    page = BASE + f"envois/{delivery.pk}/"
    body = admin.get(page).content.decode()
    assert "Erreur du logiciel" in body and "Rejouer" in body and "&quot;event&quot;: &quot;ping&quot;" in body
    assert admin.get(page + "rejouer/").status_code == 405
    response = admin.post(page + "rejouer/")
    assert response.status_code == 302
    run_ready_jobs()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.tries.count() == 2
    services.replay(delivery)
    response = admin.post(page + "rejouer/", follow=True)
    assert "déjà en file" in response.content.decode()


def test_replay_needs_the_csrf_token(organisation, org_admin, receiver):
    subscription, _secret = subscribe(organisation, receiver.url)
    delivery = services.send_ping(subscription)
    run_ready_jobs()
    client = client_for(organisation, org_admin)
    client.handler.enforce_csrf_checks = True
    assert client.post(BASE + f"envois/{delivery.pk}/rejouer/").status_code == 403
    assert delivery.tries.count() == 1


PAGES = ["", "nouveau/", "envois/"]


def test_non_administrators_are_refused(organisation, agent, citizen_client, receiver):
    subscription, _secret = subscribe(organisation, receiver.url)
    delivery = services.send_ping(subscription)
    agent_client = client_for(organisation, agent)
    for page in PAGES + [f"{subscription.pk}/", f"envois/{delivery.pk}/"]:
        assert agent_client.get(BASE + page).status_code == 403
        assert citizen_client.get(BASE + page).status_code == 403
        assert Client(HTTP_HOST=host_of(organisation)).get(BASE + page).status_code == 302
    for page in [f"{subscription.pk}/tester/", f"envois/{delivery.pk}/rejouer/", f"{subscription.pk}/supprimer/"]:
        assert agent_client.post(BASE + page).status_code == 403
    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_another_collectivite_objects_are_404(admin, montclair):
    subscription, delivery = montclair["subscription"], montclair["delivery"]
    for page in [f"{subscription.pk}/", f"{subscription.pk}/supprimer/", f"envois/{delivery.pk}/"]:
        assert admin.get(BASE + page).status_code == 404
    for page in [f"{subscription.pk}/", f"{subscription.pk}/secret/", f"{subscription.pk}/tester/",
                 f"{subscription.pk}/activation/", f"{subscription.pk}/supprimer/", f"envois/{delivery.pk}/rejouer/"]:
        assert admin.post(BASE + page, valid()).status_code == 404
    assert admin.get(BASE + "envois/").context["page"].paginator.count == 0
    assert "Montclair" not in admin.get(BASE).content.decode()
    assert admin.get(BASE + "envois/", {"subscription": subscription.pk}).status_code == 400
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.name == "Montclair"
    assert delivery.tries.count() == 0


def test_another_collectivite_admin_on_its_own_host_sees_nothing_of_ours(organisation, other_organisation,
                                                                        montclair, receiver):
    ours, _secret = subscribe(organisation, receiver.url, name="Saint-Aubin")
    client = client_for(other_organisation, montclair["admin"])
    assert client.get(BASE + f"{ours.pk}/").status_code == 404
    assert client.post(BASE + f"{ours.pk}/tester/").status_code == 404
    assert "Saint-Aubin" not in client.get(BASE).content.decode()


def test_huge_ids_are_404(admin):
    assert admin.get(BASE + f"{2**70}/").status_code == 404
    assert admin.get(BASE + f"envois/{2**70}/").status_code == 404


def test_pages_in_english(admin, organisation, receiver):
    subscription, _secret = subscribe(organisation, receiver.url)
    delivery = services.send_ping(subscription)
    admin.cookies["django_language"] = "en"
    assert "Outgoing webhooks" in admin.get(BASE).content.decode()
    assert "Choose at least one event." in admin.post(BASE + "nouveau/", valid(events=[])).content.decode()
    assert "Webhook delivery log" in admin.get(BASE + "envois/").content.decode()
    assert "Replay" not in admin.get(BASE + f"envois/{delivery.pk}/").content.decode()  # still queued


def test_subscription_list_queries(admin, organisation, receiver, version, django_assert_max_num_queries):
    for number in range(12):
        subscribe(organisation, receiver.url, name=f"Logiciel {number}",
                  procedures=[version.procedure] if number % 2 else None)
    with django_assert_max_num_queries(8):
        response = admin.get(BASE)
    body = response.content.decode()
    assert "Logiciel 11" in body and version.procedure.title in body
