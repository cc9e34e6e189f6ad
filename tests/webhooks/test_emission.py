"""Events of the request timeline become signed deliveries, in the transaction of the action that made them."""

import json

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from guichet.background.testing import run_ready_jobs
from guichet.service_requests import messaging
from guichet.service_requests.models import RequestEvent
from guichet.service_requests.services import add_event, submit
from guichet.service_requests.withdrawal import withdraw
from guichet.webhooks import services
from guichet.webhooks.models import Delivery
from guichet.workflows import engine
from tests.conftest import make_service
from tests.workflows.conftest import give_answer, make_request, make_version

from .conftest import subscribe

pytestmark = pytest.mark.django_db


def payloads(event_type=None):
    deliveries = Delivery.objects.order_by("pk")
    if event_type:
        deliveries = deliveries.filter(event_type=event_type)
    return [json.loads(delivery.body) for delivery in deliveries]


def test_submitting_emits_request_created_then_the_initial_status(organisation, receiver, subscription, draft):
    subscription, secret = subscription
    submit(draft, draft.citizen)
    draft.refresh_from_db()
    assert list(Delivery.objects.order_by("pk").values_list("event_type", flat=True)) == [
        "request.created", "request.status_changed"]
    created = payloads("request.created")[0]
    assert created["event"] == "request.created"
    assert created["organisation"] == "saint-aubin"
    assert created["request"]["tracking_code"] == draft.tracking_code
    assert created["request"]["procedure"] == draft.procedure.slug
    assert created["occurred_at"].startswith(draft.submitted_at.date().isoformat())
    changed = payloads("request.status_changed")[0]
    assert changed["request"]["status"] == {"id": "recue", "label": "Reçue"}
    assert changed["status_from"] is None

    run_ready_jobs()  # the receipt's notification too
    assert len(receiver.received) == 2
    first = receiver.received[0]
    assert first.method == "POST" and first.path == "/hooks/"
    assert first.headers["content-type"] == "application/json"
    assert first.headers["user-agent"] == "Guichet-webhooks/1"
    assert first.headers["x-guichet-event"] == "request.created"
    delivery = Delivery.objects.get(event_type="request.created")
    assert first.headers["x-guichet-delivery"] == str(delivery.uuid)
    assert first.signed_with(secret)
    assert not first.signed_with("un-autre-secret")
    assert first.body == delivery.body.encode()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.last_status_code == 200
    attempt = delivery.tries.get()
    assert attempt.status_code == 200 and attempt.response_body == "ok" and attempt.error == ""


def test_a_button_to_a_final_status_emits_status_changed_and_closed(organisation, subscription, service_request,
                                                                      agent):
    give_answer(service_request, agent)
    Delivery.objects.all().delete()
    service_request.refresh_from_db()
    engine.press(service_request, "accepter", agent)  # a note, then the final status « Acceptée »
    assert list(Delivery.objects.order_by("pk").values_list("event_type", flat=True)) == [
        "request.status_changed", "request.closed"]
    changed, closed = payloads()
    assert changed["status_from"] == {"id": "recue", "label": "Reçue"}
    assert changed["request"]["status"] == {"id": "acceptee", "label": "Acceptée"}
    assert closed["closure"] == "final_status"
    assert closed["request"]["closed_at"] is not None
    assert changed["id"] != closed["id"]
    assert "Dossier complet" not in json.dumps(payloads())  # the internal note is never sent


def test_a_button_to_a_non_final_status_emits_only_status_changed(organisation, subscription, service_request,
                                                                    agent):
    engine.enter_status(service_request, "instruction", agent)
    types = list(Delivery.objects.values_list("event_type", flat=True))
    assert "request.closed" not in types
    assert "request.status_changed" in types


def test_messages_of_both_sides_and_the_written_answer_emit_message_posted(organisation, subscription,
                                                                             service_request, agent, citizen):
    messaging.post_citizen_message(service_request, citizen, "Bonjour, où en est ma demande ?")
    messaging.post_agent_message(service_request, agent, "Elle est en cours.")
    messaging.post_agent_message(service_request, agent, "Voici notre réponse.", answer=True)
    messages = [payload["message"] for payload in payloads("message.posted")]
    assert messages == [
        {"author": "citizen", "answer": False, "text": "Bonjour, où en est ma demande ?"},
        {"author": "agent", "answer": False, "text": "Elle est en cours."},
        {"author": "agent", "answer": True, "text": "Voici notre réponse."},
    ]


