"""Agents' request pages: the queue (more in tests/queues), a request's page, buttons, notes, checked documents."""

import datetime
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guichet.agents.models import Membership
from guichet.documents.models import CitizenDocument
from guichet.documents.types import add_months
from guichet.service_requests.agent_services import record_view
from guichet.service_requests.files import store_uploads
from guichet.service_requests.models import Attachment, RequestEvent, ServiceRequest
from tests.conftest import client_for, make_agent, make_citizen, make_service
from tests.documents.builders import make_request, make_version, pdf_file, png_file


@pytest.fixture
def version(organisation, service):
    return make_version(organisation, service)


@pytest.fixture
def other_service(organisation):
    return make_service(organisation, name="Urbanisme", slug="urbanisme")


@pytest.fixture
def other_version(organisation, other_service):
    return make_version(organisation, other_service, slug="permis", title="Pré-rendez-vous permis de construire")


@pytest.fixture
def service_request(version, citizen):
    service_request = make_request(version, citizen=citizen, data={"nom": "Martin-Duval"})
    proof, errors = store_uploads(service_request, "justificatif", [pdf_file("quittance.pdf")], (("pdf",), 1, 2))
    assert errors == []
    photo, errors = store_uploads(service_request, "photo", [png_file("facade.png")], (("png",), 1, 1))
    assert errors == []
    service_request.data = {"nom": "Martin-Duval", "justificatif": proof, "photo": photo}
    service_request.save(update_fields=["data"])
    return service_request


def detail_url(service_request):
    return reverse("agent_requests:detail", args=[service_request.tracking_code])


def press_url(service_request, button_id):
    return reverse("agent_requests:press", args=[service_request.tracking_code, button_id])


def text(response):
    return html.unescape(response.content.decode())


def list_codes(response):
    return [item.tracking_code for item in response.context["page"].object_list]


# --- the list (the queue, guichet.queues) --------------------------------------------------------------------


def test_agents_see_their_services_requests_newest_first(organisation, other_organisation, version, other_version,
                                                       citizen, agent_client, admin_client_org):
    now = timezone.now()
    older = make_request(version, citizen=citizen)
    ServiceRequest.objects.filter(pk=older.pk).update(submitted_at=now - datetime.timedelta(days=2))
    newer = make_request(version, citizen=citizen)
    elsewhere = make_request(other_version, citizen=citizen)
    make_request(version, citizen=citizen, state="draft")
    montclair_version = make_version(other_organisation, make_service(other_organisation))
    make_request(montclair_version)
    response = agent_client.get(reverse("agent_requests:list"), {"sort": "recent"})
    assert response.status_code == 200
    assert list_codes(response) == [newer.tracking_code, older.tracking_code]
    page = text(response)
    assert "<caption>" in page and "Demande d'acte de naissance" in page and "Reçue" in page
    assert set(list_codes(admin_client_org.get(reverse("agent_requests:list")))) == {
        newer.tracking_code, older.tracking_code, elsewhere.tracking_code,
    }


def test_the_list_filters_by_procedure_and_status(version, other_version, citizen, admin_client_org):
    received = make_request(version, citizen=citizen)
    accepted = make_request(version, citizen=citizen, status="acceptee")
    other = make_request(other_version, citizen=citizen)
    url = reverse("agent_requests:list")
    by_procedure = admin_client_org.get(url, {"procedure": version.procedure_id})
    assert set(list_codes(by_procedure)) == {received.tracking_code, accepted.tracking_code}
    by_status = admin_client_org.get(url, {"status": "acceptee"})
    assert list_codes(by_status) == [accepted.tracking_code]
    both = admin_client_org.get(url, {"procedure": other_version.procedure_id, "status": "recue"})
    assert list_codes(both) == [other.tracking_code]
    page = text(by_status)
    assert '<option value="acceptee" selected>Acceptée</option>' in page


