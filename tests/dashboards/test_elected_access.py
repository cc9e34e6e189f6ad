"""An elected member (Membership role `elected`, read-only) sees dashboards, never the requests themselves: no row
in the queue, 404 on the request pages and on their files, no button to press."""

import pytest
from django.urls import reverse

from guichet.agents.models import Membership
from guichet.service_requests.agent_services import requests_for_agent
from guichet.service_requests.files import agent_may_see
from guichet.workflows import engine
from tests.conftest import client_for, make_agent
from tests.documents.builders import request_with_attachment

pytestmark = pytest.mark.django_db


def verified(user):
    """As the OTP middleware leaves a signed-in agent who passed their second factor."""
    user.is_verified = lambda: True
    return user


@pytest.fixture
def elected(organisation, service):
    return verified(make_agent(organisation, email="elu@example.org", services=[service],
                               role=Membership.Role.ELECTED))


def test_an_elected_member_sees_no_request_of_their_remit(organisation, service, citizen, elected, agent):
    verified(agent)
    service_request, attachment = request_with_attachment(organisation, service, citizen)
    assert list(requests_for_agent(elected, organisation)) == []
    assert list(requests_for_agent(agent, organisation)) == [service_request]
    assert not agent_may_see(elected, service_request) and agent_may_see(agent, service_request)
    assert engine.available_buttons(service_request, elected) == []

    client = client_for(organisation, elected)
    queue = client.get(reverse("agent_requests:list"))
    assert queue.status_code == 200
    assert list(queue.context["page"].object_list) == []
    assert service_request.tracking_code not in queue.content.decode()
    for url in (
        reverse("agent_requests:detail", args=[service_request.tracking_code]),
        reverse("attachments:download", args=[attachment.pk]),
    ):
        assert client.get(url).status_code == 404, url
    note = client.post(reverse("agent_requests:note", args=[service_request.tracking_code]), {"text": "Vu"})
    assert note.status_code == 404
    assert not service_request.events.filter(kind="note").exists()


def test_a_manager_and_an_agent_of_the_service_still_see_them(organisation, service, citizen):
    service_request, _attachment = request_with_attachment(organisation, service, citizen)
    manager = verified(make_agent(organisation, email="chef@example.org", services=[service],
                                  role=Membership.Role.MANAGER))
    assert list(requests_for_agent(manager, organisation)) == [service_request]
    response = client_for(organisation, manager).get(
        reverse("agent_requests:detail", args=[service_request.tracking_code]))
    assert response.status_code == 200
