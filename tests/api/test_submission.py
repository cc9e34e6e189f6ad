"""guichet.api.submission.submit_answers: JSON answers → a submitted request, with the web form's checks."""

import base64

import pytest

from guichet.api.submission import SubmissionRefused, submit_answers
from guichet.background.testing import run_ready_jobs
from guichet.service_requests.models import Attachment, RequestEvent, ServiceRequest
from tests.api.requests_fixtures import *  # noqa: F403
from tests.api.requests_fixtures import PNG, make_citizen, valid_answers

pytestmark = pytest.mark.django_db


def refused(version, answers, **kwargs):
    before = (ServiceRequest.objects.count(), Attachment.objects.count(), RequestEvent.objects.count())
    with pytest.raises(SubmissionRefused) as caught:
        submit_answers(version, answers, **kwargs)
    assert (ServiceRequest.objects.count(), Attachment.objects.count(), RequestEvent.objects.count()) == before
    return caught.value.errors


def test_integration_submits_for_a_contact(api_procedure, integration, mailoutbox):
    client, _headers = integration
    version = api_procedure.current_version
    made = submit_answers(
        version, valid_answers(
            nombre=2, urgent=True, langues=["en", "fr"],
            adresse={"street": "3 rue des Lilas", "postcode": "54470", "city": "Saint-Aubin", "lat": 48.7,
                     "lon": 6.2},
            enfants=[{"prenom_enfant": "Léa", "naissance": "2019-05-02"}],
        ), api_client=client, contact_name="Alex Dupont", contact_email="alex@example.org")
    assert made.is_submitted and made.channel == "api" and made.status == "recue"
    assert made.data["nombre"] == "2" and made.data["urgent"] is True and made.data["langues"] == ["fr", "en"]
    assert made.data["enfants"] == [{"prenom_enfant": "Léa", "naissance": "2019-05-02"}]
    assert made.address == "3 rue des Lilas, 54470 Saint-Aubin" and made.latitude == 48.7
    created = made.events.get(kind=RequestEvent.Kind.CREATED)
    assert created.data["api_client"] == client.pk and created.data["api_client_name"] == client.name
    submitted = made.events.get(kind=RequestEvent.Kind.SUBMITTED)
    assert submitted.data == {"api_client": client.pk, "api_client_name": client.name}
    assert run_ready_jobs() >= 1
    assert any("alex@example.org" in message.to for message in mailoutbox)  # the receipt


def test_integration_submits_for_a_citizen_with_prefill(api_procedure, integration, citizen):
    made = submit_answers(api_procedure.current_version, {"motif": "naissance"}, api_client=integration[0],
                          citizen=citizen, channel="phone")
    assert made.citizen == citizen and made.channel == "phone"
    assert made.data["nom"] == citizen.last_name  # pre-filled from the profile, as on the web


def test_every_error_of_every_page_is_collected(api_procedure, integration):
    errors = refused(api_procedure.current_version, {
        "nom": "", "motif": "mariage", "date_mariage": "14/07/2025", "nombre": 9, "urgent": "peut-être",
        "langues": ["de"], "adresse": {"street": "1 rue", "postcode": "abc", "city": "X"}, "inconnu": 1,
        "enfants": [{"naissance": "2019-01-01"}],
    }, api_client=integration[0], contact_name="A", contact_email="a@example.org")
    assert errors["nom"] == "Ce champ est obligatoire."
    assert errors["prenom"] == "Ce champ est obligatoire."
    assert "AAAA-MM-JJ" in errors["date_mariage"]
    assert "inférieur" in errors["nombre"]
    assert "true" in errors["urgent"]
    assert errors["langues"]
    assert errors["adresse.postcode"]
    assert errors["enfants.0.prenom_enfant"] == "Ce champ est obligatoire."
    assert errors["inconnu"] == "Ce champ n'existe pas dans le formulaire de la démarche."


def test_conditional_page_is_required_only_when_shown(api_procedure, integration):
    version = api_procedure.current_version
    errors = refused(version, valid_answers(motif="mariage"), api_client=integration[0], contact_name="A",
                     contact_email="a@example.org")
    assert errors == {"date_mariage": "Ce champ est obligatoire."}
    made = submit_answers(version, valid_answers(date_mariage="2020-02-30"[:8] + "10"), api_client=integration[0],
                          contact_name="A", contact_email="a@example.org")
    assert "date_mariage" not in made.data  # hidden page: its answer is dropped