def test_a_bad_filter_value_is_explained_and_shows_nothing(organisation, other_organisation, version, citizen,
                                                          agent_client, other_version):
    make_request(version, citizen=citizen)
    montclair_version = make_version(other_organisation, make_service(other_organisation))
    for params in ({"procedure": montclair_version.procedure_id}, {"procedure": other_version.procedure_id},
                   {"status": "n-existe-pas"}, {"procedure": "abc"}):
        response = agent_client.get(reverse("agent_requests:list"), params)
        assert response.status_code == 200
        assert list_codes(response) == []
        assert "Sélectionnez un choix valide" in text(response)


def test_the_list_is_paginated(version, citizen, agent_client):
    for _ in range(52):
        make_request(version, citizen=citizen)
    first = agent_client.get(reverse("agent_requests:list"))
    assert len(list_codes(first)) == 50
    assert "Page 1 sur 2" in text(first)
    second = agent_client.get(reverse("agent_requests:list"), {"page": 2})
    assert len(list_codes(second)) == 2


def test_the_list_runs_a_constant_number_of_queries(organisation, version, other_version, agent_client):
    citizens = [make_citizen(organisation, email=f"usager{n}@example.org") for n in range(12)]
    make_request(version, citizen=citizens[0])
    agent_client.get(reverse("agent_requests:list"))  # warm-up: the districts' choices are cached a few minutes
    with CaptureQueriesContext(connection) as few:
        assert agent_client.get(reverse("agent_requests:list")).status_code == 200
    for citizen in citizens[1:]:
        make_request(version, citizen=citizen)
        make_request(version, citizen=None, contact_name="Sans compte")
    with CaptureQueriesContext(connection) as many:
        response = agent_client.get(reverse("agent_requests:list"))
    assert len(list_codes(response)) == 23
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_list_is_for_verified_agents_only(organisation, citizen_client):
    assert citizen_client.get(reverse("agent_requests:list")).status_code == 403
    response = client_for(organisation).get(reverse("agent_requests:list"))
    assert response.status_code == 302 and reverse("agents:login") in response["Location"]


# --- a request's page ------------------------------------------------------------------------------------------


def test_the_request_page_shows_data_files_timeline_buttons_and_note_form(service_request, agent_client):
    from guichet.service_requests.services import add_event

    add_event(service_request, "submitted", actor=service_request.citizen, visible_to_citizen=True)
    add_event(service_request, "note", actor=None, text="Appeler la mairie annexe")
    response = agent_client.get(detail_url(service_request))
    assert response.status_code == 200
    page = text(response)
    assert f"Demande {service_request.tracking_code}" in page
    assert "Martin-Duval" in page
    for attachment in service_request.attachments.all():
        assert reverse("attachments:download", args=[attachment.pk]) in page
    # Only the file field with a document type offers to keep the file in the citizen's space.
    keep_forms = [row for row in response.context["attachments"] if row["keep_form"]]
    assert [row["attachment"].original_name for row in keep_forms] == ["quittance.pdf"]
    assert "Vérifié : garder dans l'espace documents de l'usager" in page
    assert keep_forms[0]["keep_form"].initial["valid_until"] == add_months(timezone.localdate(), 3)
    assert "Appeler la mairie annexe" in page and "Interne" in page
    assert [button.id for button, _form in response.context["buttons"]] == ["accepter", "completer"]
    assert press_url(service_request, "accepter") in page
    assert 'name="bouton-completer-message"' in page  # « Demander un complément » asks for the message
    assert 'name="bouton-accepter-message"' not in page
    assert "Ajouter une note interne" in page


def test_viewing_is_traced_once_per_agent_per_hour(service_request, agent, agent_client, admin_client_org, org_admin):
    agent_client.get(detail_url(service_request))
    agent_client.get(detail_url(service_request))
    admin_client_org.get(detail_url(service_request))
    viewed = RequestEvent.objects.filter(request=service_request, kind="viewed")
    assert sorted(event.actor_id for event in viewed) == sorted([agent.pk, org_admin.pk])
    assert not viewed.filter(visible_to_citizen=True).exists()
    assert record_view(service_request, agent, now=timezone.now() + datetime.timedelta(minutes=30)) is None
    assert record_view(service_request, agent, now=timezone.now() + datetime.timedelta(minutes=61)) is not None


