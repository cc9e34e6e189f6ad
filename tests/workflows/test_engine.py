"""The engine: start, buttons by role, permissions, information requests, timers, loops, anonymisation."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from guichet.agents.models import Membership
from guichet.background.testing import run_ready_jobs
from guichet.service_requests.models import Attachment, RequestEvent, ServiceRequest
from guichet.workflows import engine
from guichet.workflows.models import InformationRequest, PendingTimer, ScheduledAnonymisation
from guichet.workflows.services import anonymise_due
from tests.conftest import make_agent, make_citizen, make_service

from .conftest import give_answer, make_request, make_version, workflow_definition


def events(request, kind=None):
    qs = RequestEvent.objects.filter(request=request)
    return list(qs.filter(kind=kind) if kind else qs)


@pytest.fixture
def started(service_request, agent):
    engine.start(service_request, None)
    return service_request


def test_start_enters_initial_status_runs_on_enter_and_records_visible_event(started):
    started.refresh_from_db()
    assert started.status == "recue"
    assert started.lock_version == 1
    assert started.deadline == timezone.localdate() + datetime.timedelta(days=10)  # from the procedure
    changed = events(started, "status_changed")
    assert len(changed) == 1 and changed[0].visible_to_citizen and changed[0].status_to == "recue"
    assert events(started, "deadline_set")
    assert PendingTimer.objects.filter(request=started).count() == 2


def test_start_twice_is_refused(started):
    with pytest.raises(engine.WorkflowError):
        engine.start(started, None)


def test_buttons_depend_on_the_role_in_the_request_service(organisation, started, agent, service):
    assert [b.id for b in engine.available_buttons(started, agent)] == ["accepter", "completer", "noter"]
    manager = make_agent(organisation, email="chef@example.org", services=[service], role=Membership.Role.MANAGER)
    assert [b.id for b in engine.available_buttons(started, manager)] == ["accepter", "refuser", "completer", "noter"]
    admin = make_agent(organisation, email="admin@example.org", is_org_admin=True)
    assert [b.id for b in engine.available_buttons(started, admin)] == ["noter"]
    elected = make_agent(organisation, email="elu@example.org", services=[service], role=Membership.Role.ELECTED)
    assert engine.available_buttons(started, elected) == []


def test_button_inputs_are_announced(started, agent):
    buttons = {b.id: b for b in engine.available_buttons(started, agent)}
    assert [name for name, _label in buttons["completer"].inputs] == ["message"]
    assert [name for name, _label in buttons["noter"].inputs] == ["note"]
    assert buttons["accepter"].inputs == []


def test_press_runs_actions_in_order(started, agent):
    give_answer(started, agent)
    engine.press(started, "accepter", agent)
    assert started.status == "acceptee"
    started.refresh_from_db()
    assert started.status == "acceptee" and started.closed_at is not None and started.lock_version == 2
    kinds = [e.kind for e in events(started)]
    assert kinds[-3:] == ["note", "status_changed", "action"]  # note, then goto, then acceptee's on_enter
    note = events(started, "note")[0]
    assert note.text == "Dossier complet" and not note.visible_to_citizen and note.actor == agent
    assert ScheduledAnonymisation.objects.get(request=started).due_on == timezone.localdate() + datetime.timedelta(
        days=365)
    assert not PendingTimer.objects.filter(request=started).exists()  # final status: timers gone


@pytest.mark.parametrize("who", ["other_service_agent", "citizen", "other_org_agent", "manager_only_button"])
def test_press_refused_without_the_role(organisation, other_organisation, started, agent, citizen, who):
    before = RequestEvent.objects.count()
    if who == "other_service_agent":
        user = make_agent(organisation, email="voirie@example.org",
                          services=[make_service(organisation, "Voirie", "voirie")])
        button = "accepter"
    elif who == "citizen":
        user, button = citizen, "accepter"
    elif who == "other_org_agent":
        user = make_agent(other_organisation, email="agent@example.org",
                          services=[make_service(other_organisation)], is_org_admin=True)
        button = "noter"
    else:
        user, button = agent, "refuser"
    with pytest.raises(PermissionDenied):
        engine.press(started, button, user, form_data={"note": "x"})
    started.refresh_from_db()
    assert started.status == "recue" and RequestEvent.objects.count() == before


def test_unknown_button_is_refused(started, agent):
    with pytest.raises(PermissionDenied):
        engine.press(started, "nope", agent)


def test_button_needing_a_note_refuses_without_it(started, agent):
    before = RequestEvent.objects.count()
    with pytest.raises(engine.WorkflowError) as error:
        engine.press(started, "noter", agent, form_data={"note": "   "})
    assert "note" in error.value.message
    assert RequestEvent.objects.count() == before
    engine.press(started, "noter", agent, form_data={"note": "Appelé l'usager"})
    assert events(started, "note")[-1].text == "Appelé l'usager"


def test_stale_lock_version_is_refused_with_a_french_message(started, agent):
    stale = ServiceRequest.objects.get(pk=started.pk)
    engine.press(started, "noter", agent, form_data={"note": "un"})
    with pytest.raises(engine.RequestChanged) as error:
        engine.press(stale, "accepter", agent)
    assert "a changé" in error.value.message
    started.refresh_from_db()
    assert started.status == "recue"


def test_information_request_waits_then_moves_on_when_answered(started, agent, citizen):
    mail.outbox.clear()
    with pytest.raises(engine.WorkflowError):
        engine.press(started, "completer", agent, form_data={})
    engine.press(started, "completer", agent, form_data={"message": "Merci de joindre un justificatif."})
    started.refresh_from_db()
    assert started.waiting_for_citizen and started.information_request == "Merci de joindre un justificatif."
    asked = events(started, "information_requested")[0]
    assert asked.visible_to_citizen
    assert citizen.notifications.count() == 1  # told through the notification service
    assert InformationRequest.objects.get(request=started).then == "instruction"

    other = make_citizen(started.organisation, email="autre@example.org")
    with pytest.raises(PermissionDenied):
        engine.answer_information_request(started, other, "moi", [])
    with pytest.raises(engine.WorkflowError):
        engine.answer_information_request(started, citizen, "  ", [])
    engine.answer_information_request(started, citizen, "Voici le justificatif.", [])
    started.refresh_from_db()
    assert started.status == "instruction" and not started.waiting_for_citizen
    answered = events(started, "information_answered")[0]
    assert answered.text == "Voici le justificatif." and answered.visible_to_citizen
    with pytest.raises(engine.WorkflowError):
        engine.answer_information_request(started, citizen, "encore", [])


def test_answer_refuses_files_of_another_request(started, agent, citizen, version):
    engine.press(started, "completer", agent, form_data={"message": "Pièce ?"})
    other = make_request(version, citizen)
    attachment = Attachment.objects.create(organisation=other.organisation, request=other, original_name="a.pdf",
                                           content_type="application/pdf", file="x.pdf")
    with pytest.raises(PermissionDenied):
        engine.answer_information_request(started, citizen, "ici", [attachment])
    started.refresh_from_db()
    assert started.waiting_for_citizen


def test_anonymous_request_information_request_is_emailed(version, agent):
    request = make_request(version, None, contact_name="Jean Dupont", contact_email="jean@example.org")
    engine.start(request, None)
    mail.outbox.clear()
    engine.press(request, "completer", agent, form_data={"message": "Votre adresse ?"})
    assert run_ready_jobs() >= 1
    assert [m.to for m in mail.outbox] == [["jean@example.org"]]
    assert "Votre adresse ?" in mail.outbox[0].body
    engine.answer_information_request(request, None, "12 rue des Lilas", [])
    assert request.status == "instruction"


def test_timers_after_days_with_a_fake_now(started):
    give_answer(started)
    started.deadline = None
    started.save(update_fields=["deadline"])
    assert engine.run_timers(timezone.now() + datetime.timedelta(days=29)) == 0
    later = timezone.now() + datetime.timedelta(days=31)
    assert engine.run_timers(later) == 1
    started.refresh_from_db()
    assert started.status == "classee"
    assert engine.run_timers(later) == 0  # idempotent
    assert len(events(started, "status_changed")) == 2


def test_timer_on_deadline(started):
    deadline = started.deadline
    assert engine.run_timers(timezone.now()) == 0
    day_after = timezone.make_aware(datetime.datetime.combine(deadline + datetime.timedelta(days=1),
                                                              datetime.time(9)))
    assert engine.run_timers(day_after) == 1
    started.refresh_from_db()
    assert started.status == "en-retard"
    changed = events(started, "status_changed")[-1]
    assert not changed.visible_to_citizen  # internal status


def test_timer_of_a_status_left_does_not_fire(started, agent):
    give_answer(started, agent)
    engine.press(started, "accepter", agent)
    assert engine.run_timers(timezone.now() + datetime.timedelta(days=60)) == 0
    started.refresh_from_db()
    assert started.status == "acceptee"


def test_goto_loop_is_stopped_and_nothing_recorded(organisation, service, citizen, agent):
    definition = {
        "initial": "a",
        "statuses": [
            {"id": "a", "label": "A", "colour": "#1f4e8c", "buttons": [
                {"id": "go", "label": "Aller", "roles": ["agent"], "actions": [{"type": "goto", "status": "b"}]}]},
            {"id": "b", "label": "B", "colour": "#1f4e8c", "on_enter": [{"type": "goto", "status": "c"}]},
            {"id": "c", "label": "C", "colour": "#1f4e8c", "on_enter": [{"type": "goto", "status": "b"}]},
        ],
    }
    version = make_version(organisation, service, definition, slug="boucle")
    request = make_request(version, citizen)
    engine.start(request, None)
    before = RequestEvent.objects.count()
    with pytest.raises(engine.WorkflowLoop) as error:
        engine.press(request, "go", agent)
    assert "boucle" in error.value.message
    request.refresh_from_db()
    assert request.status == "a" and RequestEvent.objects.count() == before


def test_engine_reads_the_version_snapshot_not_the_editable_workflow(organisation, service, citizen, agent):
    from .conftest import make_workflow

    workflow = make_workflow(organisation)
    version = make_version(organisation, service, slug="snap", workflow=workflow)
    request = make_request(version, citizen)
    engine.start(request, None)
    definition = workflow.definition
    definition["statuses"][0]["buttons"] = []
    workflow.save()
    assert [b.id for b in engine.available_buttons(request, agent)] == ["accepter", "completer", "noter"]


def test_assign_service_agent_and_self(organisation, service, citizen, agent):
    voirie = make_service(organisation, "Voirie", "voirie")
    colleague = make_agent(organisation, email="colleague@example.org", services=[service])
    definition = workflow_definition()
    definition["statuses"][0]["buttons"] = [
        {"id": "moi", "label": "Je prends", "roles": ["agent"], "actions": [{"type": "assign", "agent": "self"}]},
        {"id": "collegue", "label": "Collègue", "roles": ["agent"],
         "actions": [{"type": "assign", "agent": "colleague@example.org"}]},
        {"id": "voirie", "label": "Voirie", "roles": ["agent"], "actions": [{"type": "assign", "service": "voirie"}]},
        {"id": "fin", "label": "Fin", "roles": ["agent"], "actions": [{"type": "goto", "status": "acceptee"}]},
    ]
    version = make_version(organisation, service, definition, slug="attrib")
    request = make_request(version, citizen)
    engine.start(request, None)
    engine.press(request, "moi", agent)
    assert request.assigned_to == agent
    engine.press(request, "collegue", agent)
    request.refresh_from_db()
    assert request.assigned_to == colleague
    engine.press(request, "voirie", agent)
    request.refresh_from_db()
    assert request.service == voirie and request.assigned_to is None
    assert len(events(request, "assigned")) == 3
    assert engine.available_buttons(request, agent) == []  # no longer in the agent's service


def test_notify_citizen_service_and_address(organisation, service, citizen, agent):
    definition = workflow_definition()
    definition["statuses"][0]["on_enter"] = [
        {"type": "notify", "to": "citizen", "message": "message.free", "text": "Bien reçu"},
        {"type": "notify", "to": "service", "message": "message.free", "text": "Nouvelle demande"},
        {"type": "notify", "to": "address", "address": "elus@example.org", "message": "message.free",
         "text": "Pour information"},
    ]
    version = make_version(organisation, service, definition, slug="notif")
    request = make_request(version, citizen)
    mail.outbox.clear()
    engine.start(request, None)
    assert citizen.notifications.get().body.count("Bien reçu") == 1
    assert agent.notifications.get().body.count("Nouvelle demande") == 1
    run_ready_jobs()
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(["camille.martin@example.org", "agent@example.org", "elus@example.org"])
    assert len(events(request, "notification")) == 3


def test_anonymisation_after_retention(started, agent, citizen, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    attachment = Attachment(organisation=started.organisation, request=started, original_name="pi.pdf",
                            content_type="application/pdf")
    attachment.file.save("pi.pdf", ContentFile(b"%PDF-1.4 personal"), save=False)
    attachment.save()
    path = attachment.file.path
    from guichet.service_requests.models import ServiceRequest

    ServiceRequest.objects.filter(pk=started.pk).update(
        address="14 rue des Lilas, 54470 Saint-Aubin", latitude=48.69, longitude=6.18, district="Saint-Aubin",
        concerns="Léa Martin")
    from guichet.service_requests.services import add_event

    add_event(started, "message_citizen", actor=citizen, visible_to_citizen=True, text="Mon message")
    give_answer(started, agent)
    engine.press(started, "accepter", agent)
    assert anonymise_due(timezone.localdate() + datetime.timedelta(days=364)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert anonymise_due(timezone.localdate() + datetime.timedelta(days=365)) == 1
    started.refresh_from_db()
    assert started.anonymised_at and started.citizen is None and started.data == {}
    assert started.status == "acceptee" and started.procedure_id and started.submitted_at
    # The place and the household members concerned go; the district stays for the statistics.
    assert (started.address, started.latitude, started.longitude, started.concerns) == ("", None, None, "")
    assert started.district == "Saint-Aubin"
    assert not Attachment.objects.filter(request=started).exists()
    import os

    assert not os.path.exists(path)
    assert events(started, "anonymised")
    assert events(started, "note")[0].text == ""
    assert not started.events.filter(actor=citizen).exists()  # nor who the citizen was
    assert started.events.filter(actor=agent).exists()
    assert anonymise_due(timezone.localdate() + datetime.timedelta(days=400)) == 0


def test_periodic_jobs_are_registered():
    from guichet.background.scheduler import discover, registry

    discover()
    names = {job.name: job for job in registry.jobs.values()}
    timers = names["guichet.workflows.tasks.run_workflow_timers"]
    assert timers.every == datetime.timedelta(minutes=15)
    assert names["guichet.workflows.tasks.anonymise_expired_requests"].daily_at is not None
