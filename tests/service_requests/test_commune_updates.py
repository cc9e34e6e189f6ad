"""An intercommunal body keeps the mayor's office of the member commune concerned informed of a request's
progress, when the procedure says so: by e-mail, through the job queue, recorded in the timeline for agents."""

import pytest
from django.core import mail

from guichet.background.testing import run_ready_jobs
from guichet.service_requests import commune_updates
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import create_request, submit
from guichet.workflows import engine
from tests.conftest import make_agent, make_citizen, make_organisation, make_service
from tests.service_requests.conftest import WORKFLOW, make_procedure

pytestmark = pytest.mark.django_db

FORM = {"pages": [{"id": "lieu", "title": "Où ?", "condition": None, "fields": [
    {"id": "adresse", "type": "address", "label": "Adresse du problème", "required": False},
    {"id": "precisions", "type": "textarea", "label": "Précisions", "required": False},
]}]}


@pytest.fixture
def communes(organisation, other_organisation):
    organisation.email = "mairie@saint-aubin.example.org"
    organisation.save()
    return organisation, other_organisation  # Montclair has no e-mail address


@pytest.fixture
def epci_service(epci):
    return make_service(epci, name="Voirie intercommunale", slug="voirie")


@pytest.fixture
def epci_agent(epci, epci_service):
    return make_agent(epci, email="agent@val-fleuri.example.org", services=[epci_service])


@pytest.fixture
def procedure(epci, epci_service):
    procedure = make_procedure(epci, epci_service, slug="signalement", title="Signaler un problème de voirie",
                               form=FORM, workflow=WORKFLOW)
    procedure.inform_member_commune = True
    procedure.save()
    return procedure


def send_request(procedure, city="Saint-Aubin", postcode="54470", citizen=None, **answers):
    citizen = citizen or make_citizen(procedure.organisation, email=f"usager-{ServiceRequest.objects.count()}@ex.org")
    answers.setdefault("adresse", {"street": "3 rue des Lilas", "postcode": postcode, "city": city})
    draft = create_request(organisation=procedure.organisation, version=procedure.current_version,
                           procedure=procedure, citizen=citizen, data=answers)
    service_request, sent = submit(draft, citizen)
    assert sent
    return service_request


def informed_events(service_request):
    return list(service_request.events.filter(kind=RequestEvent.Kind.COMMUNE_INFORMED).order_by("pk"))


def commune_mails(address="mairie@saint-aubin.example.org"):
    return [message for message in mail.outbox if address in message.to]


def test_every_step_is_sent_to_the_commune_concerned(procedure, communes, epci_agent):
    service_request = send_request(procedure)
    mail.outbox.clear()
    run_ready_jobs()
    # Sent, then its first status, in one transaction: one e-mail with both steps.
    [message] = commune_mails()
    assert message.subject == f"Saint-Aubin : demande {service_request.tracking_code} — statut « Reçue »"
    assert "Signaler un problème de voirie" in message.body and "3 rue des Lilas, 54470 Saint-Aubin" in message.body
    assert "demande envoyée" in message.body and "statut « Reçue »" in message.body
    assert "Camille" not in message.body and "usager-" not in message.body  # no personal data of the citizen
    [event] = informed_events(service_request)
    assert not event.visible_to_citizen
    assert event.data["commune"] == "Saint-Aubin" and event.data["found_in"] == "district" and event.data["sent"]
    assert "Mairie de Saint-Aubin informée par courriel (mairie@saint-aubin.example.org)" in event.text

    # An internal status is not sent; the next visible one, the answer and the closing are.
    engine.press(service_request, "instruire", epci_agent)
    assert run_ready_jobs() == 0 and commune_mails() == [message]  # not even queued
    from guichet.service_requests.messaging import post_agent_message

    post_agent_message(service_request, epci_agent, "Nous intervenons jeudi.", answer=True)
    run_ready_jobs()
    assert "réponse écrite envoyée à l'usager" in commune_mails()[-1].body
    engine.press(service_request, "accepter", epci_agent)
    run_ready_jobs()
    assert "statut « Acceptée » (demande close)" in commune_mails()[-1].body
    assert len(commune_mails()) == 3 and len(informed_events(service_request)) == 3
    # Jobs run twice (a worker that died): nothing sent twice.
    commune_updates.inform_member_commune.call(service_request.pk)
    assert len(commune_mails()) == 3


