"""Account deletion: the citizen's personal data is erased, the row is kept anonymised."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.forms.models import model_to_dict

from guichet.accounts.models import User
from guichet.accounts.services import erase_citizen
from guichet.accounts.signals import citizen_erased
from guichet.households.models import HouseholdMember
from guichet.oidc.models import ExternalIdentity, IdentityProvider
from tests.accounts.conftest import signup_data
from tests.conftest import PASSWORD, client_for, make_citizen

DELETE = "/compte/supprimer/"


@pytest.fixture
def full_citizen(organisation, citizen):
    citizen.civility = "mme"
    citizen.birth_date = datetime.date(1985, 4, 12)
    citizen.address_line, citizen.address_complement = "3 rue des Lilas", "Bât. B"
    citizen.postcode, citizen.city = "54470", "Saint-Aubin"
    citizen.phone = "+33612345678"
    citizen.preferred_channel = "sms"
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
    return citizen


def test_wrong_password_changes_nothing(full_citizen, citizen_client):
    page = citizen_client.get(DELETE).content.decode()
    assert "<title>Supprimer mon compte — Saint-Aubin</title>" in page
    before = model_to_dict(User.objects.get(pk=full_citizen.pk))
    response = citizen_client.post(DELETE, {"password": "mauvais"})
    assert response.status_code == 200
    assert "Mot de passe incorrect." in response.content.decode()
    assert model_to_dict(User.objects.get(pk=full_citizen.pk)) == before
    assert HouseholdMember.objects.filter(citizen=full_citizen).count() == 1
    assert ExternalIdentity.objects.filter(user=full_citizen).count() == 1


def test_deletion_erases_personal_data_and_signs_out(organisation, full_citizen, citizen_client):
    received = []

    def receiver(sender, user, **kwargs):
        received.append((sender, user.pk, user.email))

    citizen_erased.connect(receiver)
    try:
        response = citizen_client.post(DELETE, {"password": PASSWORD})
    finally:
        citizen_erased.disconnect(receiver)
    assert response.status_code == 302 and response.url == "/"
    assert SESSION_KEY not in citizen_client.session
    assert "Votre compte a été supprimé" in citizen_client.get("/").content.decode()

    user = User.objects.get(pk=full_citizen.pk)  # the row is kept
    assert user.organisation == organisation and user.kind == User.Kind.CITIZEN
    for field in ("civility", "first_name", "last_name", "address_line", "address_complement", "postcode", "city"):
        assert getattr(user, field) == "", field
    assert user.birth_date is None and not user.phone
    assert user.email.startswith("supprime-") and user.email.endswith("@anonyme.invalid")
    assert "camille" not in user.email and "martin" not in str(model_to_dict(user)).lower()
    assert not user.has_usable_password() and not user.is_active and not user.email_confirmed
    assert user.anonymised_at is not None
    assert not HouseholdMember.objects.filter(citizen=user).exists()
    assert not ExternalIdentity.objects.filter(user=user).exists()
    assert received == [(User, user.pk, user.email)]


def test_erased_person_cannot_sign_in_and_the_address_can_sign_up_again(organisation, full_citizen, citizen_client):
    citizen_client.post(DELETE, {"password": PASSWORD})
    client = client_for(organisation)
    response = client.post("/compte/connexion/", {"email": "camille.martin@example.org", "password": PASSWORD})
    assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()
    assert SESSION_KEY not in client.session

    response = client.post("/compte/inscription/", signup_data(email="camille.martin@example.org"))
    assert response.status_code == 302
    fresh = User.objects.get(organisation=organisation, email="camille.martin@example.org")
    assert fresh.pk != full_citizen.pk


def test_erasure_forgets_failed_login_attempts(organisation, citizen):
    client = client_for(organisation)
    client.post("/compte/connexion/", {"email": citizen.email, "password": "mauvais"})
    assert AccessAttempt.objects.filter(username__contains=citizen.email).exists()
    erase_citizen(citizen)
    assert not AccessAttempt.objects.filter(username__contains="camille.martin").exists()


def test_only_citizens_are_erased_this_way(agent):
    with pytest.raises(ValueError):
        erase_citizen(agent)
    agent.refresh_from_db()
    assert agent.is_active and agent.first_name == "Dominique"


def test_account_without_a_password_confirms_with_a_box(organisation):
    user = make_citizen(organisation, email="fc@example.org")
    user.set_unusable_password()
    user.save()
    client = client_for(organisation, user)
    assert 'name="password"' not in client.get(DELETE).content.decode()
    refused = client.post(DELETE, {})
    assert "Ce champ est obligatoire." in refused.content.decode()
    assert User.objects.get(pk=user.pk).is_active
    assert client.post(DELETE, {"confirm": "on"}).status_code == 302
    assert not User.objects.get(pk=user.pk).is_active


def test_other_citizens_are_untouched(organisation, other_organisation, citizen, citizen_client):
    twin = make_citizen(other_organisation, email=citizen.email)
    neighbour = make_citizen(organisation, email="voisin@example.org")
    citizen_client.post(DELETE, {"password": PASSWORD})
    twin.refresh_from_db()
    neighbour.refresh_from_db()
    assert twin.is_active and twin.email == citizen.email and twin.first_name == "Camille"
    assert neighbour.is_active and neighbour.last_name == "Martin"
