"""'Mon compte': showing and editing the citizen's details, and changing the e-mail address."""

import datetime
import time
from unittest import mock

from django.forms.models import model_to_dict
from django.utils import timezone

from guichet.accounts.models import User
from guichet.accounts.tokens import make_email_change_token
from guichet.households.models import HouseholdMember
from guichet.oidc.models import ExternalIdentity, IdentityProvider
from tests.accounts.conftest import link_in, path_of, profile_data
from tests.conftest import client_for, host_of, make_citizen

EDIT = "/compte/modifier/"


def test_anonymous_is_redirected_and_agents_are_refused(agent_client, visitor):
    for url in ("/compte/", EDIT, "/compte/supprimer/"):
        response = visitor.get(url)
        assert response.status_code == 302 and response.url.startswith("/compte/connexion/?next=")
        assert agent_client.get(url).status_code == 403


def test_another_collectivites_session_is_worth_nothing_here(other_organisation, organisation):
    stranger = make_citizen(other_organisation, email="voisin@example.org")
    client = client_for(other_organisation, stranger)
    client.defaults["HTTP_HOST"] = host_of(organisation)
    assert client.get("/compte/").status_code == 302


def test_profile_shows_details_household_and_identities(organisation, citizen, citizen_client):
    citizen.phone = "+33612345678"
    citizen.birth_date = datetime.date(1985, 4, 12)
    citizen.address_line, citizen.postcode, citizen.city = "3 rue des Lilas", "54470", "Saint-Aubin"
    citizen.save()
    HouseholdMember.objects.create(
        organisation=organisation, citizen=citizen, relationship="child", first_name="Jules", last_name="Martin",
        birth_date=datetime.date(2015, 6, 1),
    )
    provider = IdentityProvider.objects.create(
        organisation=organisation, name="FranceConnect", slug="franceconnect", issuer="https://fc.example",
        client_id="abc",
    )
    ExternalIdentity.objects.create(organisation=organisation, user=citizen, provider=provider, subject="sub-1")

    response = citizen_client.get("/compte/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Mon compte — Saint-Aubin</title>" in content
    assert "06 12 34 56 78" in content
    assert "12 avril 1985" in content
    assert "3 rue des Lilas<br>54470 Saint-Aubin" in content
    assert "Jules Martin (enfant, né(e) le 1 juin 2015)" in content
    assert "FranceConnect, lié le" in content


def test_edit_profile(citizen, citizen_client):
    data = profile_data(
        citizen, civility="m", first_name="Camille", last_name="Dupont", birth_date="1990-02-03",
        phone="06 12 34 56 78", address_line="3 rue des Lilas", address_complement="Bât. B", postcode="54470",
        city="Saint-Aubin", preferred_channel="letter",
    )
    page = citizen_client.get(EDIT).content.decode()
    assert "<title>Modifier mes informations — Saint-Aubin</title>" in page
    response = citizen_client.post(EDIT, data)
    assert response.status_code == 302 and response.url == "/compte/"
    citizen.refresh_from_db()
    assert citizen.last_name == "Dupont" and citizen.civility == "m"
    assert citizen.birth_date == datetime.date(1990, 2, 3)
    assert citizen.phone.as_e164 == "+33612345678"
    assert (citizen.address_complement, citizen.postcode, citizen.preferred_channel) == ("Bât. B", "54470", "letter")
    # The phone is shown back in national format in the form.
    assert 'value="06 12 34 56 78"' in citizen_client.get(EDIT).content.decode()

    sms = citizen_client.post(EDIT, {**data, "preferred_channel": "sms"})
    assert sms.status_code == 302
    overseas = citizen_client.post(EDIT, {**data, "phone": "0692 12 34 56"})  # La Réunion
    assert overseas.status_code == 302
    citizen.refresh_from_db()
    assert citizen.phone.as_e164 == "+262692123456"
    assert "0692 12 34 56" in citizen_client.get("/compte/").content.decode()


def assert_refused(client, user, data, message):
    before = model_to_dict(User.objects.get(pk=user.pk))
    response = client.post(EDIT, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content, content
    assert 'class="error-summary"' in content
    assert model_to_dict(User.objects.get(pk=user.pk)) == before


def test_bad_phones(citizen, citizen_client):
    message = "Indiquez un numéro de téléphone français valide, par exemple 06 12 34 56 78."
    for phone in ("12345", "+44 20 7946 0958", "06 12 34"):
        assert_refused(citizen_client, citizen, profile_data(citizen, phone=phone), message)


def test_future_birth_date(citizen, citizen_client):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert_refused(
        citizen_client, citizen, profile_data(citizen, birth_date=tomorrow.isoformat()),
        "La date de naissance ne peut pas être dans le futur.",
    )
    assert_refused(
        citizen_client, citizen, profile_data(citizen, birth_date="31/02/1990"), "Saisissez une date valide.",
    )


def test_bad_postcode(citizen, citizen_client):
    assert_refused(
        citizen_client, citizen, profile_data(citizen, postcode="5447"), "Le code postal compte 5 chiffres",
    )


def test_channel_needs_the_matching_details(citizen, citizen_client):
    assert_refused(
        citizen_client, citizen, profile_data(citizen, preferred_channel="sms"),
        "Pour être contacté par SMS, indiquez un numéro de téléphone.",
    )
    assert_refused(
        citizen_client, citizen,
        profile_data(citizen, preferred_channel="letter", address_line="3 rue des Lilas", city="Saint-Aubin"),
        "Pour être contacté par courrier postal, indiquez votre adresse complète",
    )


def test_names_are_required(citizen, citizen_client):
    assert_refused(citizen_client, citizen, profile_data(citizen, first_name=""), "Ce champ est obligatoire.")


def test_changing_the_email_needs_confirmation_of_the_new_address(organisation, citizen, citizen_client, outbox):
    response = citizen_client.post(EDIT, profile_data(citizen, email="Camille.Nouvelle@example.org"))
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.email == "camille.martin@example.org" and citizen.email_confirmed
    assert "Un lien de confirmation a été envoyé à camille.nouvelle@example.org" in (
        citizen_client.get("/compte/").content.decode()
    )

    to_new, notice = outbox
    assert to_new.to == ["camille.nouvelle@example.org"]
    assert to_new.subject == "Saint-Aubin : confirmez votre nouvelle adresse électronique"
    assert notice.to == ["camille.martin@example.org"]
    assert "camille.nouvelle@example.org" in notice.body

    path = path_of(link_in(to_new), host_of(organisation))
    response = citizen_client.get(path)
    assert response.status_code == 302 and response.url == "/compte/"
    citizen.refresh_from_db()
    assert citizen.email == "camille.nouvelle@example.org" and citizen.email_confirmed

    used = citizen_client.get(path)
    assert used.status_code == 400
    assert "Lien de changement d'adresse non valable" in used.content.decode()


def test_changing_to_an_address_already_used_is_refused(organisation, citizen, citizen_client, outbox):
    make_citizen(organisation, email="deja.pris@example.org")
    assert_refused(
        citizen_client, citizen, profile_data(citizen, email="Deja.Pris@example.org"),
        "Un compte existe déjà avec cette adresse électronique.",
    )
    assert_refused(citizen_client, citizen, profile_data(citizen, email="pas-une-adresse"), "adresse de courriel valide")
    assert outbox == []


def test_email_change_link_expired_forged_foreign_or_taken(organisation, other_organisation, citizen, visitor):
    four_days_ago = time.time() - 4 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=four_days_ago):
        expired = make_email_change_token(citizen, "nouvelle@example.org")
    assert visitor.get(f"/compte/adresse/confirmer/{expired}/").status_code == 400
    assert visitor.get("/compte/adresse/confirmer/pas-un-jeton/").status_code == 400

    token = make_email_change_token(citizen, "nouvelle@example.org")
    assert client_for(other_organisation).get(f"/compte/adresse/confirmer/{token}/").status_code == 400
    make_citizen(organisation, email="nouvelle@example.org")
    assert visitor.get(f"/compte/adresse/confirmer/{token}/").status_code == 400
    citizen.refresh_from_db()
    assert citizen.email == "camille.martin@example.org"


def test_email_change_link_works_without_a_session(organisation, citizen, visitor):
    token = make_email_change_token(citizen, "nouvelle@example.org")
    response = visitor.get(f"/compte/adresse/confirmer/{token}/")
    assert response.status_code == 302 and response.url == "/compte/connexion/"
    citizen.refresh_from_db()
    assert citizen.email == "nouvelle@example.org"
