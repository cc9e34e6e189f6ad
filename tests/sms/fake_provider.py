"""A local HTTP server that plays OVHcloud's and Brevo's SMS APIs, checking requests as they would.

OVH (under /1.0): ``GET /auth/time`` gives the server's clock (which can be set ahead of ours), and
``POST /sms/<service>/jobs`` checks the application key, consumer key, timestamp freshness and
``$1$`` SHA-1 signature over the full URL it was called at, answers 400 for a body without message or
receivers, 404 for an unknown SMS account, and otherwise a ``sms.SmsSendingReport``.

Brevo (under /v3): ``POST /transactionalSMS/send`` checks the ``api-key`` header (401 otherwise) and the
required fields (400), answers 201 ``{"messageId": n}``.

`force(status, body)` makes the next send answers fail with that status; `delay` holds answers back;
`stop()` closes the port.
"""

import hashlib
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OVH_APP_KEY = "appkey-saint-aubin"
OVH_APP_SECRET = "appsecret-saint-aubin"
OVH_CONSUMER_KEY = "consumer-saint-aubin"
OVH_SERVICE = "sms-sa12345-1"
BREVO_API_KEY = "xkeysib-saint-aubin"


class FakeProvider:
    def __init__(self, clock_offset=0):
        self.clock_offset = clock_offset
        self.requests = []  # (method, path, headers, body bytes)
        self.sent = []  # accepted SMS: dict(provider, id, body)
        self.time_calls = 0
        self.forced = []  # [(status, json body)] consumed one per send request
        self.delay = 0
        self.ids = itertools.count(4242)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def ovh_endpoint(self):
        return f"http://127.0.0.1:{self.port}/1.0"

    @property
    def brevo_endpoint(self):
        return f"http://127.0.0.1:{self.port}/v3"

    def now(self):
        return int(time.time()) + self.clock_offset

    def force(self, status, body=None):
        self.forced.append((status, body if body is not None else {"message": f"forced {status}"}))

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, payload):
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if not isinstance(payload, bytes) else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                provider.requests.append(("GET", self.path, dict(self.headers), b""))
                if self.path == "/1.0/auth/time":
                    provider.time_calls += 1
                    return self._answer(200, str(provider.now()).encode())
                return self._answer(404, {"message": "Not found"})

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                provider.requests.append(("POST", self.path, dict(self.headers), body))
                if provider.delay:
                    time.sleep(provider.delay)
                if provider.forced:
                    status, payload = provider.forced.pop(0)
                    return self._answer(status, payload)
                if self.path.startswith("/1.0/sms/") and self.path.endswith("/jobs"):
                    return self._ovh_jobs(body)
                if self.path == "/v3/transactionalSMS/send":
                    return self._brevo_send(body)
                return self._answer(404, {"message": "Not found"})

            def _ovh_jobs(self, body):
                headers = self.headers
                if headers.get("X-Ovh-Application") != OVH_APP_KEY:
                    return self._answer(403, {"errorCode": "INVALID_KEY", "message": "Invalid application key"})
                if headers.get("X-Ovh-Consumer") != OVH_CONSUMER_KEY:
                    return self._answer(403, {"errorCode": "INVALID_CREDENTIAL", "message": "Invalid credential"})
                try:
                    timestamp = int(headers.get("X-Ovh-Timestamp", ""))
                except ValueError:
                    return self._answer(400, {"message": "Invalid timestamp"})
                if abs(timestamp - provider.now()) > 30:
                    return self._answer(401, {"errorCode": "QUERY_TIME_OUT", "message": "Query out of time"})
                url = f"http://{headers.get('Host')}{self.path}"
                raw = "+".join([OVH_APP_SECRET, OVH_CONSUMER_KEY, "POST", url, body.decode("utf-8"), str(timestamp)])
                expected = "$1$" + hashlib.sha1(raw.encode("utf-8")).hexdigest()
                if headers.get("X-Ovh-Signature") != expected:
                    return self._answer(403, {"errorCode": "INVALID_SIGNATURE", "message": "Invalid signature"})
                service = self.path.split("/")[3]
                if service != OVH_SERVICE:
                    return self._answer(404, {"message": f"The requested object (serviceName = {service}) does not exist"})
                try:
                    job = json.loads(body)
                except ValueError:
                    return self._answer(400, {"message": "Invalid JSON"})
                if not job.get("message") or not isinstance(job.get("receivers"), list):
                    return self._answer(400, {"message": "Missing parameter"})
                valid = [r for r in job["receivers"] if str(r).startswith(("+336", "+337"))]
                invalid = [r for r in job["receivers"] if r not in valid]
                ids = [next(provider.ids) for _ in valid]
                for number, sms_id in zip(valid, ids, strict=True):
                    provider.sent.append({"provider": "ovh", "id": sms_id, "to": number, "body": job})
                return self._answer(200, {
                    "ids": ids, "validReceivers": valid, "invalidReceivers": invalid,
                    "totalCreditsRemoved": len(valid),
                })

            def _brevo_send(self, body):
                if self.headers.get("api-key") != BREVO_API_KEY:
                    return self._answer(401, {"code": "unauthorized", "message": "Key not found"})
                try:
                    data = json.loads(body)
                except ValueError:
                    return self._answer(400, {"code": "bad_request", "message": "Invalid JSON"})
                for name in ("sender", "recipient", "content"):
                    if not data.get(name):
                        return self._answer(400, {"code": "missing_parameter", "message": f"{name} is missing"})
                sms_id = next(provider.ids)
                provider.sent.append({"provider": "brevo", "id": sms_id, "to": data["recipient"], "body": data})
                return self._answer(201, {"messageId": sms_id})

        return Handler
