"""Merging a request into another: effects on both, the citizens informed (then kept informed), every refusal."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.core import mail
from django.db import connection
from django.utils import timezone

from guichet.agents.models import Membership
from guichet.background.testing import run_ready_jobs
from guichet.duplicates.services import DuplicateActionRefused, merge
from guichet.notifications.models import Notification
from guichet.service_requests.messaging import post_agent_message
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.workflows import engine
from guichet.workflows.models import PendingTimer
from tests.conftest import make_agent, make_citizen, make_service
from tests.documents.builders import make_version

from .conftest import FORM, WORKFLOW, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def lea(organisation):
    return make_citizen(organisation, email="lea.durand@example.org", first_name="Léa", last_name="Durand")


@pytest.fixture
def pair(voirie, citizen, lea):
    """(main request of Camille, duplicate of Léa), both with a pending timer like a real workflow start."""
    main = make_request(voirie, citizen, address="1 place de l'Église")
    other = make_request(voirie, lea, address="1 place de l'Église")
    for service_request in (main, other):
        PendingTimer.objects.create(organisation=service_request.organisation, request=service_request,
                                    status="recue", index=0, goto="en-cours", due_at=timezone.now())
    return main, other


def notifications_of(user, key):
    return list(Notification.objects.filter(recipient=user, key=key).order_by("pk"))


def test_merge_closes_the_duplicate_and_tells_its_citizen(pair, agent, citizen, lea):
    main, other = pair
    merged = merge(main, other, agent, "Une équipe passe lundi.")
    other.refresh_from_db()
    assert merged.pk == other.pk
    assert other.merged_into_id == main.pk
    assert other.closed_at is not None and other.answered_at is not None
    assert other.lock_version == 1
    assert not PendingTimer.objects.filter(request=other).exists()
    assert PendingTimer.objects.filter(request=main).count() == 1  # the main request goes on
    main.refresh_from_db()
    assert main.closed_at is None and main.merged_into_id is None
    for service_request in (main, other):
        event = RequestEvent.objects.get(request=service_request, kind=RequestEvent.Kind.MERGED)
        assert event.visible_to_citizen and event.actor == agent
    event = RequestEvent.objects.get(request=other, kind=RequestEvent.Kind.MERGED)
    assert main.tracking_code in event.text and "Une équipe passe lundi." in event.text
    # Léa is told, with the main request's code; Camille's own request just goes on.
    (told,) = notifications_of(lea, "request.merged")
    assert main.tracking_code in told.subject and other.tracking_code in told.subject
    assert "Une équipe passe lundi." in told.body
    assert told.link == f"/demandes/{other.tracking_code}/"
    assert notifications_of(citizen, "request.merged") == []
    assert RequestEvent.objects.filter(request=other, kind="notification", data__message="request.merged").exists()
    # The main request's event does not give Léa's code to Camille.
    main_event = RequestEvent.objects.get(request=main, kind=RequestEvent.Kind.MERGED)
    assert other.tracking_code not in main_event.text
    assert main_event.data["merged_code"] == other.tracking_code


def test_a_request_without_account_is_told_by_email(voirie, citizen, agent):
    main = make_request(voirie, citizen)
    other = make_request(voirie, None, contact_name="Alex Dupont", contact_email="alex@example.org")
    merge(main, other, agent)
    run_ready_jobs()
    (message,) = [m for m in mail.outbox if m.to == ["alex@example.org"]]
    assert main.tracking_code in message.subject
    assert f"/demandes/{other.tracking_code}/" in message.body


def test_later_progress_of_the_main_request_reaches_both_citizens(pair, agent, citizen, lea, organisation):
    main, other = pair
    anonymous = make_request(main.version, None, contact_name="Alex", contact_email="alex@example.org")
    merge(main, other, agent)
    merge(main, anonymous, agent)
    main.refresh_from_db()
    engine.press(main, "traiter", agent)
    (camille,) = notifications_of(citizen, "request.status_changed")
    (forwarded,) = notifications_of(lea, "request.status_changed")
    assert main.tracking_code in camille.subject and "Intervention planifiée" in camille.subject
    # Léa hears about her own request (its code, its page), with the main request's progress.
    assert other.tracking_code in forwarded.subject and "Intervention planifiée" in forwarded.subject
    assert forwarded.link == f"/demandes/{other.tracking_code}/"
    assert RequestEvent.objects.filter(request=other, kind="notification",
                                       data__message="request.status_changed").exists()
    run_ready_jobs()
    assert any(m.to == ["alex@example.org"] and anonymous.tracking_code in m.subject
               and "Intervention planifiée" in m.subject for m in mail.outbox)
    # The written answer of the main request reaches them too…
    post_agent_message(main, agent, "Le trou est rebouché.", answer=True)
    (answer,) = notifications_of(lea, "request.answer")
    assert "Le trou est rebouché." in answer.body and other.tracking_code in answer.subject
    # …but not a conversation with the main request's own citizen, nor a question asked of them.
    post_agent_message(main, agent, "Pouvez-vous préciser l'endroit ?")
    assert notifications_of(lea, "request.message") == []
    assert len(notifications_of(citizen, "request.message")) == 1


def test_refusals(pair, agent, voirie, other_voirie, citizen, lea, organisation):
    main, other = pair

    def refused(first, second, user=agent, **kwargs):
        with pytest.raises(DuplicateActionRefused) as error:
            merge(first, second, user, **kwargs)
        return error.value.message

    assert refused(main, main) == "Une demande ne peut pas être regroupée avec elle-même."
    assert "a changé entre-temps" in refused(main, other, expected_lock_version=7)
    assert "trop long" in refused(main, other, message="x" * 2001)
    different = make_request(other_voirie, lea)
    assert "même démarche" in refused(main, different)
    # An agent of another service, an elected member of this one: no.
    roads = make_service(organisation, name="Voirie", slug="voirie")
    outsider = make_agent(organisation, email="voirie@example.org", services=[roads])
    assert "ne relève pas de vos services" in refused(main, other, outsider)
    elected = make_agent(organisation, email="elu@example.org", services=[main.service], role=Membership.Role.ELECTED)
    assert "lecture" in refused(main, other, elected)
    closed = make_request(voirie, lea)
    ServiceRequest.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    closed.refresh_from_db()
    assert "est close" in refused(main, closed)
    withdrawn = make_request(voirie, lea)
    ServiceRequest.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())
    assert "retirée" in refused(main, withdrawn)
    draft = make_request(voirie, lea, state=ServiceRequest.State.DRAFT)
    assert "pas encore envoyée" in refused(main, draft)
    # Nothing happened so far.
    other.refresh_from_db()
    assert other.merged_into_id is None and other.closed_at is None
    assert not RequestEvent.objects.filter(kind=RequestEvent.Kind.MERGED).exists()

    merge(main, other, agent)
    assert "déjà regroupée dans la demande" in refused(main, other)  # twice
    third = make_request(voirie, citizen)
    assert "déjà regroupée dans la demande" in refused(third, other)
    assert "elle-même regroupée" in refused(other, third)  # into a request already merged
    assert "D'autres demandes sont déjà regroupées" in refused(third, main)  # a main request stays main
    assert RequestEvent.objects.filter(kind=RequestEvent.Kind.MERGED).count() == 2


def test_not_across_collectivites(pair, agent, other_organisation):
    main, _other = pair
    service = make_service(other_organisation, name="Voirie", slug="voirie")
    montclair = make_request(make_version(other_organisation, service, slug="voirie", form=FORM, workflow=WORKFLOW),
                             make_citizen(other_organisation))
    with pytest.raises(DuplicateActionRefused, match="même collectivité"):
        merge(main, montclair, agent)
    with pytest.raises(DuplicateActionRefused, match="même collectivité"):
        merge(montclair, main, agent)
    montclair.refresh_from_db()
    assert montclair.merged_into_id is None


@pytest.mark.django_db(transaction=True)
def test_two_agents_merging_crosswise_at_once(organisation, service, citizen):
    """A into B and B into A at the same moment: row locks make one wait, and it is then refused."""
    from tests.documents.builders import make_version as build_version

    first_agent = make_agent(organisation, email="un@example.org", services=[service])
    second_agent = make_agent(organisation, email="deux@example.org", services=[service])
    version = build_version(organisation, service, slug="voirie", form=FORM, workflow=WORKFLOW)
    lea = make_citizen(organisation, email="lea@example.org")
    a, b = make_request(version, citizen), make_request(version, lea)
    threaded = connection.vendor == "postgresql"
    barrier = threading.Barrier(2)
    outcomes = {}

    def run(name, user, main, other):
        try:
            if threaded:
                barrier.wait(timeout=10)
            merge(ServiceRequest.objects.get(pk=main.pk), ServiceRequest.objects.get(pk=other.pk), user)
            outcomes[name] = "ok"
        except DuplicateActionRefused as refusal:
            outcomes[name] = refusal.message
        finally:
            if threaded:
                connection.close()

    threads = [threading.Thread(target=run, args=("un", first_agent, a, b)),
               threading.Thread(target=run, args=("deux", second_agent, b, a))]
    for thread in threads:
        thread.start() if threaded else thread.run()
    if threaded:
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(outcomes) == ["deux", "un"]
    assert list(outcomes.values()).count("ok") == 1
    loser = next(message for message in outcomes.values() if message != "ok")
    assert "regroupée" in loser
    a.refresh_from_db()
    b.refresh_from_db()
    assert [a.merged_into_id, b.merged_into_id].count(None) == 1
    assert RequestEvent.objects.filter(kind=RequestEvent.Kind.MERGED).count() == 2


def test_the_same_person_is_told_once(voirie, citizen, agent):
    """Camille sent the same request twice: merged, she hears about the main one only."""
    main = make_request(voirie, citizen)
    again = make_request(voirie, citizen)
    merge(main, again, agent)
    main.refresh_from_db()
    engine.press(main, "traiter", agent)
    assert len(notifications_of(citizen, "request.status_changed")) == 1


def test_a_merged_request_offers_no_workflow_button(pair, agent):
    """Merged away, the duplicate is closed and handled through the main request: its workflow cannot go on (a
    button would reopen it — `closed_at` cleared — while it stays merged)."""
    main, other = pair
    merge(main, other, agent)
    other.refresh_from_db()
    assert engine.available_buttons(other, agent) == []
    with pytest.raises(PermissionDenied):
        engine.press(other, "traiter", agent)
    other.refresh_from_db()
    assert other.status == "recue" and other.closed_at is not None and other.merged_into_id == main.pk
    assert [button.id for button in engine.available_buttons(main, agent)] == ["traiter", "completer"]
