"""Review of issue 7: internal (non-visible) statuses never reach a webhook payload."""

import json

import pytest

from guichet.service_requests import messaging
from guichet.webhooks.models import Delivery
from guichet.workflows import engine
from tests.connectors.conftest import service_server  # noqa: F401 (fixture)
from tests.workflows.conftest import give_answer

pytestmark = pytest.mark.django_db


def bodies():
    return [json.loads(body) for body in Delivery.objects.order_by("pk").values_list("body", flat=True)]


def test_entering_an_internal_status_emits_nothing_and_names_it_nowhere(subscription, service_request, agent):
    engine.enter_status(service_request, "instruction", agent)  # visible « En cours d'instruction »
    engine.enter_status(service_request, "en-retard", agent)  # internal « En retard »
    assert [body["event"] for body in bodies()] == ["request.status_changed"]
    messaging.post_agent_message(service_request, agent, "Nous revenons vers vous.")
    posted = bodies()[-1]
    assert posted["event"] == "message.posted"
    # The request is in « en-retard »: its payload names the last status the citizen saw.
    assert posted["request"]["status"] == {"id": "instruction", "label": "En cours d'instruction"}
    give_answer(service_request, agent)
    engine.enter_status(service_request, "acceptee", agent)
    changed = bodies()[-2]
    assert changed["event"] == "request.status_changed"
    assert changed["status_from"] is None  # it came from an internal status
    everything = json.dumps(bodies(), ensure_ascii=False)
    assert "en-retard" not in everything and "En retard" not in everything


def test_an_internal_status_with_no_visible_one_before_is_null(subscription, version, citizen):
    from tests.workflows.conftest import make_request

    service_request = make_request(version, citizen, status="en-retard")
    messaging.post_agent_message(service_request, None, "Bonjour")
    assert bodies()[-1]["request"]["status"] is None


@pytest.mark.parametrize("count", [1, 6])
def test_cost_of_an_event_does_not_grow_with_the_subscriptions(organisation, receiver, service_request, count,
                                                               django_assert_max_num_queries):
    from guichet.service_requests.models import RequestEvent
    from guichet.webhooks import services

    from .conftest import subscribe

    for number in range(count):
        subscribe(organisation, receiver.url, name=f"Logiciel {number}")
    event = RequestEvent(organisation=organisation, request=service_request, kind=RequestEvent.Kind.MESSAGE_AGENT,
                         visible_to_citizen=True, text="x")
    service_request.refresh_from_db()  # nothing cached on the request
    with django_assert_max_num_queries(5 + count):  # subscriptions, request, procedure, version, INSERT, jobs
        assert len(services.emit(event)) == count


@pytest.mark.parametrize("outcome", [(200, 12, "", "ok"), (500, 12, "Réponse HTTP 500 (attendu : 2xx).", "")])
def test_a_subscription_deleted_during_a_try_ends_it_quietly(organisation, receiver, subscription, service_request,
                                                            outcome):
    from django_tasks_db.models import DBTaskResult

    from guichet.webhooks import services
    from guichet.webhooks.models import DeliveryAttempt

    messaging.post_agent_message(service_request, None, "Bonjour")
    delivery = Delivery.objects.get(event_type="message.posted")
    taken = services.claim(delivery.pk, delivery.generation)
    services.delete_subscription(subscription[0])  # while the POST is on its way
    jobs = DBTaskResult.objects.count()
    assert services.record(taken, *outcome) is None
    assert not Delivery.objects.exists() and not DeliveryAttempt.objects.exists()
    assert DBTaskResult.objects.count() == jobs  # no retry queued for a delivery that is gone


def test_a_receiver_dripping_its_answer_is_cut_at_the_time_out(settings, organisation, service_request,
                                                                service_server):
    import time

    from guichet.background.testing import run_ready_jobs
    from tests.connectors.conftest import Service, answer

    from .conftest import subscribe

    settings.GUICHET_HTTP_TIMEOUT = 1
    Service.default = answer(200, content=b"o" * 4000, content_type="text/plain", headers={"X-Test-Drip": "0.01"})
    subscribe(organisation, f"{service_server}/hooks/")
    messaging.post_agent_message(service_request, None, "Bonjour")
    started = time.monotonic()
    run_ready_jobs()
    assert time.monotonic() - started < 5  # 40 s to read it all
    delivery = Delivery.objects.get(event_type="message.posted")
    assert delivery.status == Delivery.Status.DELIVERED
    assert 0 < len(delivery.tries.get().response_body) <= 2048


def test_a_receiver_answering_nul_characters_is_logged(organisation, service_request, service_server):
    from guichet.background.testing import run_ready_jobs
    from tests.connectors.conftest import Service, answer

    from .conftest import subscribe

    Service.default = answer(200, content=b"re\x00cu", content_type="text/plain")
    subscribe(organisation, f"{service_server}/hooks/")
    messaging.post_agent_message(service_request, None, "Bonjour")
    run_ready_jobs()
    delivery = Delivery.objects.get(event_type="message.posted")
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.tries.get().response_body == "re\ufffdcu"