def test_commune_found_from_address_insee_code_or_citizen_city(procedure, communes, epci):
    by_name = send_request(procedure, city="ST AUBIN", postcode="54470")
    run_ready_jobs()
    assert informed_events(by_name)[0].data["commune"] == "Saint-Aubin"
    # No address in the answers: the city of the citizen's account.
    citizen = make_citizen(epci, email="leo@example.org", city="Saint-Aubin")
    from_citizen = send_request(procedure, citizen=citizen, adresse={})
    run_ready_jobs()
    assert informed_events(from_citizen)[0].data["found_in"] == "citizen"
    # A district given as the commune's INSEE code.
    by_code = ServiceRequest.objects.get(pk=from_citizen.pk)
    assert commune_updates.member_commune_of(by_code)[0].name == "Saint-Aubin"
    by_code.district, by_code.citizen = "54380", None
    assert commune_updates.member_commune_of(by_code) == (communes[1], "district")


def test_no_procedure_flag_means_nothing(procedure, communes):
    procedure.inform_member_commune = False
    procedure.save()
    service_request = send_request(procedure)
    run_ready_jobs()
    assert commune_mails() == [] and informed_events(service_request) == []


def test_commune_without_email_is_recorded_not_crashed(procedure, communes):
    service_request = send_request(procedure, city="Montclair", postcode="54380")
    run_ready_jobs()
    assert not any("montclair" in " ".join(message.to) for message in mail.outbox)
    [event] = informed_events(service_request)
    assert event.data["sent"] is False and event.data["commune"] == "Montclair"
    assert "Mairie de Montclair non informée : la commune n'a pas d'adresse électronique" in event.text
    # An address set later (the mayor's office's own one first) gets the next steps.
    montclair = communes[1]
    montclair.email = "accueil@montclair.example.org"
    montclair.settings = {"mayor_office_email": "cabinet@montclair.example.org"}
    montclair.save()
    mail.outbox.clear()
    engine.enter_status(service_request, "recue", None)
    run_ready_jobs()
    assert [message.to for message in mail.outbox if "montclair" in " ".join(message.to)] == [
        ["cabinet@montclair.example.org"]]


def test_commune_outside_the_body_means_nothing(procedure, communes, organisation):
    make_organisation("ailleurs", "Ailleurs", insee_code="54999")  # a commune, member of no intercommunality
    organisation.is_active = False  # an inactive member is no longer written to either
    organisation.save()
    for city in ("Ailleurs", "Saint-Aubin", "Nancy"):
        service_request = send_request(procedure, city=city, postcode="54000")
        run_ready_jobs()
        assert informed_events(service_request) == []
    assert not commune_mails() and not any("Ailleurs" in message.subject for message in mail.outbox)


def test_a_commune_procedure_never_informs(organisation, service, citizen):
    procedure = make_procedure(organisation, service, slug="commune", form=FORM)
    procedure.inform_member_commune = True  # cannot be set from the pages of a commune, but even if it were
    procedure.save()
    send_request(procedure, citizen=citizen)
    run_ready_jobs()
    assert not RequestEvent.objects.filter(kind=RequestEvent.Kind.COMMUNE_INFORMED).exists()


def test_rolled_back_step_sends_nothing(procedure, communes, epci_agent):
    service_request = send_request(procedure)
    run_ready_jobs()
    mail.outbox.clear()
    with pytest.raises(engine.WorkflowError):
        # A final status without a written answer is refused: the status change is rolled back with its job.
        engine.enter_status(service_request, "acceptee", epci_agent)
    assert run_ready_jobs() == 0 and mail.outbox == []


def test_setting_offered_to_intercommunal_bodies_only(epci, organisation, procedure):
    from guichet.procedures.forms import ProcedureSettingsForm

    assert "inform_member_commune" in ProcedureSettingsForm(instance=procedure, organisation=epci).fields
    assert "inform_member_commune" not in ProcedureSettingsForm(organisation=organisation).fields
    admin = make_agent(epci, email="admin@val-fleuri.example.org", is_org_admin=True)
    from tests.conftest import client_for

    client = client_for(epci, admin)
    url = f"/agents/admin/demarches/{procedure.pk}/reglages/"
    page = client.get(url)
    assert page.status_code == 200 and "Tenir informée la mairie de la commune concernée" in page.content.decode()
    data = {"title": procedure.title, "slug": procedure.slug, "theme": procedure.theme,
            "short_description": procedure.short_description, "who_may_submit": procedure.who_may_submit,
            "service": procedure.service_id, "deadline_amount": "30", "deadline_unit": "calendar_days",
            "silence_means": "none", "workflow": procedure.workflow_id}
    assert client.post(url, data).status_code == 302  # unticked
    procedure.refresh_from_db()
    assert not procedure.inform_member_commune
    assert client.post(url, {**data, "inform_member_commune": "on"}).status_code == 302
    procedure.refresh_from_db()
    assert procedure.inform_member_commune
