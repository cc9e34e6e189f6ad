"""Reopening: the citizen asks within two months, the service accepts (back to a non-final status, a new answer
needed) or refuses with a reason; the citizen is told either way. Bad input, wrong users, double POSTs."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from guichet.agents.models import Membership
from guichet.background.testing import run_ready_jobs
from guichet.notifications.models import Notification
from guichet.satisfaction import services
from guichet.satisfaction.models import Rating, ReopenRequest
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.workflows import engine
from tests.conftest import client_for, make_agent, make_citizen, make_service

from .conftest import (
    accept_url, agent_page, citizen_page, close, decide_url, follow_in_session, refuse_url, reopen_url, text,
)

pytestmark = pytest.mark.django_db


def ask(service_request, citizen, reason="Le trou est revenu après la pluie."):
    return services.ask_reopen(service_request, citizen, reason)


def test_the_citizen_asks_to_reopen_and_the_service_is_told(closed_request, citizen_client, agent, service,
                                                           organisation):
    manager = make_agent(organisation, email="chef@example.org", services=[service], role=Membership.Role.MANAGER)
    elected = make_agent(organisation, email="elu@example.org", services=[service], role=Membership.Role.ELECTED)
    page = text(citizen_client.get(citizen_page(closed_request)))
    assert "La réponse ne vous convient pas ?" in page and '<label for="id_reouverture-reason">' in page
    response = citizen_client.post(reopen_url(closed_request), {"reouverture-reason": "Le trou est revenu."})
    assert response.status_code == 302 and response.url.endswith("#reouverture")
    reopen = ReopenRequest.objects.get()
    assert (reopen.state, reopen.reason, reopen.requested_by, reopen.closed_at) == (
        "pending", "Le trou est revenu.", closed_request.citizen, closed_request.closed_at)
    event = closed_request.events.get(kind=RequestEvent.Kind.REOPEN_REQUESTED)
    assert event.visible_to_citizen and event.text == "Le trou est revenu."
    told = set(Notification.objects.filter(key="request.citizen_message").values_list("recipient__email", flat=True))
    assert told == {agent.email, manager.email}  # the elected member is not one of the service's agents
    assert elected.email not in told
    assert "Demande de réouverture : Le trou est revenu." in Notification.objects.filter(recipient=agent).get().body
    page = text(citizen_client.get(citizen_page(closed_request)))
    assert "En attente de la décision du service" in page and 'name="reouverture-reason"' not in page


@pytest.mark.parametrize("reason, message", [
    ("", "Expliquez pourquoi la réponse ne vous convient pas."),
    ("   ", "Expliquez pourquoi la réponse ne vous convient pas."),
    ("x" * 2001, "Ce texte est trop long : 2000 caractères au plus (il en compte 2001)."),
])
def test_the_reason_is_required_and_limited(closed_request, citizen_client, reason, message):
    response = citizen_client.post(reopen_url(closed_request), {"reouverture-reason": reason})
    assert response.status_code == 400
    assert message in text(response)
    assert 'aria-describedby' in text(response)
    assert not ReopenRequest.objects.exists()
    assert not closed_request.events.filter(kind=RequestEvent.Kind.REOPEN_REQUESTED).exists()


def test_within_two_months_of_the_closing_only(closed_request, citizen, citizen_client):
    closed_at = timezone.make_aware(datetime.datetime(2026, 8, 31, 10, 0))
    ServiceRequest.objects.filter(pk=closed_request.pk).update(closed_at=closed_at)
    closed_request.refresh_from_db()
    assert services.reopen_deadline(closed_at) == timezone.make_aware(datetime.datetime(2026, 10, 31, 10, 0))
    with pytest.raises(services.SatisfactionRefused) as late:
        services.ask_reopen(closed_request, citizen, "Trop tard ?", now=closed_at + datetime.timedelta(days=62))
    assert "jusqu'au 31 octobre 2026" in late.value.message
    assert not ReopenRequest.objects.exists()
    services.ask_reopen(closed_request, citizen, "Juste à temps", now=closed_at + datetime.timedelta(days=60))
    assert ReopenRequest.objects.count() == 1


def test_past_two_months_the_page_says_so(closed_request, citizen_client):
    ServiceRequest.objects.filter(pk=closed_request.pk).update(closed_at=timezone.now() - datetime.timedelta(days=70))
    page = text(citizen_client.get(citizen_page(closed_request)))
    assert "Le délai pour demander la réouverture a pris fin" in page and 'name="reouverture-reason"' not in page
    response = citizen_client.post(reopen_url(closed_request), {"reouverture-reason": "Encore"})
    assert response.status_code == 400 and "deux mois après la clôture" in text(response)
    assert not ReopenRequest.objects.exists()


def test_reopening_is_asked_once_per_closing(closed_request, citizen, citizen_client):
    assert citizen_client.post(reopen_url(closed_request), {"reouverture-reason": "Une fois"}).status_code == 302
    response = citizen_client.post(reopen_url(closed_request), {"reouverture-reason": "Deux fois"}, follow=True)
    assert "Vous avez déjà demandé la réouverture de cette demande." in text(response)
    assert list(ReopenRequest.objects.values_list("reason", flat=True)) == ["Une fois"]


def test_an_open_request_cannot_be_reopened(version, citizen, citizen_client):
    from tests.documents.builders import make_request

    open_request = make_request(version, citizen=citizen)
    response = citizen_client.post(reopen_url(open_request), {"reouverture-reason": "Pourquoi pas"})
    assert response.status_code == 400 and "n'est pas close" in text(response)
    assert not ReopenRequest.objects.exists()


def test_only_its_citizen_asks(organisation, closed_request, service):
    stranger = make_citizen(organisation, email="voisin@example.org")
    data = {"reouverture-reason": "Moi aussi"}
    assert client_for(organisation, stranger).post(reopen_url(closed_request), data).status_code == 404
    assert client_for(organisation).post(reopen_url(closed_request), data).status_code == 404
    with pytest.raises(PermissionDenied):
        services.ask_reopen(closed_request, stranger, "Moi aussi")
    assert not ReopenRequest.objects.exists()


# --- the service decides ---------------------------------------------------------------------------------------


def test_the_service_accepts_the_request_goes_back_and_needs_a_new_answer(closed_request, citizen, agent,
                                                                          agent_client, citizen_client):
    services.rate(closed_request, citizen, 1, "Rien n'a changé")
    reopen = ask(closed_request, citizen)
    page = text(agent_client.get(agent_page(closed_request)))
    assert "Le trou est revenu après la pluie." in page and "Rouvrir la demande" in page
    # The statuses offered are the non-final ones of the request's workflow.
    assert '<option value="recue">Reçue</option>' in page and '<option value="instruction">' in page
    assert '<option value="acceptee">' not in page and '<option value="refusee">' not in page

    response = agent_client.post(accept_url(reopen), {
        f"reouverture-{reopen.pk}-accepter-status": "instruction",
        f"reouverture-{reopen.pk}-accepter-note": "Une équipe repasse cette semaine.",
    })
    assert response.status_code == 302 and response.url.endswith("#satisfaction")
    closed_request.refresh_from_db()
    assert closed_request.status == "instruction"
    assert closed_request.closed_at is None and closed_request.answered_at is None
    reopen.refresh_from_db()
    assert (reopen.state, reopen.status_to, reopen.decided_by, reopen.decision_text) == (
        "accepted", "instruction", agent, "Une équipe repasse cette semaine.")
    kinds = list(closed_request.events.order_by("at", "pk").values_list("kind", flat=True))
    assert kinds[-3:] == ["reopened", "status_changed", "notification"]
    told = Notification.objects.get(recipient=citizen, key="request.reopen_decision")
    assert "rouverte" in told.subject and "Le service a rouvert votre demande" in told.body
    assert "Une équipe repasse cette semaine." in told.body
    assert "Demande rouverte" in text(citizen_client.get(citizen_page(closed_request)))

    # The next final status needs a new written answer (guichet.answers' rule in the engine).
    with pytest.raises(engine.WorkflowError):
        engine.enter_status(closed_request, "acceptee", agent)
    closed_request.refresh_from_db()
    assert closed_request.closed_at is None
    close(closed_request, agent, answer="L'équipe a rebouché le trou avec de l'enrobé.")
    services.rate(closed_request, citizen, 5)
    assert Rating.objects.count() == 2


def test_the_service_refuses_with_a_reason(closed_request, citizen, agent, agent_client, citizen_client):
    reopen = ask(closed_request, citizen)
    prefix = f"reouverture-{reopen.pk}-refuser"
    response = agent_client.post(refuse_url(reopen), {f"{prefix}-reason": ""})
    assert response.status_code == 400
    assert "Expliquez à l'usager pourquoi la demande n'est pas rouverte." in text(response)
    reopen.refresh_from_db()
    assert reopen.is_pending

    response = agent_client.post(refuse_url(reopen), {f"{prefix}-reason": "Ce trottoir relève du département."})
    assert response.status_code == 302
    reopen.refresh_from_db()
    closed_request.refresh_from_db()
    assert reopen.state == "refused" and reopen.decision_text == "Ce trottoir relève du département."
    assert closed_request.closed_at is not None and closed_request.status == "acceptee"
    event = closed_request.events.get(kind=RequestEvent.Kind.REOPEN_REFUSED)
    assert event.visible_to_citizen and event.actor == agent
    told = Notification.objects.get(recipient=citizen, key="request.reopen_decision")
    assert "réouverture refusée" in told.subject and "Le service n'a pas rouvert votre demande" in told.body
    assert "Ce trottoir relève du département." in told.body
    page = text(citizen_client.get(citizen_page(closed_request)))
    assert "Refusée" in page and "Ce trottoir relève du département." in page


@pytest.mark.parametrize("status", ["", "acceptee", "inconnu"])
def test_accepting_needs_a_non_final_status_of_the_workflow(closed_request, citizen, agent_client, status):
    reopen = ask(closed_request, citizen)
    response = agent_client.post(accept_url(reopen), {f"reouverture-{reopen.pk}-accepter-status": status})
    assert response.status_code == 400
    assert "Choisissez le statut où reprend le traitement de la demande." in text(response)
    closed_request.refresh_from_db()
    reopen.refresh_from_db()
    assert closed_request.closed_at is not None and reopen.is_pending
    with pytest.raises(services.SatisfactionRefused):
        services.accept_reopen(reopen, closed_request.service.memberships.first().user, "acceptee")


def test_a_double_post_decides_once(closed_request, citizen, agent_client):
    reopen = ask(closed_request, citizen)
    data = {f"reouverture-{reopen.pk}-accepter-status": "recue"}
    assert agent_client.post(accept_url(reopen), data).status_code == 302
    response = agent_client.post(accept_url(reopen), data, follow=True)
    assert "Cette demande de réouverture a déjà été traitée" in text(response)
    refused = agent_client.post(refuse_url(reopen), {f"reouverture-{reopen.pk}-refuser-reason": "Non"}, follow=True)
    assert "déjà été traitée" in text(refused)
    assert closed_request.events.filter(kind=RequestEvent.Kind.REOPENED).count() == 1
    assert not closed_request.events.filter(kind=RequestEvent.Kind.REOPEN_REFUSED).exists()
    assert Notification.objects.filter(key="request.reopen_decision").count() == 1


def test_who_may_decide(organisation, closed_request, citizen, service):
    reopen = ask(closed_request, citizen)
    other_service = make_service(organisation, name="Urbanisme", slug="urbanisme")
    elsewhere = make_agent(organisation, email="urba@example.org", services=[other_service])
    elected = make_agent(organisation, email="elu@example.org", services=[service], role=Membership.Role.ELECTED)
    data = {f"reouverture-{reopen.pk}-accepter-status": "recue"}
    for user in (elsewhere, elected):
        client = client_for(organisation, user)
        assert client.get(decide_url(reopen)).status_code == 404
        assert client.post(accept_url(reopen), data).status_code == 404
        assert client.post(refuse_url(reopen), {f"reouverture-{reopen.pk}-refuser-reason": "Non"}).status_code == 404
    assert client_for(organisation, citizen).post(accept_url(reopen), data).status_code == 403
    assert client_for(organisation).post(accept_url(reopen), data).status_code == 302  # to the agents' sign-in
    for user in (elsewhere, elected):
        with pytest.raises(PermissionDenied):
            services.accept_reopen(reopen, user, "recue")
        with pytest.raises(PermissionDenied):
            services.refuse_reopen(reopen, user, "Non")
    reopen.refresh_from_db()
    assert reopen.is_pending
    manager = make_agent(organisation, email="chef@example.org", services=[service], role=Membership.Role.MANAGER)
    assert client_for(organisation, manager).get(decide_url(reopen)).status_code == 200


def test_the_org_admin_decides_too(closed_request, citizen, admin_client_org):
    reopen = ask(closed_request, citizen)
    response = admin_client_org.post(refuse_url(reopen), {f"reouverture-{reopen.pk}-refuser-reason": "Déjà fait."})
    assert response.status_code == 302
    reopen.refresh_from_db()
    assert reopen.state == "refused"


def test_a_reopening_request_of_another_request_is_not_found(closed_request, version, citizen, agent, agent_client):
    from tests.documents.builders import make_request

    reopen = ask(closed_request, citizen)
    other = close(make_request(version, citizen=citizen), agent)
    url = accept_url(reopen).replace(closed_request.tracking_code, other.tracking_code)
    assert agent_client.post(url, {f"reouverture-{reopen.pk}-accepter-status": "recue"}).status_code == 404
    reopen.refresh_from_db()
    assert reopen.is_pending


def test_the_decision_reaches_an_anonymous_submitter_by_email(organisation, anonymous_closed_request, agent):
    client = client_for(organisation)
    follow_in_session(client, anonymous_closed_request)
    assert client.post(reopen_url(anonymous_closed_request), {"reouverture-reason": "Toujours là"}).status_code == 302
    reopen = ReopenRequest.objects.get()
    assert reopen.requested_by is None
    run_ready_jobs()
    mail.outbox.clear()
    services.accept_reopen(reopen, agent, "recue", "Nous revenons.")
    run_ready_jobs()
    assert [message.to for message in mail.outbox] == [["alex.dupont@example.org"]]
    assert "Le service a rouvert votre demande" in mail.outbox[0].body and "Nous revenons." in mail.outbox[0].body


def test_a_request_no_longer_closed_cannot_be_reopened_from_an_old_request(closed_request, citizen, agent):
    reopen = ask(closed_request, citizen)
    engine.enter_status(closed_request, "recue", agent, reason="Rouverte autrement")
    with pytest.raises(services.SatisfactionRefused) as refused:
        services.accept_reopen(reopen, agent, "instruction")
    assert "n'est plus close" in refused.value.message
    services.refuse_reopen(reopen, agent, "Déjà rouverte par le service.")
    reopen.refresh_from_db()
    assert reopen.state == "refused"


def test_the_decision_page_keeps_what_was_typed(closed_request, citizen, agent_client):
    reopen = ask(closed_request, citizen)
    prefix = f"reouverture-{reopen.pk}-accepter"
    response = agent_client.post(accept_url(reopen), {f"{prefix}-status": "", f"{prefix}-note": "Mon brouillon"})
    assert response.status_code == 400
    page = text(response)
    assert "\nMon brouillon</textarea>" in page and 'id="error-summary"' in page
    assert agent_client.get(accept_url(reopen)).status_code == 405
