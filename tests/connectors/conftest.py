"""A real HTTP service on 127.0.0.1 that the connectors call, and connectors pointing at it."""

import http.server
import json
import threading
import time

import pytest

from guichet.connectors.models import Connector

HMAC_SECRET = "un-secret-hmac-assez-long"


class Service(http.server.BaseHTTPRequestHandler):
    """Records every call (method, path, headers, body) and answers with the next scripted answer, or the
    default one: a function of the handler (status, headers, body bytes), optionally after a pause."""

    calls = []
    script = []
    default = None

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        type(self).calls.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                 "body": body})
        answer = type(self).script.pop(0) if type(self).script else type(self).default
        status, headers, content, pause = answer(self, body)
        drip = headers.pop("X-Test-Drip", None)  # send the body a byte at a time, this many seconds apart
        if pause:
            time.sleep(pause)
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if drip:
                for byte in content:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(float(drip))
            else:
                self.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer  # noqa: N815

    def log_message(self, *args):
        pass


def answer(status=200, payload=None, *, content=None, content_type="application/json", headers=None, pause=0):
    """A scripted answer: JSON `payload` (or raw `content`) with `status`, after `pause` seconds."""
    if content is None:
        content = json.dumps(payload if payload is not None else {"ok": True}).encode()

    def respond(handler, body):
        return status, {"Content-Type": content_type, **(headers or {})}, content, pause

    return respond


@pytest.fixture
def service_server():
    Service.calls = []
    Service.script = []
    Service.default = answer(200, {"ok": True})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Service)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def make_connector(organisation, base_url, *, slug="etat-civil", name="État civil (logiciel métier)", **fields):
    fields.setdefault("timeout_seconds", 5)
    fields.setdefault("max_attempts", 3)
    return Connector.objects.create(organisation=organisation, slug=slug, name=name, base_url=base_url, **fields)


@pytest.fixture
def connector(organisation, service_server):
    return make_connector(organisation, f"{service_server}/api/v2")