def test_internal_notes_and_other_events_emit_nothing(organisation, subscription, service_request, agent):
    add_event(service_request, RequestEvent.Kind.NOTE, actor=agent, text="Secret interne")
    add_event(service_request, RequestEvent.Kind.VIEWED, actor=agent)
    add_event(service_request, RequestEvent.Kind.MESSAGE_AGENT, actor=agent, visible_to_citizen=False, text="x")
    assert not Delivery.objects.exists()


def test_withdrawal_emits_request_closed(organisation, subscription, service_request, citizen):
    withdraw(service_request, citizen, "Plus besoin.")
    (closed,) = payloads("request.closed")
    assert closed["closure"] == "withdrawn"


def test_only_the_subscribed_events_and_procedures(organisation, receiver, service_request, version, service):
    other_version = make_version(organisation, service, slug="autre-demarche")
    mine, _secret = subscribe(organisation, receiver.url, events=["message.posted"], procedures=[version.procedure],
                              name="Mine")
    subscribe(organisation, receiver.url, procedures=[other_version.procedure], name="Autre démarche")
    several, _secret = subscribe(organisation, receiver.url, events=["message.posted"],
                                 procedures=[other_version.procedure, version.procedure], name="Plusieurs")
    subscribe(organisation, receiver.url, is_active=False, name="Désactivé")
    messaging.post_agent_message(service_request, None, "Bonjour")
    engine.enter_status(service_request, "instruction", None)
    assert sorted(Delivery.objects.values_list("subscription_id", flat=True)) == sorted([mine.pk, several.pk])


def test_another_collectivite_subscription_gets_nothing(organisation, other_organisation, receiver,
                                                         service_request):
    subscribe(other_organisation, receiver.url, name="Montclair")
    messaging.post_agent_message(service_request, None, "Bonjour")
    assert not Delivery.objects.exists()


def test_delivery_and_job_belong_to_the_transaction(organisation, subscription, service_request):
    webhook_jobs = DBTaskResult.objects.filter(task_path="guichet.webhooks.tasks.deliver")
    with pytest.raises(RuntimeError), transaction.atomic():
        messaging.post_agent_message(service_request, None, "Bonjour")
        assert Delivery.objects.count() == 1
        assert webhook_jobs.count() == 1
        raise RuntimeError("annulé")
    assert not Delivery.objects.exists()
    assert webhook_jobs.count() == 0
    messaging.post_agent_message(service_request, None, "Bonjour")
    delivery = Delivery.objects.get()
    job = webhook_jobs.get()
    assert job.args_kwargs["args"] == [delivery.pk, 1]


def test_cost_of_an_event_one_query_without_subscriptions(organisation, service_request,
                                                          django_assert_num_queries):
    event = RequestEvent(organisation=organisation, request=service_request, kind=RequestEvent.Kind.MESSAGE_AGENT,
                         visible_to_citizen=True, text="x")
    with django_assert_num_queries(1):
        assert services.emit(event) == []
    note = RequestEvent(organisation=organisation, request=service_request, kind=RequestEvent.Kind.NOTE, text="x")
    with django_assert_num_queries(0):
        assert services.emit(note) == []


def test_merged_request_emits_request_closed(organisation, subscription, version, citizen, agent):
    from guichet.duplicates import services as duplicates

    main = make_request(version, citizen, status="recue")
    other = make_request(version, citizen, status="recue")
    duplicates.merge(main, other, agent)
    closed = [payload for payload in payloads("request.closed")]
    assert closed and closed[0]["closure"] == "merged" and closed[0]["merged_into"] == main.tracking_code


def test_events_caused_by_an_api_client_name_it(organisation, subscription, draft):
    """A submission through the REST API: its events name the client, so that the software that submitted can
    recognise the echo of its own call; events of the web carry no such field."""
    from guichet.api.submission import submit_answers
    from tests.api.conftest import make_api_client

    submit(draft, draft.citizen)
    assert all("api_client" not in payload for payload in payloads())
    client, _secret = make_api_client(organisation, name="Logiciel de la voirie")
    Delivery.objects.all().delete()
    submit_answers(draft.version, dict(draft.data), channel="phone", contact_name="Camille Martin",
                   contact_email="camille.martin@example.org", api_client=client)
    sent = payloads()
    assert {payload["event"] for payload in sent} == {"request.created", "request.status_changed"}
    assert all(payload["api_client"] == {"id": client.pk, "name": "Logiciel de la voirie"} for payload in sent)
