"""Issue 7's journey in a real browser and over real HTTP: an administrator creates an API client and a webhook
subscription in the administration pages and exposes a procedure in Open311; the town's software then submits a
request through the REST API with the secret it was shown once, follows it, and receives the signed webhooks the
worker sends; the request is also an Open311 service request; the browsable API documentation works."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from lxml import etree

from guichet.background.testing import run_ready_jobs
from guichet.connectors.signing import verify
from tests.browser.conftest import assert_accessible, site_url
from tests.browser.test_agent_request_pages import sign_in
from tests.conftest import host_of
from tests.search.conftest import FORM
from tests.service_requests.conftest import make_procedure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30_000


@pytest.fixture
def receiver():
    """The town's software: an HTTP server recording what it receives."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append((dict(self.headers), body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/guichet", received
    server.shutdown()
    server.server_close()


def test_a_town_software_submits_and_follows_a_request(live_server, page, organisation, service, org_admin,
                                                       receiver):
    page.set_default_timeout(TIMEOUT)
    hook_url, received = receiver
    procedure = make_procedure(organisation, service, slug="signalement", title="Signaler un problème de voirie",
                               who="anyone", form=FORM)
    sign_in(page, organisation, org_admin)

    # The administrator creates the client: its secret is shown once.
    page.goto(site_url(live_server, organisation, "/agents/admin/"))
    page.get_by_role("link", name="Clients de l'API").click()
    page.goto(site_url(live_server, organisation, "/agents/admin/api/nouveau/"))
    page.locator("#id_name").fill("Logiciel des services techniques")
    for scope in ("requests:read", "requests:write", "open311"):
        page.get_by_label(re.compile(re.escape(f"({scope})"))).check()
    assert_accessible(page)
    page.get_by_role("button", name="Créer le client").click()
    secret = page.locator("#new-secret").input_value()
    assert secret.startswith("gapi_")
    assert_accessible(page)
    page.goto(site_url(live_server, organisation, "/agents/admin/api/"))
    assert "Logiciel des services techniques" in page.locator("main").inner_text()
    assert secret not in page.content()  # never shown again

    # … subscribes the software to the requests' events …
    page.goto(site_url(live_server, organisation, "/agents/admin/webhooks/nouveau/"))
    page.locator("#id_name").fill("Logiciel des services techniques")
    page.get_by_label("Adresse (URL) qui reçoit les événements").fill(hook_url)
    page.get_by_label("Demande déposée").check()
    page.get_by_label("Changement de statut").check()
    page.get_by_role("button", name="Enregistrer").click()
    hook_secret = page.locator("#new-secret").inner_text().strip()
    assert len(hook_secret) >= 16

    # … and exposes the procedure in Open311.
    page.goto(site_url(live_server, organisation, f"/agents/admin/demarches/{procedure.pk}/reglages/"))
    page.get_by_label(re.compile("Open311")).check()
    page.get_by_role("button", name="Enregistrer").click()
    procedure.refresh_from_db()
    assert procedure.open311

    # The software submits a report received by phone, on behalf of someone without an account.
    api = f"{live_server.url}/api/v1"
    headers = {"Host": host_of(organisation), "Authorization": f"Bearer {secret}"}
    refused = requests.post(f"{api}/requests", timeout=10, headers=headers, json={
        "procedure": "signalement", "channel": "phone", "answers": {"nature": "volcan"},
        "contact": {"name": "Camille Martin", "email": "camille.martin@example.org"}})
    assert refused.status_code == 422 and refused.headers["Content-Type"].startswith("application/problem+json")
    assert "nature" in json.dumps(refused.json()["errors"])
    created = requests.post(f"{api}/requests", timeout=10, headers=headers, json={
        "procedure": "signalement", "channel": "phone",
        "answers": {"nature": "eclairage", "description": "Le lampadaire du 4 rue des Lilas clignote."},
        "contact": {"name": "Camille Martin", "email": "camille.martin@example.org"}})
    assert created.status_code == 201, created.text
    code = created.json()["tracking_code"]
    assert created.headers["Location"].endswith(f"/api/v1/requests/{code}")

    # It follows it.
    read = requests.get(f"{api}/requests/{code}", timeout=10, headers=headers)
    assert read.status_code == 200 and read.json()["channel"] == "phone"
    timeline = requests.get(f"{api}/requests/{code}/timeline", timeout=10, headers=headers).json()
    assert "submitted" in [event["kind"] for event in timeline]
    listed = requests.get(f"{api}/requests", timeout=10, headers=headers, params={"channel": "phone"}).json()
    assert [item["tracking_code"] for item in listed["items"]] == [code]

    # The worker sends the signed webhooks.
    run_ready_jobs()
    events = {json.loads(body)["event"]: (headers_, body) for headers_, body in received}
    assert {"request.created", "request.status_changed"} <= set(events)
    headers_, body = events["request.created"]
    assert verify(hook_secret, body, headers_["X-Guichet-Signature"])
    assert json.loads(body)["request"]["tracking_code"] == code
    assert json.loads(body)["request"]["channel"] == "phone"
    page.goto(site_url(live_server, organisation, "/agents/admin/webhooks/envois/"))
    assert "Demande déposée" in page.locator("main").inner_text()
    assert_accessible(page)

    # The same request is an Open311 service request, without the reporter's personal details.
    open311 = requests.get(f"{live_server.url}/open311/v2/requests/{code}.xml", timeout=10,
                           headers={"Host": host_of(organisation)})
    assert open311.status_code == 200
    tree = etree.fromstring(open311.content)
    assert tree.tag == "service_requests" and tree.findtext("request/service_request_id") == code
    assert tree.findtext("request/service_code") == "signalement"
    assert b"camille" not in open311.content.lower()

    # The browsable documentation (Swagger UI, served locally) shows the operations.
    page.goto(site_url(live_server, organisation, "/api/v1/docs"))
    page.locator(".opblock").first.wait_for()
    assert "/requests" in page.locator(".swagger-ui").inner_text()
