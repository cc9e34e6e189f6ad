"""The rule: a request reaches a final status only once its citizen has had a written answer — whatever the path
(button, enter_status, timer, the citizen's completion); which workflow actions count as the answer."""

import datetime
import logging

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet.answers import services
from guichet.service_requests.messaging import post_agent_message
from guichet.service_requests.models import Attachment, RequestEvent, ServiceRequest
from guichet.workflows import engine
from tests.conftest import make_citizen
from tests.workflows.conftest import make_request, make_version

from .conftest import answering_definition

pytestmark = pytest.mark.django_db
REFUSED = "sans réponse écrite à l'usager"


def snapshot(service_request):
    row = ServiceRequest.objects.get(pk=service_request.pk)
    return (row.status, row.closed_at, row.answered_at, row.lock_version,
            RequestEvent.objects.filter(request=service_request).count(), DBTaskResult.objects.count())


def test_a_button_to_a_final_status_is_refused_without_answer_and_nothing_is_recorded(started, agent):
    before = snapshot(started)
    with pytest.raises(engine.WorkflowError, match=REFUSED) as error:
        engine.press(started, "accepter", agent)
    assert "« Acceptée »" in error.value.message and "Rien n'a été fait" in error.value.message
    assert snapshot(started) == before  # not even the button's note


def test_with_the_written_answer_the_button_closes_the_request(started, agent):
    post_agent_message(started, agent, "Votre acte part demain par courrier.", answer=True)
    engine.press(started, "accepter", agent)
    started.refresh_from_db()
    assert started.status == "acceptee" and started.closed_at and started.answered_at


def test_enter_status_to_a_final_status_needs_the_answer(started, agent):
    before = snapshot(started)
    with pytest.raises(engine.WorkflowError, match=REFUSED):
        engine.enter_status(started, "refusee", agent, reason="Essai")
    assert snapshot(started) == before
    post_agent_message(started, agent, "Nous ne pouvons pas délivrer cet acte.", answer=True)
    engine.enter_status(started, "refusee", agent, reason="Essai")
    assert ServiceRequest.objects.get(pk=started.pk).status == "refusee"


def test_a_timer_to_a_final_status_without_answer_is_not_applied_and_says_so(started, caplog):
    later = timezone.now() + datetime.timedelta(days=31)
    ServiceRequest.objects.filter(pk=started.pk).update(deadline=None)
    with caplog.at_level(logging.ERROR, logger="guichet.workflows"):
        assert engine.run_timers(later) == 0
    started.refresh_from_db()
    assert started.status == "recue" and started.closed_at is None
    trace = RequestEvent.objects.get(request=started, kind="action", text__startswith="Délai automatique non appliqué")
    assert REFUSED in trace.text and not trace.visible_to_citizen
    assert any(REFUSED in record.getMessage() for record in caplog.records)


def test_a_timer_to_a_final_status_applies_once_answered(version, citizen, agent):
    service_request = make_request(version, citizen)
    engine.start(service_request, None)
    ServiceRequest.objects.filter(pk=service_request.pk).update(deadline=None)
    post_agent_message(service_request, agent, "Sans nouvelles de votre part, la demande est classée.", answer=True)
    assert engine.run_timers(timezone.now() + datetime.timedelta(days=31)) == 1
    assert ServiceRequest.objects.get(pk=service_request.pk).status == "classee"


def test_the_citizens_completion_leading_to_a_final_status_needs_the_answer(organisation, service, citizen, agent):
    definition = answering_definition()
    definition["statuses"][0]["buttons"][2]["actions"][0]["then"] = "acceptee"  # « completer » then closes
    version = make_version(organisation, service, definition, slug="complement-final")
    service_request = make_request(version, citizen)
    engine.start(service_request, None)
    engine.press(service_request, "completer", agent, form_data={"message": "Joignez votre livret de famille."})
    with pytest.raises(engine.WorkflowError, match=REFUSED):
        engine.answer_information_request(service_request, citizen, "Le voici.")
    service_request.refresh_from_db()
    assert service_request.waiting_for_citizen and service_request.status == "recue"


def test_a_notify_with_a_text_is_the_written_answer(started, agent, citizen):
    engine.press(started, "delivrer", agent)
    started.refresh_from_db()
    assert started.status == "delivree" and started.answered_at is not None
    answer = RequestEvent.objects.get(request=started, kind=RequestEvent.Kind.ANSWER)
    assert answer.text == "Votre acte vous a été délivré." and answer.visible_to_citizen
    assert answer.actor == agent and answer.data["source"] == "workflow"
    assert citizen.notifications.filter(key="message.free", body__contains="Votre acte vous a été délivré.").exists()


def test_a_generated_document_is_the_written_answer(started, agent):
    engine.press(started, "attester", agent)
    started.refresh_from_db()
    assert started.status == "attestee" and started.answered_at is not None
    document = Attachment.objects.get(request=started, source=Attachment.Source.GENERATED)
    answer = RequestEvent.objects.get(request=started, kind=RequestEvent.Kind.ANSWER)
    assert answer.data["attachments"] == [document.pk] and not answer.visible_to_citizen  # its own event is
    assert RequestEvent.objects.filter(request=started, kind="document_generated", visible_to_citizen=True).exists()


