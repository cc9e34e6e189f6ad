"""Assignment and priority on the agent's request page (panel of guichet.queues): events, notification of the
assigned colleague, stale pages refused, wrong users and wrong collectivité."""

import html

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from guichet.agents.models import Membership
from guichet.notifications.models import Notification
from guichet.queues import services
from guichet.service_requests.models import RequestEvent, ServiceRequest
from tests.conftest import client_for, make_agent

from .conftest import days, new_request


def text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def service_request(version, citizen):
    return new_request(version, citizen, deadline=days(2))


def detail(service_request):
    return f"/agents/demandes/{service_request.tracking_code}/"


def assign_url(service_request):
    return f"/agents/files/demandes/{service_request.tracking_code}/attribution/"


def priority_url(service_request):
    return f"/agents/files/demandes/{service_request.tracking_code}/priorite/"


def post_assign(client, service_request, assignee, lock_version=None):
    return client.post(assign_url(service_request), {
        "attribution-assignee": assignee,
        "attribution-lock_version": service_request.lock_version if lock_version is None else lock_version,
    }, follow=True)


def events(service_request, kind):
    return list(RequestEvent.objects.filter(request=service_request, kind=kind).order_by("pk"))


def test_the_panel_shows_priority_deadline_and_assignment_with_their_forms(organisation, agent, colleague,
                                                                          service_request):
    page = text(client_for(organisation, agent).get(detail(service_request)))
    assert "Priorité et attribution" in page and 'deadline-due_soon">Bientôt due' in page
    assert "M'attribuer la demande" in page
    assert f'<option value="{colleague.pk}">Claude Collègue</option>' in page
    assert '<option value="nobody">Personne (retirer l\'attribution)</option>' in page
    assert '<option value="2" selected>Normale</option>' in page
    assert f'name="priorite-lock_version" value="{service_request.lock_version}"' in page


def test_assign_to_me_then_to_a_colleague_then_to_nobody(organisation, agent, colleague, service_request):
    client = client_for(organisation, agent)
    response = post_assign(client, service_request, "me")
    assert "La demande est attribuée à Dominique Agent." in text(response)
    service_request.refresh_from_db()
    assert service_request.assigned_to == agent
    assert not Notification.objects.filter(recipient=agent).exists()  # nobody tells themselves

    response = post_assign(client, service_request, str(colleague.pk))
    service_request.refresh_from_db()
    assert service_request.assigned_to == colleague and "attribuée à Claude Collègue" in text(response)
    notification = Notification.objects.get(recipient=colleague, key="message.free")
    assert service_request.tracking_code in notification.subject
    assert "Dominique Agent vous a attribué la demande" in notification.body
    assert notification.link == detail(service_request)

    response = post_assign(client, service_request, "nobody")
    service_request.refresh_from_db()
    assert service_request.assigned_to is None and "n'est plus attribuée à personne" in text(response)
    assigned = events(service_request, RequestEvent.Kind.ASSIGNED)
    assert [event.data["agent"] for event in assigned] == [agent.pk, colleague.pk, None]
    assert all(event.actor == agent and not event.visible_to_citizen for event in assigned)
    assert service_request.lock_version == 4  # started (1) + three changes


def test_a_stale_page_is_refused_and_nothing_is_overwritten(organisation, agent, colleague, service_request):
    stale = service_request.lock_version
    services.assign(service_request, colleague, colleague)  # the colleague took it meanwhile
    response = post_assign(client_for(organisation, agent), service_request, "me", lock_version=stale)
    assert "La demande a changé entre-temps" in text(response)
    service_request.refresh_from_db()
    assert service_request.assigned_to == colleague
    assert len(events(service_request, RequestEvent.Kind.ASSIGNED)) == 1
    response = client_for(organisation, agent).post(priority_url(service_request), {
        "priorite-priority": "4", "priorite-lock_version": stale}, follow=True)
    assert "La demande a changé entre-temps" in text(response)
    service_request.refresh_from_db()
    assert service_request.priority == 2


