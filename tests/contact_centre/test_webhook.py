"""The incoming-call webhook: authentication, bad input, duplicates, unknown callers and extensions."""

import pytest
from django.test import Client

from guichet.contact_centre import services
from guichet.contact_centre.models import IncomingCall, TelephonySecret

from .conftest import WEBHOOK, post_call

pytestmark = pytest.mark.django_db

CALL = {"call_id": "abc-123", "caller": "07 98 76 54 32", "extension": "204"}


def _problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def test_a_new_call_is_recorded_and_assigned_to_the_agent_of_the_extension(organisation, secret, phone_agent,
                                                                            caller):
    response = post_call(Client(), organisation, CALL, secret)
    assert response.status_code == 202
    assert response.json() == {"call_id": "abc-123", "status": "created", "caller": "+33798765432",
                               "extension": "204", "assigned": True}
    call = IncomingCall.objects.get()
    assert (call.organisation, call.agent, call.caller_raw, call.state) == (
        organisation, phone_agent, "07 98 76 54 32", IncomingCall.State.RINGING)
    assert TelephonySecret.objects.get().last_used_at is not None


def test_the_same_call_delivered_again_is_not_recorded_twice(organisation, secret):
    assert post_call(Client(), organisation, CALL, secret).status_code == 202
    again = post_call(Client(), organisation, CALL, secret)
    assert again.status_code == 200
    assert again.json()["status"] == "already_received"
    assert IncomingCall.objects.count() == 1


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer faux", "Basic dXNlcjpwYXNz", "gtel_x"])
def test_no_or_wrong_secret_is_401(organisation, secret, authorization):
    extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    body = _problem(post_call(Client(), organisation, CALL, **extra), 401)
    assert "Authorization" in body["detail"]
    assert not IncomingCall.objects.exists()


def test_a_revoked_secret_is_refused(organisation, secret):
    services.revoke_secret(TelephonySecret.objects.get())
    _problem(post_call(Client(), organisation, CALL, secret), 401)


def test_a_secret_of_another_collectivite_is_401(organisation, other_organisation, other_secret):
    _problem(post_call(Client(), organisation, CALL, other_secret), 401)
    assert post_call(Client(), other_organisation, CALL, other_secret).status_code == 202
    assert IncomingCall.objects.get().organisation == other_organisation


def test_the_same_call_id_in_two_collectivites_are_two_calls(organisation, other_organisation, secret, other_secret):
    assert post_call(Client(), organisation, CALL, secret).status_code == 202
    assert post_call(Client(), other_organisation, CALL, other_secret).status_code == 202
    assert IncomingCall.objects.count() == 2


def test_only_the_hash_of_the_secret_is_stored(organisation, secret):
    stored = TelephonySecret.objects.get()
    assert secret not in (stored.secret_hash, stored.hint, stored.label)
    assert stored.secret_hash == services.hash_secret(secret)


@pytest.mark.parametrize("body, field", [
    (b"{pas du json", None),
    (b"\xff\xfe", None),
    (b"[1, 2]", None),
    (b"", None),
    ({"caller": "0612345678", "extension": "204"}, "call_id"),
    ({"call_id": "", "caller": "0612345678"}, "call_id"),
    ({"call_id": {"a": 1}, "caller": "0612345678"}, "call_id"),
    ({"call_id": True}, "call_id"),
    ({"call_id": "x" * 101}, "call_id"),
    ({"call_id": "a b; DROP TABLE"}, "call_id"),
    ({"call_id": "ok", "caller": ["06"]}, "caller"),
    ({"call_id": "ok", "caller": "0" * 41}, "caller"),
    ({"call_id": "ok", "caller": "<script>"}, "caller"),
    ({"call_id": "ok", "extension": "2" * 21}, "extension"),
    ({"call_id": "ok", "extension": "20 4"}, "extension"),
])
def test_malformed_or_absurd_bodies_are_400_in_french(organisation, secret, body, field):
    problem = _problem(post_call(Client(), organisation, body, secret), 400)
    assert problem.get("field") == field
    assert not IncomingCall.objects.exists()


def test_a_huge_body_is_413(organisation, secret):
    huge = {"call_id": "big", "caller": "0612345678", "padding": "x" * 10_000}
    _problem(post_call(Client(), organisation, huge, secret), 413)
    assert not IncomingCall.objects.exists()


def test_only_post(organisation, secret):
    response = Client().get(WEBHOOK, HTTP_HOST=f"{organisation.slug}.localhost",
                            HTTP_AUTHORIZATION=f"Bearer {secret}")
    _problem(response, 405)


def test_an_unknown_or_hidden_caller_is_accepted(organisation, secret):
    assert post_call(Client(), organisation, {"call_id": "1", "caller": "01 99 00 00 00", "extension": "204"},
                     secret).status_code == 202
    assert post_call(Client(), organisation, {"call_id": "2", "caller": "anonymous"}, secret).status_code == 202
    assert post_call(Client(), organisation, {"call_id": "3"}, secret).status_code == 202
    numbers = dict(IncomingCall.objects.values_list("call_id", "caller"))
    assert numbers == {"1": "+33199000000", "2": "", "3": ""}


def test_an_unknown_extension_is_accepted_as_an_unassigned_call(organisation, secret, phone_agent):
    response = post_call(Client(), organisation, {"call_id": "9", "caller": "0612345678", "extension": "999"},
                         secret)
    assert response.status_code == 202 and response.json()["assigned"] is False
    assert IncomingCall.objects.get().agent is None


def test_an_extension_of_an_agent_of_another_collectivite_is_not_theirs(organisation, other_organisation, secret):
    from tests.conftest import make_agent

    make_agent(other_organisation, email="b@example.org", phone_extension="204")
    post_call(Client(), organisation, CALL, secret)
    assert IncomingCall.objects.get().agent is None


def test_numbers_are_normalised():
    assert services.normalise_number("06 12 34 56 78") == "+33612345678"
    assert services.normalise_number("0033612345678") == "+33612345678"
    assert services.normalise_number("+44 20 7946 0958") == "+442079460958"
    assert services.normalise_number("anonymous") == ""
    assert services.format_number("+33612345678") == "06 12 34 56 78"


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_deliveries_of_the_same_call_record_it_once(organisation, secret):
    """The telephony system retries before the first delivery is answered: both get a 2xx, one call is recorded
    (threads released together on PostgreSQL, where the unique constraint decides; one after the other on
    SQLite, whose in-memory test database cannot wait on a lock)."""
    import threading

    from django.db import connection

    threaded = connection.vendor == "postgresql"
    barrier = threading.Barrier(2)
    statuses = []

    def deliver():
        try:
            if threaded:
                barrier.wait(timeout=10)
            statuses.append(post_call(Client(), organisation, CALL, secret).status_code)
        finally:
            if threaded:
                connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start() if threaded else thread.run()
    if threaded:
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(statuses) == [200, 202]
    assert IncomingCall.objects.filter(organisation=organisation, call_id="abc-123").count() == 1
