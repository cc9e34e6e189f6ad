"""The workflows of the shipped catalogue really run: every button of every status, pressed by an agent of the
responsible service, leads where it says (its actions run: notifications, requests for documents, generated
documents, notes, deadlines), the citizen's answer to a request for documents moves the request on, and every
timer fires. A final status needs a written answer to the citizen (guichet.answers): pressed without one, a
button that closes the request is refused; with the answer carried by the button, it runs."""

import datetime

import pytest
from django.utils import timezone

from guichet.agents.models import Membership
from guichet.answers.services import action_gives_answer, answer_need, press_with_answer
from guichet.procedures import exchange
from guichet.service_requests.messaging import post_agent_message
from guichet.service_requests.models import Attachment, RequestEvent, ServiceRequest
from guichet.service_requests.services import create_request
from guichet.workflows import engine
from tests.conftest import make_agent, make_citizen, make_service
from tests.procedures.test_catalogue import KEYS, load, submit_everything

pytestmark = pytest.mark.django_db

FORM_DATA = {"message": "Merci de joindre un justificatif de domicile de moins de 3 mois.",
             "note": "Dossier vérifié au guichet."}
ANSWER = "Votre demande a été traitée : voici la réponse du service."


@pytest.fixture
def imported(request, organisation):
    """The procedure imported and published, its suggested service created, an agent who manages it."""
    key = request.param
    data = load(key)
    service = make_service(organisation, name=data["procedure"]["service"], slug=data["procedure"]["service"])
    agent = make_agent(organisation, services=[service], role=Membership.Role.MANAGER, is_org_admin=True)
    citizen = make_citizen(organisation)
    procedure = exchange.import_catalogue_procedure(organisation, key).procedure
    answers, _filled = submit_everything(data["form"], "first")
    return procedure, agent, citizen, answers


def new_request(procedure, citizen, answers, status=None, actor=None, answer=False):
    version = procedure.current_version
    service_request = create_request(
        organisation=procedure.organisation, version=version, procedure=procedure, citizen=citizen,
        state=ServiceRequest.State.SUBMITTED, submitted_at=timezone.now(), service=version.service, data=answers,
    )
    engine.start(service_request, None)
    if answer:
        post_agent_message(service_request, actor, ANSWER, answer=True)
    if status is not None and status != service_request.status:
        engine.enter_status(service_request, status, actor, reason="Essai")
    service_request.refresh_from_db()
    return service_request


def targets(actions):
    return [action["status"] for action in actions if action["type"] == "goto"]


@pytest.mark.parametrize("imported", KEYS, indirect=True)
def test_every_button_leads_where_it_says(imported):
    procedure, agent, citizen, answers = imported
    definition = procedure.current_version.workflow
    start = new_request(procedure, citizen, answers)
    assert start.status == definition["initial"]
    assert start.deadline is not None or not procedure.deadline_amount
    pressed = 0
    for status in definition["statuses"]:
        for button in status["buttons"]:
            service_request = new_request(procedure, citizen, answers, status["id"], agent)
            offered = {item.id: item for item in engine.available_buttons(service_request, agent)}
            assert button["id"] in offered, (status["id"], button["id"])
            need = answer_need(service_request, offered[button["id"]])
            if need == "required":  # it closes the request: refused without the written answer, nothing done
                with pytest.raises(engine.WorkflowError, match="sans réponse écrite"):
                    engine.press(service_request, button["id"], agent, form_data=FORM_DATA)
                service_request.refresh_from_db()
                assert service_request.status == status["id"] and service_request.closed_at is None
            press_with_answer(service_request, button["id"], agent, form_data=FORM_DATA,
                              answer=ANSWER if need == "required" else "")
            service_request.refresh_from_db()
            gone_to = targets(button["actions"])
            waits = [action for action in button["actions"] if action["type"] == "request_info"]
            if gone_to:
                assert service_request.status == gone_to[-1], (status["id"], button["id"])
            if waits:
                assert service_request.waiting_for_citizen
                engine.answer_information_request(service_request, citizen, "Voici le justificatif demandé.")
                service_request.refresh_from_db()
                assert service_request.status == waits[-1]["then"]
                assert not service_request.waiting_for_citizen
            pressed += 1
    assert pressed >= 2


@pytest.mark.parametrize("imported", KEYS, indirect=True)
def test_final_statuses_close_the_request_and_produce_their_documents(imported):
    procedure, agent, citizen, answers = imported
    for status in procedure.current_version.workflow["statuses"]:
        if not status["final"]:
            continue
        answers_itself = any(action_gives_answer(action) for action in status["on_enter"])
        if not answers_itself:
            unanswered = new_request(procedure, citizen, answers)
            with pytest.raises(engine.WorkflowError, match="sans réponse écrite"):
                engine.enter_status(unanswered, status["id"], agent, reason="Essai")
            unanswered.refresh_from_db()
            assert unanswered.closed_at is None and unanswered.status != status["id"]
        service_request = new_request(procedure, citizen, answers, status["id"], agent, answer=not answers_itself)
        assert service_request.closed_at is not None and service_request.answered_at is not None
        documents = [action for action in status["on_enter"] if action["type"] == "generate_document"]
        generated = Attachment.objects.filter(request=service_request, source=Attachment.Source.GENERATED)
        assert generated.count() == len(documents)
        if status["visible"]:
            assert RequestEvent.objects.filter(request=service_request, kind="status_changed",
                                               visible_to_citizen=True, status_to=status["id"]).exists()


@pytest.mark.parametrize("imported", KEYS, indirect=True)
def test_every_timer_fires(imported):
    procedure, agent, citizen, answers = imported
    definition = procedure.current_version.workflow
    for status in definition["statuses"]:
        for timer in status["timers"]:
            _index, target = engine.find_status(definition, timer["goto"])
            answers_itself = any(action_gives_answer(action) for action in target["on_enter"])
            for answered in (False, True):
                service_request = new_request(procedure, citizen, answers, status["id"], agent, answer=answered)
                # Was the citizen written to on the way (a notify with a text, a document)? Then no answer is due.
                needs_answer = target["final"] and not answers_itself and service_request.answered_at is None
                if timer.get("on_deadline"):
                    ServiceRequest.objects.filter(pk=service_request.pk).update(
                        deadline=timezone.localdate() - datetime.timedelta(days=1))
                    now = timezone.now()
                else:
                    now = timezone.now() + datetime.timedelta(days=timer["after_days"], hours=1)
                engine.run_timers(now=now)
                service_request.refresh_from_db()
                if needs_answer:
                    # Without a written answer, a timer to a final status is not applied (the timeline says so).
                    assert service_request.status == status["id"], (status["id"], timer)
                    assert RequestEvent.objects.filter(
                        request=service_request, kind="action", text__startswith="Délai automatique non appliqué"
                    ).exists()
                else:
                    assert service_request.status == timer["goto"], (status["id"], timer)
                    break


@pytest.mark.parametrize("imported", ["signalement-voirie"], indirect=True)
def test_the_citizen_is_told_the_new_status_with_the_tracking_code(imported):
    from guichet.notifications.models import Notification

    procedure, agent, citizen, answers = imported
    service_request = new_request(procedure, citizen, answers, "prise-en-charge", agent)
    message = Notification.objects.filter(recipient=citizen, key="request.status_changed").latest("pk")
    assert service_request.tracking_code in message.subject
    assert "Prise en charge" in message.subject
    assert f"/demandes/{service_request.tracking_code}/" in message.body
