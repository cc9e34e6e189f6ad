"""Fixtures of the webhooks tests: a real HTTP receiver on 127.0.0.1 that records what it gets and checks its
signature, subscriptions, and submitted requests of a published procedure."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from guichet.connectors.signing import verify
from guichet.service_requests.models import ServiceRequest
from guichet.service_requests.services import create_request
from guichet.webhooks import services
from guichet.webhooks.models import Event
from tests.conftest import make_agent
from tests.workflows.conftest import make_request, make_version


class Received:
    def __init__(self, handler, body):
        self.path = handler.path
        self.method = handler.command
        self.headers = {key.lower(): value for key, value in handler.headers.items()}
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    def signed_with(self, secret):
        return verify(secret, self.body, self.headers.get("x-guichet-signature"))


class Receiver:
    """`answers`: a list of (status, delay in seconds, body) used one per request, the last one repeated."""

    def __init__(self):
        self.received = []
        self.answers = [(200, 0, b"ok")]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                index = len(receiver.received)
                receiver.received.append(Received(self, body))
                status, delay, answer = receiver.answers[min(index, len(receiver.answers) - 1)]
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url + "redirected/")
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                try:
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, *answers):
        self.answers = [answer if isinstance(answer, tuple) else (answer, 0, b"") for answer in answers]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def closed_port_url():
    """A URL on which nothing listens (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/hooks/"


ALL_EVENTS = [choice.value for choice in Event]


def subscribe(organisation, url, events=ALL_EVENTS, procedures=None, **fields):
    return services.create_subscription(organisation, name=fields.pop("name", "Logiciel métier"), url=url,
                                        events=events, procedures=procedures, **fields)


@pytest.fixture
def subscription(organisation, receiver):
    return subscribe(organisation, receiver.url)


@pytest.fixture
def version(organisation, service):
    return make_version(organisation, service)


@pytest.fixture
def agent(organisation, service):
    return make_agent(organisation, services=[service])


@pytest.fixture
def service_request(version, citizen):
    return make_request(version, citizen, status="recue")


@pytest.fixture
def draft(version, citizen):
    return create_request(organisation=version.organisation, version=version, procedure=version.procedure,
                          citizen=citizen, service=version.service, state=ServiceRequest.State.DRAFT, data={})