def test_bad_assignment_input_changes_nothing(organisation, agent, voirie, service_request):
    outsider = make_agent(organisation, email="voirie@example.org", services=[voirie])
    client = client_for(organisation, agent)
    for value in (str(outsider.pk), "abc", ""):
        response = post_assign(client, service_request, value)
        assert "L'attribution n'a pas été faite : Sélectionnez un choix valide" in text(response) or (
            value == "" and "Ce champ est obligatoire" in text(response))
    response = client.post(assign_url(service_request), {"attribution-assignee": "me"}, follow=True)
    assert "L'attribution n'a pas été faite" in text(response)
    assert "déjà attribuée" not in text(response)
    with pytest.raises(services.QueueActionRefused, match="ne fait pas partie du service"):
        services.assign(service_request, agent, outsider)
    post_assign(client, service_request, "me")
    service_request.refresh_from_db()
    response = post_assign(client, service_request, "me")
    assert "La demande est déjà attribuée à Dominique Agent." in text(response)
    assert len(events(service_request, RequestEvent.Kind.ASSIGNED)) == 1


def test_priority_changes_are_traced_and_bad_values_refused(organisation, agent, service_request):
    client = client_for(organisation, agent)
    response = client.post(priority_url(service_request), {
        "priorite-priority": "4", "priorite-lock_version": service_request.lock_version}, follow=True)
    assert "La priorité est maintenant « Urgente »." in text(response)
    service_request.refresh_from_db()
    assert service_request.priority == 4
    event = events(service_request, RequestEvent.Kind.PRIORITY_CHANGED)[0]
    assert event.text == "Priorité : Normale → Urgente." and event.data == {"from": 2, "to": 4}
    for value in ("9", "abc", "0"):
        response = client.post(priority_url(service_request), {
            "priorite-priority": value, "priorite-lock_version": service_request.lock_version}, follow=True)
        assert "La priorité n'a pas changé : Sélectionnez un choix valide" in text(response)
    response = client.post(priority_url(service_request), {
        "priorite-priority": "4", "priorite-lock_version": service_request.lock_version}, follow=True)
    assert "La priorité est déjà « Urgente »." in text(response)
    assert len(events(service_request, RequestEvent.Kind.PRIORITY_CHANGED)) == 1
    # The detail page's timeline shows it.
    assert "Priorité modifiée" in text(client.get(detail(service_request)))


def test_a_closed_request_is_no_longer_assigned_nor_reprioritised(organisation, agent, service_request):
    ServiceRequest.objects.filter(pk=service_request.pk).update(closed_at=timezone.now())
    service_request.refresh_from_db()
    client = client_for(organisation, agent)
    page = text(client.get(detail(service_request)))
    assert "Priorité et attribution" in page and "M'attribuer la demande" not in page
    response = post_assign(client, service_request, "me")
    assert "Cette demande est close" in text(response)
    service_request.refresh_from_db()
    assert service_request.assigned_to is None


def test_wrong_users_get_404_or_403(organisation, other_organisation, service, voirie, service_request, citizen):
    outsider = make_agent(organisation, email="voirie@example.org", services=[voirie])
    elected = make_agent(organisation, email="elu@example.org", services=[service], role=Membership.Role.ELECTED)
    montclair = make_agent(other_organisation, email="agent@montclair.example.org", is_org_admin=True)
    for user in (outsider, elected):
        client = client_for(organisation, user)
        assert post_assign(client, service_request, "me").status_code == 404
        assert client.post(priority_url(service_request), {
            "priorite-priority": "4", "priorite-lock_version": service_request.lock_version}).status_code == 404
    assert client_for(other_organisation, montclair).post(assign_url(service_request), {
        "attribution-assignee": "nobody", "attribution-lock_version": 1}).status_code == 404
    assert client_for(organisation, citizen).post(assign_url(service_request), {}).status_code == 403
    assert client_for(organisation, make_agent(organisation, email="x@example.org", services=[service])).get(
        assign_url(service_request)).status_code == 405
    service_request.refresh_from_db()
    assert service_request.assigned_to is None and service_request.priority == 2
    assert not events(service_request, RequestEvent.Kind.ASSIGNED)
    # An elected member's read-only role never acts, even through the service function.
    with pytest.raises(PermissionDenied):
        services.assign(service_request, elected, None)


def test_an_org_admin_assigns_to_an_agent_of_the_service(organisation, org_admin, agent, service_request):
    page = text(client_for(organisation, org_admin).get(detail(service_request)))
    assert "M'attribuer la demande" not in page  # not a member of the service
    response = post_assign(client_for(organisation, org_admin), service_request, str(agent.pk))
    assert "La demande est attribuée à Dominique Agent." in text(response)
    assert Notification.objects.filter(recipient=agent, key="message.free").count() == 1