def test_a_notify_without_text_is_only_a_status_notice(organisation, service, citizen, agent):
    definition = answering_definition()
    definition["statuses"][-2]["on_enter"] = [
        {"type": "notify", "to": "citizen", "message": "request.status_changed"},
        {"type": "notify", "to": "service", "message": "message.free", "text": "Pour information"},
    ]
    version = make_version(organisation, service, definition, slug="sans-texte")
    service_request = make_request(version, citizen)
    engine.start(service_request, None)
    with pytest.raises(engine.WorkflowError, match=REFUSED):
        engine.press(service_request, "delivrer", agent)
    assert not RequestEvent.objects.filter(request=service_request, kind=RequestEvent.Kind.ANSWER).exists()


def test_a_text_that_reaches_nobody_is_no_answer(version, agent):
    """A request without account nor contact e-mail: the workflow's text is sent to no one."""
    service_request = make_request(version, None, contact_name="Alex Dupont")
    engine.start(service_request, None)
    assert not services.citizen_reachable(service_request)
    with pytest.raises(engine.WorkflowError, match=REFUSED):
        engine.press(service_request, "delivrer", agent)


def test_a_request_without_account_is_answered_by_its_contact_address(version, agent):
    service_request = make_request(version, None, contact_name="Alex Dupont", contact_email="alex@example.org")
    engine.start(service_request, None)
    engine.press(service_request, "delivrer", agent)
    service_request.refresh_from_db()
    assert service_request.status == "delivree" and service_request.answered_at


def test_a_reopened_request_needs_a_new_answer(started, agent):
    post_agent_message(started, agent, "Première réponse.", answer=True)
    engine.press(started, "accepter", agent)
    # The satisfaction app's reopening: back to a non-final status, answer cleared.
    engine.enter_status(started, "recue", agent, reason="Réouverture acceptée")
    ServiceRequest.objects.filter(pk=started.pk).update(answered_at=None)
    started.refresh_from_db()
    with pytest.raises(engine.WorkflowError, match=REFUSED):
        engine.press(started, "accepter", agent)
    post_agent_message(started, agent, "Nouvelle réponse.", answer=True)
    engine.press(started, "accepter", agent)
    assert ServiceRequest.objects.get(pk=started.pk).status == "acceptee"


def test_a_merged_request_needs_no_answer_of_its_own(version, citizen, agent):
    main = make_request(version, citizen)
    duplicate = make_request(version, make_citizen(version.organisation, email="voisin@example.org"))
    for item in (main, duplicate):
        engine.start(item, None)
    ServiceRequest.objects.filter(pk=duplicate.pk).update(merged_into=main)
    duplicate.refresh_from_db()
    engine.enter_status(duplicate, "classee", agent, reason="Regroupée")
    assert ServiceRequest.objects.get(pk=duplicate.pk).status == "classee"


def test_which_buttons_must_carry_the_answer(started, agent):
    buttons = {button.id: button for button in engine.available_buttons(started, agent)}
    assert services.answer_need(started, buttons["accepter"]) == "required"
    assert services.answer_need(started, buttons["delivrer"]) == "optional"  # its final status answers
    assert services.answer_need(started, buttons["attester"]) == "optional"
    assert services.answer_need(started, buttons["completer"]) is None
    assert services.answer_need(started, buttons["noter"]) is None
    post_agent_message(started, agent, "Réponse.", answer=True)
    started.refresh_from_db()
    assert services.answer_need(started, buttons["accepter"]) is None  # answered already


def test_answer_and_button_are_one_transaction(started, agent):
    """The button fails (a colleague acted in between): the answer is not recorded nor sent either."""
    stale = started.lock_version
    engine.press(started, "noter", agent, form_data={"note": "Appel de l'usager"})
    before = snapshot(started)
    with pytest.raises(engine.RequestChanged):
        services.press_with_answer(started, "accepter", agent, lock_version=stale, answer="Votre acte est prêt.")
    assert snapshot(started) == before
    assert not RequestEvent.objects.filter(request=started, kind=RequestEvent.Kind.ANSWER).exists()
    fresh = ServiceRequest.objects.get(pk=started.pk)
    services.press_with_answer(fresh, "accepter", agent, answer="Votre acte est prêt.")
    fresh.refresh_from_db()
    assert fresh.status == "acceptee" and fresh.answered_at
    assert RequestEvent.objects.get(request=started, kind=RequestEvent.Kind.ANSWER).text == "Votre acte est prêt."


@pytest.mark.parametrize("who", ["elected", "other_service", "citizen"])
def test_who_may_not_answer(organisation, started, citizen, other_service, who):
    from guichet.agents.models import Membership
    from tests.conftest import make_agent

    user = {
        "elected": lambda: make_agent(organisation, email="elu@example.org", services=[started.service],
                                      role=Membership.Role.ELECTED),
        "other_service": lambda: make_agent(organisation, email="voirie@example.org", services=[other_service]),
        "citizen": lambda: citizen,
    }[who]()
    before = snapshot(started)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.send_answer(started, user, "Réponse")
    with pytest.raises(PermissionDenied):
        services.press_with_answer(started, "accepter", user, answer="Réponse")
    assert snapshot(started) == before