def test_pressing_a_button_moves_the_request(service_request, agent_client):
    response = agent_client.post(press_url(service_request, "accepter"), {
        "bouton-accepter-lock_version": service_request.lock_version,
        # « acceptee » is final: the button carries the written answer (guichet.answers).
        "bouton-accepter-reponse": "Votre acte vous sera envoyé par courrier.",
    })
    assert response.status_code == 302 and response["Location"] == detail_url(service_request)
    service_request.refresh_from_db()
    assert service_request.status == "acceptee" and service_request.answered_at is not None
    assert RequestEvent.objects.filter(request=service_request, kind="status_changed", status_to="acceptee").exists()
    page = text(agent_client.get(detail_url(service_request)))
    assert "Action « Accepter » effectuée." in page
    assert press_url(service_request, "accepter") not in page  # a final status has no button


def test_a_button_asking_for_a_message_refuses_an_empty_one(service_request, agent_client):
    before = RequestEvent.objects.count()
    response = agent_client.post(press_url(service_request, "completer"), {
        "bouton-completer-lock_version": service_request.lock_version, "bouton-completer-message": "  ",
    })
    assert response.status_code == 400
    assert "Écrivez ce texte avant de valider." in text(response)
    service_request.refresh_from_db()
    assert not service_request.waiting_for_citizen and RequestEvent.objects.count() == before
    response = agent_client.post(press_url(service_request, "completer"), {
        "bouton-completer-lock_version": service_request.lock_version,
        "bouton-completer-message": "Merci de joindre un justificatif de moins de trois mois.",
    })
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.waiting_for_citizen
    assert service_request.information_request == "Merci de joindre un justificatif de moins de trois mois."


def test_a_second_press_on_a_stale_page_changes_nothing(service_request, agent_client):
    stale = service_request.lock_version
    agent_client.post(press_url(service_request, "completer"), {
        "bouton-completer-lock_version": stale, "bouton-completer-message": "Une pièce manque.",
    })
    events = RequestEvent.objects.count()
    response = agent_client.post(press_url(service_request, "completer"), {
        "bouton-completer-lock_version": stale, "bouton-completer-message": "Une pièce manque.",
    }, follow=True)
    assert "La demande a changé entre-temps" in text(response)
    assert RequestEvent.objects.count() == events + 1  # only the « viewed » trace of the page shown after


def test_an_unknown_or_forbidden_button_changes_nothing(organisation, service, service_request, org_admin):
    # The workflow's buttons are for the service's agents and managers: the org administrator sees the request
    # but may not press them (an elected member does not even see it: 404, tests/dashboards).
    client = client_for(organisation, org_admin)
    page = client.get(detail_url(service_request))
    assert page.status_code == 200 and page.context["buttons"] == []
    response = client.post(press_url(service_request, "accepter"), {"bouton-accepter-lock_version": 0}, follow=True)
    assert "Cette action n'est plus possible" in text(response)
    service_request.refresh_from_db()
    assert service_request.status == "recue"


def test_an_internal_note_is_added_and_an_empty_one_refused(service_request, agent, agent_client):
    url = reverse("agent_requests:note", args=[service_request.tracking_code])
    response = agent_client.post(url, {"text": "   "})
    assert response.status_code == 400
    assert "Écrivez le texte de la note." in text(response)
    assert not RequestEvent.objects.filter(kind="note").exists()
    response = agent_client.post(url, {"text": "Dossier complet, à signer."})
    assert response.status_code == 302
    note = RequestEvent.objects.get(kind="note")
    assert note.actor == agent and note.text == "Dossier complet, à signer." and not note.visible_to_citizen


def test_keeping_a_checked_document_from_the_request_page(service_request, citizen, agent, agent_client):
    attachment = service_request.attachments.get(field_id="justificatif")
    url = reverse("agent_requests:keep_document", args=[service_request.tracking_code, attachment.pk])
    past = timezone.localdate() - datetime.timedelta(days=2)
    response = agent_client.post(url, {f"piece-{attachment.pk}-valid_until": past.isoformat()})
    assert response.status_code == 400
    assert "déjà passée" in text(response)
    assert CitizenDocument.objects.count() == 0
    response = agent_client.post(url, {f"piece-{attachment.pk}-valid_until": "31/02/2027"})
    assert response.status_code == 400 and "Indiquez une date valide" in text(response)
    valid_until = timezone.localdate() + datetime.timedelta(days=80)
    response = agent_client.post(url, {f"piece-{attachment.pk}-valid_until": valid_until.isoformat()})
    assert response.status_code == 302
    document = CitizenDocument.objects.get()
    assert (document.citizen, document.document_type, document.valid_until, document.checked_by) == (
        citizen, "justificatif-domicile", valid_until, agent,
    )
    page = text(agent_client.get(detail_url(service_request)))
    assert "Gardé dans l'espace documents" in page


