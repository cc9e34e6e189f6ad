"""POST /api/courriels/entrants/: a mail gateway forwards raw messages with the collectivité's secret."""

import pytest
from django.urls import reverse

from guichet.background.testing import run_ready_jobs
from guichet.mailroom.email_in import generate_inbound_secret, revoke_inbound_secret
from guichet.mailroom.models import IncomingMail
from tests.conftest import client_for

from .mail_samples import message

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(organisation, service):
    _endpoint, clear = generate_inbound_secret(organisation, service=service)
    return clear


def post(organisation, body, secret=None, content_type="message/rfc822", **headers):
    if secret is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client_for(organisation).post(reverse("mailroom_api:inbound"), data=body, content_type=content_type,
                                         **headers)


def test_url():
    assert reverse("mailroom_api:inbound") == "/api/courriels/entrants/"


def test_accepted_then_duplicate(organisation, secret, service, django_assert_max_num_queries):
    raw = message(message_id="<fwd-1@example.org>")
    with django_assert_max_num_queries(20):
        response = post(organisation, raw, secret)
    assert response.status_code == 202
    body = response.json()
    mail = IncomingMail.objects.get()
    assert body["status"] == "accepted" and body["registry_number"] == mail.registry_number
    assert mail.source == IncomingMail.Source.INBOUND and mail.service == service
    assert mail.raw.read() == raw
    again = post(organisation, raw, secret)
    assert again.status_code == 200
    assert again.json() == {**body, "status": "duplicate"}
    assert IncomingMail.objects.count() == 1
    run_ready_jobs()
    mail.refresh_from_db()
    assert mail.state == IncomingMail.State.TO_QUALIFY


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer faux", "Basic dXNlcjpwYXNz", "gcm_x"])
def test_unauthenticated_is_401(organisation, secret, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = post(organisation, message(), **headers)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not IncomingMail.objects.exists()


def test_secret_of_a_on_b_host_is_401(organisation, other_organisation, secret):
    response = post(other_organisation, message(), secret)
    assert response.status_code == 401
    assert not IncomingMail.objects.exists()


def test_revoked_or_replaced_secret_is_refused(organisation, secret):
    _endpoint, new = generate_inbound_secret(organisation)
    assert post(organisation, message(), secret).status_code == 401
    assert post(organisation, message(), new).status_code == 202
    revoke_inbound_secret(organisation)
    assert post(organisation, message(), new).status_code == 401


def test_without_endpoint_every_secret_is_refused(organisation):
    assert post(organisation, message(), "gcm_").status_code == 401


def test_empty_body_is_400(organisation, secret):
    response = post(organisation, b"", secret)
    assert response.status_code == 400
    assert "vide" in response.json()["detail"]


@pytest.mark.parametrize("body", [b"bonjour, ceci n'est pas un courriel", b"%PDF-1.4\n...", b'{"a": 1}', b"\r\n\r\n"])
def test_not_a_message_is_400(organisation, secret, body):
    response = post(organisation, body, secret)
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not IncomingMail.objects.exists()


def test_wrong_content_type_is_415(organisation, secret):
    response = post(organisation, message(), secret, content_type="application/json")
    assert response.status_code == 415
    assert "message/rfc822" in response.json()["detail"]


def test_too_big_is_413(organisation, secret, settings):
    settings.GUICHET_MAIL_MAX_BYTES = 2000
    response = post(organisation, message(body="x" * 5000), secret)
    assert response.status_code == 413
    assert "Mo" in response.json()["detail"]
    assert not IncomingMail.objects.exists()


def test_get_is_405(organisation, secret):
    response = client_for(organisation).get(reverse("mailroom_api:inbound"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 405


def test_malformed_mime_accepted_and_kept(organisation, secret):
    raw = (b"From: a@example.org\r\nSubject: casse\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
           b"texte\r\n")
    assert post(organisation, raw, secret).status_code == 202
    run_ready_jobs()
    mail = IncomingMail.objects.get()
    assert mail.state == IncomingMail.State.TO_QUALIFY and mail.processing_error


def test_tracking_code_lands_on_the_request(organisation, secret, service_request):
    raw = message(subject=f"Complément {service_request.tracking_code}", body="Le document manquant.")
    assert post(organisation, raw, secret).status_code == 202
    run_ready_jobs()
    mail = IncomingMail.objects.get()
    assert mail.state == IncomingMail.State.ATTACHED and mail.request == service_request


def test_file_storage_down_is_503_and_nothing_half_stored(organisation, secret):
    from unittest import mock

    from guichet.service_requests.storage import get_private_storage

    with mock.patch.object(get_private_storage(), "save", side_effect=OSError("disque plein")):
        response = post(organisation, message(message_id="<disk@example.org>"), secret)
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert "renvoyez-le plus tard" in response.json()["detail"]
    assert not IncomingMail.objects.exists()
    assert post(organisation, message(message_id="<disk@example.org>"), secret).status_code == 202
