"""`/pieces/<id>/`: a request's file goes only to those who may see the request; everybody else gets 404."""

import pytest
from django.urls import reverse

from guichet.agents.models import Membership
from guichet.service_requests.files import store_uploads
from guichet.service_requests.models import Attachment
from guichet.service_requests.services import FOLLOW_SESSION_KEY
from tests.conftest import client_for, make_agent, make_citizen, make_service
from tests.documents.builders import PDF_BYTES, make_request, make_version, pdf_file


def attach(service_request, name="justificatif.pdf"):
    ids, errors = store_uploads(service_request, "justificatif", [pdf_file(name)], (("pdf",), 1, 2))
    assert errors == []
    return Attachment.objects.get(pk=ids[0])


@pytest.fixture
def version(organisation, service):
    return make_version(organisation, service)


@pytest.fixture
def attachment(version, citizen):
    return attach(make_request(version, citizen=citizen))


def url(attachment):
    return reverse("attachments:download", args=[attachment.pk])


def body(response):
    return b"".join(response.streaming_content)


def test_the_citizen_downloads_their_file_as_an_attachment(citizen_client, attachment):
    response = citizen_client.get(url(attachment))
    assert response.status_code == 200
    assert body(response) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "justificatif.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_another_citizen_gets_404(organisation, attachment):
    other = make_citizen(organisation, email="voisin@example.org")
    assert client_for(organisation, other).get(url(attachment)).status_code == 404


def test_agents_of_the_service_and_org_admins_download(organisation, attachment, agent_client, admin_client_org):
    assert agent_client.get(url(attachment)).status_code == 200
    assert admin_client_org.get(url(attachment)).status_code == 200


def test_an_agent_of_another_service_gets_404(organisation, attachment):
    urbanisme = make_service(organisation, name="Urbanisme", slug="urbanisme")
    other_agent = make_agent(organisation, email="urba@example.org", services=[urbanisme], role=Membership.Role.MANAGER)
    assert client_for(organisation, other_agent).get(url(attachment)).status_code == 404


def test_an_agent_without_second_factor_gets_404(organisation, attachment, agent):
    from django.test import Client

    client = Client(HTTP_HOST=f"{organisation.slug}.localhost")
    client.force_login(agent, backend="guichet.accounts.backends.OrganisationBackend")
    assert client.get(url(attachment)).status_code == 404


def test_the_draft_of_a_citizen_is_not_shown_to_agents(organisation, version, citizen, agent_client):
    draft = attach(make_request(version, citizen=citizen, state="draft"))
    assert agent_client.get(url(draft)).status_code == 404
    assert client_for(organisation, citizen).get(url(draft)).status_code == 200


def test_anonymous_visitors_need_the_request_in_their_session(organisation, version, anonymous_client):
    anonymous_request = make_request(version, citizen=None, contact_name="Lou Bernard", contact_email="lou@example.org")
    attachment = attach(anonymous_request)
    assert anonymous_client.get(url(attachment)).status_code == 404
    session = anonymous_client.session
    session[FOLLOW_SESSION_KEY] = ["RQ-0000-0000", anonymous_request.tracking_code]
    session.save()
    assert anonymous_client.get(url(attachment)).status_code == 200


def test_a_session_holding_a_code_does_not_open_a_citizens_request(organisation, attachment, anonymous_client):
    session = anonymous_client.session
    session[FOLLOW_SESSION_KEY] = [attachment.request.tracking_code]
    session.save()
    assert anonymous_client.get(url(attachment)).status_code == 404


def test_another_collectivite_never_sees_the_file(organisation, other_organisation, attachment, citizen):
    montclair_service = make_service(other_organisation)
    montclair_admin = make_agent(other_organisation, email="admin@montclair.fr", services=[montclair_service],
                                 is_org_admin=True)
    assert client_for(other_organisation, montclair_admin).get(url(attachment)).status_code == 404
    # The owner's own session used on the other collectivité's host is anonymous there.
    owner_elsewhere = client_for(organisation, citizen)
    owner_elsewhere.defaults["HTTP_HOST"] = f"{other_organisation.slug}.localhost"
    assert owner_elsewhere.get(url(attachment)).status_code == 404


def test_an_unknown_attachment_is_404(citizen_client):
    assert citizen_client.get(reverse("attachments:download", args=[999999])).status_code == 404


def test_a_file_missing_on_disk_is_404_not_500(citizen_client, attachment):
    attachment.file.storage.delete(attachment.file.name)
    assert citizen_client.get(url(attachment)).status_code == 404