def test_keeping_is_refused_for_a_file_without_document_type_or_of_another_request(
        version, service_request, citizen, agent_client):
    photo = service_request.attachments.get(field_id="photo")
    url = reverse("agent_requests:keep_document", args=[service_request.tracking_code, photo.pk])
    assert agent_client.post(url, {f"piece-{photo.pk}-valid_until": ""}).status_code == 404
    other_request = make_request(version, citizen=citizen)
    ids, _errors = store_uploads(other_request, "justificatif", [pdf_file()], (("pdf",), 1, 1))
    url = reverse("agent_requests:keep_document", args=[service_request.tracking_code, ids[0]])
    assert agent_client.post(url, {f"piece-{ids[0]}-valid_until": ""}).status_code == 404
    assert CitizenDocument.objects.count() == 0


# --- who may open a request ------------------------------------------------------------------------------------


def all_urls(service_request):
    attachment = Attachment.objects.filter(request=service_request).first()
    code = service_request.tracking_code
    return {
        "get": [detail_url(service_request)],
        "post": [
            reverse("agent_requests:note", args=[code]), press_url(service_request, "accepter"),
            reverse("agent_requests:keep_document", args=[code, attachment.pk]),
        ],
    }


def assert_404_everywhere(client, service_request):
    urls = all_urls(service_request)
    for url in urls["get"]:
        assert client.get(url).status_code == 404, url
    for url in urls["post"]:
        assert client.post(url, {"text": "x", "bouton-accepter-lock_version": 0}).status_code == 404, url


def test_agents_of_another_service_get_404(organisation, other_service, service_request):
    other_agent = make_agent(organisation, email="urba@example.org", services=[other_service],
                             role=Membership.Role.MANAGER)
    assert_404_everywhere(client_for(organisation, other_agent), service_request)
    service_request.refresh_from_db()
    assert service_request.status == "recue"
    assert not RequestEvent.objects.filter(kind__in=["note", "viewed"]).exists()
    assert CitizenDocument.objects.count() == 0


def test_another_collectivite_gets_404(other_organisation, service_request):
    montclair_admin = make_agent(other_organisation, email="admin@montclair.fr", is_org_admin=True)
    assert_404_everywhere(client_for(other_organisation, montclair_admin), service_request)
    assert not RequestEvent.objects.filter(kind__in=["note", "viewed"]).exists()


def test_drafts_and_unknown_codes_are_404(version, citizen, agent_client):
    draft = make_request(version, citizen=citizen, state="draft")
    assert agent_client.get(detail_url(draft)).status_code == 404
    assert agent_client.get(reverse("agent_requests:detail", args=["RQ-0000-0000"])).status_code == 404
    assert agent_client.get(reverse("agent_requests:detail", args=["n-importe-quoi"])).status_code == 404


def test_citizens_and_visitors_are_turned_away(organisation, service_request, citizen_client):
    assert citizen_client.get(detail_url(service_request)).status_code == 403
    response = client_for(organisation).get(detail_url(service_request))
    assert response.status_code == 302 and reverse("agents:login") in response["Location"]


def test_org_admins_open_every_request(organisation, other_version, citizen, admin_client_org):
    other = make_request(other_version, citizen=citizen)
    response = admin_client_org.get(detail_url(other))
    assert response.status_code == 200
    assert [button.id for button, _form in response.context["buttons"]] == []  # admin is not a role here


def test_the_code_is_read_kindly(service_request, agent_client):
    typed = service_request.tracking_code.lower().replace("-", "")
    assert agent_client.get(reverse("agent_requests:detail", args=[typed])).status_code == 200
