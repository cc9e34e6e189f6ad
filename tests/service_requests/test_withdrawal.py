"""The citizen withdraws a request not yet processed: confirmation page with an optional reason, the request
closed and « Retirée » on both sides, its timers gone, the service told; refused once processed, closed, answered,
merged or withdrawn already; wrong users get 404."""

import pytest
from django.utils import timezone

from guichet.notifications.models import Notification
from guichet.service_requests import messaging, withdrawal
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.workflows import engine
from guichet.workflows.models import PendingTimer
from tests.conftest import client_for, make_agent, make_citizen, make_service

from .citizen_side import anonymous_request, sent_request, timed_procedure
from .conftest import text


def url(item, action="retirer/"):
    return f"/demandes/{item.tracking_code}/{action}"


def test_withdrawing_a_request_just_received(organisation, citizen, citizen_client, agent, service):
    procedure = timed_procedure(organisation, service)
    item = sent_request(procedure, citizen)
    assert PendingTimer.objects.filter(request=item).count() == 1
    lock_version = item.lock_version
    page = text(citizen_client.get(url(item, "")))
    assert "Retirer ma demande" in page and f'href="/demandes/{item.tracking_code}/retirer/"' in page
    page = text(citizen_client.get(url(item)))
    assert "Confirmer le retrait" in page and "Motif (facultatif)" in page
    response = citizen_client.post(url(item), {"reason": "Le problème est réglé."})
    assert response.status_code == 302 and response.url == url(item, "")
    item.refresh_from_db()
    assert item.withdrawn_at is not None and item.closed_at == item.withdrawn_at
    assert item.lock_version == lock_version + 1 and not item.waiting_for_citizen
    assert not PendingTimer.objects.filter(request=item).exists()
    event = item.events.get(kind=RequestEvent.Kind.WITHDRAWN)
    assert event.visible_to_citizen and event.actor == citizen and event.text == "Le problème est réglé."
    notice = Notification.objects.get(recipient=agent, key="request.withdrawn")
    assert "Le problème est réglé." in notice.body and item.tracking_code in notice.subject
    # « Retirée » for the citizen, on the request and in « Mes demandes »; no more link to withdraw or to write.
    page = text(citizen_client.get(url(item, "")))
    assert "Votre demande est retirée. Le service en est informé." in page
    assert "Retirée" in page and "Vous avez retiré cette demande le" in page and "Motif indiqué : Le problème" in page
    assert "Vous avez retiré votre demande" in page  # in the history
    assert "Retirer ma demande" not in page
    assert "Retirée" in text(citizen_client.get("/compte/demandes/"))
    # For the agents: « Retirée par l'usager », no workflow button, no message form; a stale button press fails.
    agent_client = client_for(organisation, agent)
    agent_page = text(agent_client.get(f"/agents/demandes/{item.tracking_code}/"))
    assert "Retirée par l'usager le" in agent_page
    assert "Traiter la demande" not in agent_page and "Envoyer le message à l'usager" not in agent_page
    assert engine.available_buttons(item, agent) == []
    response = agent_client.post(f"/agents/demandes/{item.tracking_code}/actions/instruire/",
                                 {"bouton-instruire-lock_version": lock_version})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "recue" and not item.events.filter(kind="status_changed", status_to="instruction").exists()
    # Timers due later never move it.
    assert engine.run_timers(now=timezone.now() + timezone.timedelta(days=60)) == 0


def test_a_request_waiting_for_the_citizen_may_be_withdrawn(citizen, citizen_client, agent, procedure):
    item = sent_request(procedure, citizen)
    engine.press(item, "completer", agent, form_data={"message": "Joignez un justificatif."})
    item.refresh_from_db()
    assert item.waiting_for_citizen and withdrawal.may_withdraw(item)
    assert citizen_client.post(url(item), {"reason": ""}).status_code == 302
    item.refresh_from_db()
    assert item.is_withdrawn and not item.waiting_for_citizen and item.information_request == ""
    assert item.events.get(kind="withdrawn").text == ""
    # The request for information can no longer be answered.
    response = citizen_client.get(url(item, "complement/"))
    assert response.status_code == 302


def _processed(procedure, citizen, agent):
    item = sent_request(procedure, citizen)
    engine.press(item, "instruire", agent)
    return ServiceRequest.objects.get(pk=item.pk)


def _answered(procedure, citizen, agent):
    item = sent_request(procedure, citizen)
    messaging.post_agent_message(item, agent, "Votre acte est en route.", answer=True)
    return ServiceRequest.objects.get(pk=item.pk)


def _closed(procedure, citizen, agent):
    item = _answered(procedure, citizen, agent)
    engine.press(item, "instruire", agent)
    engine.press(ServiceRequest.objects.get(pk=item.pk), "accepter", agent)
    return ServiceRequest.objects.get(pk=item.pk)


def _merged(procedure, citizen, agent):
    main = sent_request(procedure, citizen)
    item = sent_request(procedure, citizen)
    ServiceRequest.objects.filter(pk=item.pk).update(merged_into=main)
    return ServiceRequest.objects.get(pk=item.pk)