@pytest.mark.parametrize("answers, key", [
    ({"nom": 12}, "nom"), ({"motif": ["naissance"]}, "motif"), ({"nombre": True}, "nombre"),
    ({"langues": "fr"}, "langues"), ({"adresse": "1 rue"}, "adresse"), ({"adresse": {"rue": "x"}}, "adresse"),
    ({"enfants": {"prenom_enfant": "x"}}, "enfants"), ({"enfants": [{"x": 1}]}, "enfants"),
    ({"date_mariage": "2025-02-30", "motif": "mariage"}, "date_mariage"),
    ({"justificatif": "abc"}, "justificatif"), ({"justificatif": [{"filename": "a.pdf", "content_base64": "@@"}]},
                                                "justificatif"),
])
def test_wrong_types_are_refused_in_french(api_procedure, integration, answers, key):
    errors = refused(api_procedure.current_version, valid_answers(**answers), api_client=integration[0],
                     contact_name="A", contact_email="a@example.org")
    assert key in errors and errors[key]


def test_answers_must_be_an_object(api_procedure, integration):
    errors = refused(api_procedure.current_version, ["nom"], api_client=integration[0], contact_name="A",
                     contact_email="a@example.org")
    assert "objet" in errors["__all__"]


def test_files_in_base64(api_procedure, integration):
    content = base64.b64encode(PNG).decode()
    made = submit_answers(api_procedure.current_version, valid_answers(
        justificatif=[{"filename": "photo.png", "content_base64": content}]), api_client=integration[0],
        contact_name="A", contact_email="a@example.org")
    attachment = Attachment.objects.get(request=made)
    assert made.data["justificatif"] == [attachment.pk] and attachment.field_id == "justificatif"
    errors = refused(api_procedure.current_version, valid_answers(
        justificatif=[{"filename": "x.pdf", "content_base64": base64.b64encode(b"not a pdf").decode()}]),
        api_client=integration[0], contact_name="A", contact_email="a@example.org")
    assert "type de fichier" in errors["justificatif"]


def test_extra_files_and_location(anyone_procedure, integration):
    made = submit_answers(anyone_procedure.current_version, {"description": "Nid-de-poule"},
                          api_client=integration[0], contact_name="A", contact_email="a@example.org",
                          location={"address": "Rue Haute", "latitude": 48.1, "longitude": 6.5},
                          files=[("photo.png", PNG)])
    made.refresh_from_db()
    assert (made.address, made.latitude, made.longitude) == ("Rue Haute", 48.1, 6.5)
    assert made.attachments.count() == 1
    assert refused(anyone_procedure.current_version, {"description": "x"}, api_client=integration[0],
                   contact_name="A", contact_email="a@example.org",
                   location={"latitude": 100, "longitude": 0})["location"]


def test_contact_required_without_citizen(anyone_procedure, integration):
    errors = refused(anyone_procedure.current_version, {"description": "x"}, api_client=integration[0],
                     contact_email="pas-une-adresse")
    assert errors["contact_name"] and "valide" in errors["contact_email"]


def test_channel(anyone_procedure, integration, citizen):
    assert "channel" in refused(anyone_procedure.current_version, {"description": "x"}, api_client=integration[0],
                                channel="pigeon", contact_name="A", contact_email="a@example.org")
    assert "channel" in refused(anyone_procedure.current_version, {"description": "x"}, citizen=citizen,
                                channel="phone")


def test_citizen_for_themselves(api_procedure, agents_procedure, citizen):
    made = submit_answers(api_procedure.current_version, valid_answers(), citizen=citizen)
    assert made.citizen == citizen and made.channel == "web" and made.entered_by is None
    ServiceRequest.objects.all().delete()
    assert "accueil" in refused(agents_procedure.current_version, valid_answers(), citizen=citizen)["__all__"]


def test_integration_may_submit_agents_only_procedures(agents_procedure, integration, citizen):
    made = submit_answers(agents_procedure.current_version, valid_answers(), api_client=integration[0],
                          citizen=citizen, channel="counter")
    assert made.is_submitted


def test_citizen_of_another_collectivite(api_procedure, integration, other_organisation):
    stranger = make_citizen(other_organisation, email="autre@example.org")
    assert "citizen" in refused(api_procedure.current_version, valid_answers(), api_client=integration[0],
                                citizen=stranger)


def test_revoked_or_foreign_client(api_procedure, integration, other_integration):
    from guichet.api_clients.services import revoke_client

    assert "__all__" in refused(api_procedure.current_version, valid_answers(), api_client=other_integration[0],
                                contact_name="A", contact_email="a@example.org")
    revoke_client(integration[0])
    integration[0].refresh_from_db()
    assert "__all__" in refused(api_procedure.current_version, valid_answers(), api_client=integration[0],
                                contact_name="A", contact_email="a@example.org")


def test_unpublished_version(api_procedure, integration):
    api_procedure.state = api_procedure.State.DRAFT
    api_procedure.save()
    assert "publiée" in refused(api_procedure.current_version, valid_answers(), api_client=integration[0],
                                contact_name="A", contact_email="a@example.org")["__all__"]
