"""« L'expéditeur a-t-il déjà une fiche ? » : a letter linked to the citizen record its writer already has, so that
the request made from it is theirs (no second record) and the letter shows in their history."""

import html

import pytest

from guichet.citizen_records.history import citizen_history
from guichet.mailroom.models import IncomingMail
from guichet.service_requests.models import ServiceRequest
from tests.conftest import client_for, make_citizen
from tests.mailroom.test_core_qualify import BASE, FORM, letter, post
from tests.service_requests.conftest import make_procedure

pytestmark = pytest.mark.django_db


@pytest.fixture
def durand(organisation):
    return make_citizen(organisation, email="sans-courriel-1@guichet.invalid", first_name="Jean", last_name="Durand",
                        address_line="3 rue des Tilleuls", postcode="54470", city="Saint-Aubin")


def page(client, mail, **query):
    return html.unescape(client.get(f"{BASE}{mail.pk}/", query).content.decode())


def test_a_letter_linked_to_an_existing_record_becomes_that_citizens_request(make_mail, organisation, service,
                                                                              agent, durand):
    procedure = make_procedure(organisation, service, slug="signalement", title="Signaler un problème", form=FORM)
    scanned = letter(make_mail)
    assert scanned.citizen is None
    client = client_for(organisation, agent)
    shown = page(client, scanned)  # searched by the sender's name as the scan gave it
    assert "L'expéditeur a-t-il déjà une fiche ?" in shown and "Jean Durand" in shown and "Tilleuls" in shown
    response = client.post(f"{BASE}{scanned.pk}/expediteur/", {"citizen": durand.pk,
                                                                "lock_version": scanned.lock_version})
    assert response.status_code == 302
    scanned.refresh_from_db()
    assert scanned.citizen == durand and scanned.state == IncomingMail.State.TO_QUALIFY
    assert "La demande sera faite pour le compte de Jean Durand." in page(client, scanned)
    assert post(client, scanned, "creer-demande", "creer", version=procedure.current_version_id).status_code == 302
    draft = ServiceRequest.objects.get()
    assert draft.citizen == durand and draft.channel == ServiceRequest.Channel.POSTAL
    assert ServiceRequest.objects.count() == 1 and type(durand).objects.filter(last_name="Durand").count() == 1
    assert any(item.kind == "mail" for item in citizen_history(organisation, durand))


def test_searching_another_name_and_nothing_found(make_mail, organisation, agent, durand):
    scanned = letter(make_mail, sender_name="")
    client = client_for(organisation, agent)
    assert "Jean Durand" not in page(client, scanned)  # no name read: nothing proposed
    assert "Jean Durand" in page(client, scanned, expediteur="durand")
    assert "Aucune fiche ne correspond à « Zorglub »." in page(client, scanned, expediteur="Zorglub")


def test_another_collectivites_citizen_a_stale_form_or_a_handled_letter_are_refused(
        make_mail, organisation, other_organisation, agent, durand):
    scanned = letter(make_mail)
    client = client_for(organisation, agent)
    stranger = make_citizen(other_organisation, email="jean.durand@example.org", first_name="Jean",
                            last_name="Durand")
    response = client.post(f"{BASE}{scanned.pk}/expediteur/", {"citizen": stranger.pk,
                                                                "lock_version": scanned.lock_version})
    assert response.status_code == 409 and "Choisissez un usager de la collectivité." in html.unescape(
        response.content.decode())
    response = client.post(f"{BASE}{scanned.pk}/expediteur/", {"citizen": "pas-un-nombre", "lock_version": "x"})
    assert response.status_code == 409
    response = client.post(f"{BASE}{scanned.pk}/expediteur/", {"citizen": durand.pk,
                                                                "lock_version": scanned.lock_version + 1})
    assert response.status_code == 409 and "modifié par quelqu'un d'autre" in html.unescape(
        response.content.decode())
    scanned.refresh_from_db()
    assert scanned.citizen is None
    IncomingMail.objects.filter(pk=scanned.pk).update(state=IncomingMail.State.FILED)
    response = client.post(f"{BASE}{scanned.pk}/expediteur/", {"citizen": durand.pk,
                                                                "lock_version": scanned.lock_version})
    assert response.status_code == 409 and "déjà été traité" in html.unescape(response.content.decode())


def test_citizens_and_other_collectivites_agents_cannot_identify(make_mail, organisation, other_organisation,
                                                                 citizen, durand):
    from tests.conftest import make_agent

    scanned = letter(make_mail)
    data = {"citizen": durand.pk, "lock_version": scanned.lock_version}
    assert client_for(organisation, citizen).post(f"{BASE}{scanned.pk}/expediteur/", data).status_code == 403
    outsider = make_agent(other_organisation, email="agent@montclair.example.org", is_org_admin=True)
    assert client_for(other_organisation, outsider).post(f"{BASE}{scanned.pk}/expediteur/", data).status_code == 404
    scanned.refresh_from_db()
    assert scanned.citizen is None