@pytest.mark.parametrize("make, expected", [
    (_processed, "Le service a commencé à traiter cette demande"),
    (_answered, "Le service vous a déjà répondu"),
    (_closed, "Cette demande est close"),
    (_merged, "Cette demande est regroupée avec une autre"),
])
def test_withdrawal_is_refused_once_processed(citizen, citizen_client, agent, procedure, make, expected):
    item = make(procedure, citizen, agent)
    before = (item.withdrawn_at, item.closed_at, item.lock_version, item.events.exclude(kind="viewed").count())
    assert expected in withdrawal.refusal(item)
    assert "Retirer ma demande" not in text(citizen_client.get(url(item, "")))
    for response in (citizen_client.get(url(item), follow=True), citizen_client.post(url(item), {}, follow=True)):
        assert response.redirect_chain[-1][0] == url(item, "") and expected in text(response)
    with pytest.raises(withdrawal.WithdrawalRefused):
        withdrawal.withdraw(item, citizen)
    item.refresh_from_db()
    assert (item.withdrawn_at, item.closed_at, item.lock_version, item.events.exclude(kind="viewed").count()) == before
    assert not Notification.objects.filter(key="request.withdrawn").exists()


def test_withdrawing_twice_or_with_a_double_click_withdraws_once(citizen, citizen_client, agent, procedure):
    item = sent_request(procedure, citizen)
    assert citizen_client.post(url(item), {"reason": "Doublon"}).status_code == 302
    response = citizen_client.post(url(item), {"reason": "Doublon"}, follow=True)
    assert "Vous avez déjà retiré cette demande." in text(response)
    assert item.events.filter(kind="withdrawn").count() == 1
    assert Notification.objects.filter(key="request.withdrawn").count() == 1
    with pytest.raises(withdrawal.WithdrawalRefused) as refused:
        withdrawal.withdraw(item, citizen)
    assert refused.value.already


def test_a_too_long_reason_is_refused_and_kept(citizen, citizen_client, procedure):
    item = sent_request(procedure, citizen)
    reason = "Parce que " * 101
    response = citizen_client.post(url(item), {"reason": reason})
    page = text(response)
    assert response.status_code == 400 and "Le motif est trop long : 1000 caractères au plus" in page
    assert reason.strip() in page
    item.refresh_from_db()
    assert item.withdrawn_at is None and item.closed_at is None
    with pytest.raises(withdrawal.WithdrawalRefused):
        withdrawal.withdraw(item, citizen, reason)


def test_wrong_users_get_404(organisation, other_organisation, citizen, agent, procedure, org_admin):
    item = sent_request(procedure, citizen)
    neighbour = make_citizen(organisation, email="voisin@example.org")
    outsider = make_agent(organisation, email="voirie@example.org",
                          services=[make_service(organisation, "Voirie", "voirie")])
    far = make_citizen(other_organisation)
    clients = [client_for(organisation, neighbour), client_for(organisation, agent), client_for(organisation, outsider),
               client_for(organisation, org_admin), client_for(organisation), client_for(other_organisation, far)]
    for client in clients:
        assert client.get(url(item)).status_code == 404
        assert client.post(url(item), {"reason": "Piratage"}).status_code == 404
    item.refresh_from_db()
    assert item.withdrawn_at is None and not item.events.filter(kind="withdrawn").exists()


def test_an_anonymous_submitter_withdraws_theirs(organisation, agent, open_procedure):
    submitter = client_for(organisation)
    item = anonymous_request(submitter, open_procedure)
    assert client_for(organisation).post(url(item), {}).status_code == 404  # another browser
    assert submitter.post(url(item), {"reason": "Réparé par un voisin"}).status_code == 302
    item.refresh_from_db()
    assert item.is_withdrawn and item.events.get(kind="withdrawn").actor is None
    assert Notification.objects.filter(recipient=agent, key="request.withdrawn").count() == 1
    assert "Retirée" in text(submitter.get(url(item, "")))


def test_a_draft_is_deleted_not_withdrawn(citizen_client, procedure):
    from .conftest import start

    draft = start(citizen_client, procedure)
    response = citizen_client.post(url(draft), {})
    assert response.status_code == 302 and "/page/" in response.url
    draft.refresh_from_db()
    assert draft.withdrawn_at is None


@pytest.mark.django_db(transaction=True)
def test_withdrawal_and_an_agents_action_at_the_same_time(organisation, service, citizen, agent, procedure):
    """One of them wins, the other is refused; never a withdrawn request that the service moved on."""
    import threading

    from django.db import connection

    item = sent_request(procedure, citizen)
    copies = [ServiceRequest.objects.select_related("version").get(pk=item.pk) for _ in range(2)]
    threaded = connection.vendor == "postgresql"  # SQLite's in-memory test database cannot wait on a lock
    barrier = threading.Barrier(2)
    outcomes = {}

    def run(name, action):
        try:
            if threaded:
                barrier.wait(timeout=10)
            action()
            outcomes[name] = "ok"
        except (withdrawal.WithdrawalRefused, engine.WorkflowError) as error:
            outcomes[name] = error.message
        finally:
            if threaded:
                connection.close()

    threads = [
        threading.Thread(target=run, args=("citizen", lambda: withdrawal.withdraw(copies[0], citizen, "Réglé"))),
        threading.Thread(target=run, args=("agent", lambda: engine.press(copies[1], "instruire", agent))),
    ]
    for thread in threads:
        thread.start() if threaded else thread.run()
    if threaded:
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(outcomes) == ["agent", "citizen"]
    assert [name for name, outcome in outcomes.items() if outcome == "ok"] in (["citizen"], ["agent"])
    item.refresh_from_db()
    if outcomes["citizen"] == "ok":
        assert item.is_withdrawn and item.status == "recue" and "La demande a changé" in outcomes["agent"]
    else:
        assert not item.is_withdrawn and item.status == "instruction"
        assert "Le service a commencé à traiter cette demande" in outcomes["citizen"]
