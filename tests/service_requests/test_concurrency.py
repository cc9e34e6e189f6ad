"""Two « Envoyer » at the same moment (two threads, two connections): one submission, one receipt.

On PostgreSQL the two threads really race (row lock with select_for_update); SQLite's in-memory test database
cannot make a connection wait on another one's lock, so there the two presses run one after the other."""

import threading

import pytest
from django.db import connection

from guichet.notifications.models import Notification
from guichet.service_requests.models import RequestEvent, ServiceRequest
from tests.conftest import client_for
from tests.service_requests.conftest import fill_all, make_procedure, start


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_sends_submit_once(organisation, service, citizen):
    procedure = make_procedure(organisation, service)
    client = client_for(organisation, citizen)
    draft = start(client, procedure)
    fill_all(client, draft)
    cookies = client.cookies
    barrier = threading.Barrier(2)
    statuses, errors = [], []
    threaded = connection.vendor == "postgresql"

    def press_send():
        try:
            browser = client_for(organisation)
            browser.cookies = cookies  # the same session, as two tabs or a double click would be
            if threaded:
                barrier.wait(timeout=10)
            statuses.append(browser.post(f"/demandes/{draft.tracking_code}/envoyer/").status_code)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            if threaded:
                connection.close()

    threads = [threading.Thread(target=press_send) for _ in range(2)]
    for thread in threads:
        if threaded:
            thread.start()
        else:
            thread.run()
    for thread in threads:
        if threaded:
            thread.join(timeout=60)
    assert errors == []
    assert statuses == [302, 302]
    assert ServiceRequest.objects.count() == 1
    sent = ServiceRequest.objects.get()
    assert sent.state == "submitted" and sent.status == "recue"
    assert RequestEvent.objects.filter(request=sent, kind="submitted").count() == 1
    assert RequestEvent.objects.filter(request=sent, kind="status_changed").count() == 1
    assert Notification.objects.filter(recipient=citizen, key="request.receipt").count() == 1
