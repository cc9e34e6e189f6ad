"""Actions that leave the request: generated PDF documents and signed webhooks (against a real local server)."""

import hashlib
import hmac
import http.server
import io
import json
import threading

import pytest
from pypdf import PdfReader

from guichet.background.testing import make_delayed_jobs_due, run_ready_jobs
from guichet.service_requests.models import Attachment, RequestEvent
from guichet.workflows import engine
from guichet.workflows.actions import signature

from .conftest import give_answer, make_request, make_version, workflow_definition

SECRET = "un-secret-partage-tres-long"


def test_generate_document_produces_a_readable_pdf_attachment(organisation, service, citizen, agent):
    organisation.address = "1 place de la Mairie\n54470 Saint-Aubin"
    organisation.save()
    definition = workflow_definition()
    definition["statuses"][3]["on_enter"] = [{
        "type": "generate_document", "title": "Attestation de dépôt",
        "template": "Nous attestons que {{ demandeur.prenom }} {{ demandeur.nom }} a déposé la demande "
                    "{{ demande.code }} ({{ demande.demarche }}).\n\nMotif : {{ reponses.motif }}. "
                    "Champ absent : [{{ reponses.absent }}]",
    }]
    version = make_version(organisation, service, definition, slug="doc")
    request = make_request(version, citizen)
    engine.start(request, None)
    engine.press(request, "accepter", agent)
    attachment = Attachment.objects.get(request=request)
    assert attachment.source == Attachment.Source.GENERATED and attachment.content_type == "application/pdf"
    with attachment.file.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF") and attachment.size == len(data)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)
    assert "Attestation de dépôt" in text
    assert f"Camille Martin a déposé la demande {request.tracking_code} (Acte de naissance)" in text
    assert "Motif : naissance" in text and "Champ absent : []" in text
    assert "Saint-Aubin" in text  # letterhead
    event = RequestEvent.objects.get(request=request, kind="document_generated")
    assert event.visible_to_citizen and event.data["attachment"] == attachment.pk


class Hook(http.server.BaseHTTPRequestHandler):
    received = []
    fail_first = 1

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        header = self.headers.get("X-Guichet-Signature", "")
        parts = dict(part.split("=", 1) for part in header.split(","))
        expected = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(expected, parts.get("v1", ""))
        type(self).received.append((json.loads(body), ok))
        if not ok:
            status, answer = 401, b"mauvaise signature"
        elif type(self).fail_first > 0:
            type(self).fail_first -= 1
            status, answer = 503, b"indisponible"
        else:
            status, answer = 200, b'{"ok": true}' + b"x" * 5000
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def hook_server():
    Hook.received = []
    Hook.fail_first = 1
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_webhook_is_signed_retried_and_its_responses_recorded(organisation, service, citizen, agent, hook_server):
    definition = workflow_definition()
    definition["statuses"][0]["buttons"][0]["actions"].insert(
        0, {"type": "webhook", "url": hook_server, "secret": SECRET})
    version = make_version(organisation, service, definition, slug="hook")
    request = make_request(version, citizen)
    engine.start(request, None)
    give_answer(request, agent)
    run_ready_jobs()  # the answer's e-mail
    engine.press(request, "accepter", agent)
    assert run_ready_jobs() == 1  # first try: 503, a retry is scheduled later
    assert len(Hook.received) == 1
    make_delayed_jobs_due()
    assert run_ready_jobs() == 1
    assert len(Hook.received) == 2
    payload, signed = Hook.received[-1]
    assert signed
    assert payload["request"] == request.tracking_code and payload["procedure"] == "hook"
    assert payload["status"] == "recue" and payload["data"] == {"motif": "naissance", "prenom": "Léa"}
    responses = [e for e in RequestEvent.objects.filter(request=request, kind="webhook") if "status" in e.data]
    assert [e.data["status"] for e in responses] == [503, 200]
    assert len(responses[-1].data["body"]) == 2048
    make_delayed_jobs_due()
    assert run_ready_jobs() == 0  # done: no further call


def test_signature_format():
    assert signature("secret", b"{}", 1700000000) == "t=1700000000,v1=" + hmac.new(
        b"secret", b"1700000000.{}", hashlib.sha256).hexdigest()


def test_set_deadline_in_working_days(organisation, service, citizen, agent, monkeypatch):
    import datetime

    from django.utils import timezone

    definition = workflow_definition()
    definition["statuses"][0]["buttons"][0]["actions"].insert(0, {"type": "set_deadline", "days": 3,
                                                                  "working_days": True})
    version = make_version(organisation, service, definition, slug="ouvres")
    request = make_request(version, citizen)
    engine.start(request, None)
    friday = datetime.date(2026, 12, 24)  # Thursday 24, Friday 25 is Christmas
    monkeypatch.setattr(timezone, "localdate", lambda *args: friday)
    give_answer(request, agent)
    engine.press(request, "accepter", agent)
    request.refresh_from_db()
    assert request.deadline == datetime.date(2026, 12, 30)  # 28, 29, 30
