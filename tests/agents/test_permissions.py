"""Only the collectivité's own administrators reach its administration pages; other collectivités get 404."""

import pytest
from django.urls import reverse

from guichet.accounts.models import User
from guichet.agents import permissions
from guichet.agents.models import Service
from tests.conftest import client_for, host_of, make_service

LOGIN = reverse("agents:login")

ADMIN_PAGES = [
    ("agents:admin_home", False),
    ("agents:service_list", False),
    ("agents:service_create", False),
    ("agents:service_edit", "service"),
    ("agents:agent_list", False),
    ("agents:agent_create", False),
    ("agents:agent_edit", "agent"),
    ("agents:organisation_settings", False),
]


def url_of(name, needs, service, agent):
    if needs == "service":
        return reverse(name, args=[service.pk])
    if needs == "agent":
        return reverse(name, args=[agent.pk])
    return reverse(name)


@pytest.mark.parametrize(("name", "needs"), ADMIN_PAGES)
def test_administrator_reaches_every_page(admin_client_org, service, agent, name, needs):
    assert admin_client_org.get(url_of(name, needs, service, agent)).status_code == 200


@pytest.mark.parametrize(("name", "needs"), ADMIN_PAGES)
def test_anonymous_is_sent_to_the_agents_login(anonymous_client, service, agent, name, needs):
    response = anonymous_client.get(url_of(name, needs, service, agent))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.mark.parametrize(("name", "needs"), ADMIN_PAGES)
def test_citizen_agent_and_manager_are_refused(citizen_client, agent_client, organisation, manager, service, agent,
                                               name, needs):
    url = url_of(name, needs, service, agent)
    assert citizen_client.get(url).status_code == 403
    assert agent_client.get(url).status_code == 403
    assert client_for(organisation, manager).get(url).status_code == 403


@pytest.mark.parametrize(("name", "needs"), ADMIN_PAGES)
def test_other_collectivite_admin_session_is_anonymous_here(other_admin_client, organisation, service, agent,
                                                            name, needs):
    url = url_of(name, needs, service, agent)
    response = other_admin_client.get(url, HTTP_HOST=host_of(organisation))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("agents:service_edit", "get"), ("agents:service_edit", "post"), ("agents:service_toggle", "post"),
    ],
)
def test_another_collectivite_service_is_not_found(other_admin_client, service, name, method):
    response = getattr(other_admin_client, method)(reverse(name, args=[service.pk]), {"name": "Piraté", "slug": "pirate"})
    assert response.status_code == 404
    service.refresh_from_db()
    assert service.name == "État civil" and service.is_active


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("agents:agent_edit", "get"), ("agents:agent_edit", "post"), ("agents:agent_toggle", "post"),
        ("agents:agent_reset_totp", "post"), ("agents:agent_invite", "post"),
    ],
)
def test_another_collectivite_agent_is_not_found(other_admin_client, agent, name, method):
    response = getattr(other_admin_client, method)(
        reverse(name, args=[agent.pk]), {"first_name": "X", "last_name": "Y", "email": "x@example.org"}
    )
    assert response.status_code == 404
    agent.refresh_from_db()
    assert agent.first_name == "Dominique" and agent.is_active
    assert agent.totpdevice_set.exists()


def test_citizen_is_not_an_agent_to_edit(admin_client_org, citizen):
    assert admin_client_org.get(reverse("agents:agent_edit", args=[citizen.pk])).status_code == 404


def test_actions_refuse_plain_agents(agent_client, agent, org_admin, service):
    assert agent_client.post(reverse("agents:agent_toggle", args=[org_admin.pk])).status_code == 403
    assert agent_client.post(reverse("agents:service_toggle", args=[service.pk])).status_code == 403
    org_admin.refresh_from_db()
    service.refresh_from_db()
    assert org_admin.is_active and service.is_active


def test_service_manager_rules(organisation, manager, agent, service):
    other = make_service(organisation, "Scolaire", "scolaire")
    manager.is_verified = lambda: True
    agent.is_verified = lambda: True
    assert permissions.is_service_manager(manager)
    assert permissions.is_service_manager(manager, service)
    assert not permissions.is_service_manager(manager, other)
    assert not permissions.is_service_manager(agent, service)
    assert permissions.manages(manager, service)
    assert not permissions.manages(agent, service)
    Service.objects.filter(pk=service.pk).update(is_active=False)
    assert not permissions.is_service_manager(manager)


def test_unverified_manager_manages_nothing(manager, service):
    manager.is_verified = lambda: False
    assert not permissions.is_service_manager(manager, service)
    assert not permissions.manages(manager, service)
    assert User.objects.get(pk=manager.pk).is_agent
