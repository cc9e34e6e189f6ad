"""The collectivité is found from the request's host; unknown hosts are refused."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from guichet.organisations.models import Host, Organisation
from tests.conftest import client_for


def test_bare_host_lists_the_hosted_collectivites(organisation, other_organisation):
    response = Client(HTTP_HOST="localhost:8000").get("/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Saint-Aubin" in content and "Montclair" in content and "Val Fleuri" in content
    assert "http://saint-aubin.localhost:8000/" in content


def test_subdomain_reaches_the_collectivite(organisation):
    response = Client(HTTP_HOST="saint-aubin.localhost:8000").get("/")
    assert response.status_code == 200
    assert response.context["organisation"] == organisation
    assert "Bienvenue sur le guichet de Saint-Aubin" in response.content.decode()


def test_declared_host_name_reaches_the_collectivite(organisation):
    Host.objects.create(name="Guichet.Saint-Aubin.fr", organisation=organisation)
    response = Client(HTTP_HOST="guichet.saint-aubin.fr").get("/")
    assert response.context["organisation"] == organisation


@pytest.mark.django_db
def test_unknown_host_is_refused():
    response = Client(HTTP_HOST="inconnue.localhost").get("/")
    assert response.status_code == 404
    assert "Collectivité inconnue" in response.content.decode()
    assert Client(HTTP_HOST="evil.example.com").get("/").status_code == 404


def test_inactive_collectivite_is_not_served(organisation):
    organisation.is_active = False
    organisation.save()
    assert client_for(organisation).get("/").status_code == 404


def test_organisation_pages_are_not_on_the_platform_host(organisation):
    assert Client(HTTP_HOST="localhost").get("/mentions-legales/").status_code == 404


def test_admin_is_only_on_the_platform_host(organisation):
    assert client_for(organisation).get("/admin/").status_code == 404
    assert Client(HTTP_HOST="localhost").get("/admin/").status_code == 302


def test_branding_colours_are_applied(organisation):
    organisation.primary_colour = "#005a32"
    organisation.save()
    assert "--primary: #005a32" in client_for(organisation).get("/").content.decode()


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("primary_colour", "#ffff00", "trop claire"),
        ("primary_colour", "jaune", "#RRGGBB"),
        ("insee_code", "5447", "5 caractères"),
    ],
)
def test_bad_organisation_settings_are_refused(organisation, field, value, message):
    setattr(organisation, field, value)
    with pytest.raises(ValidationError) as error:
        organisation.full_clean()
    assert message in str(error.value.message_dict[field])


def test_intercommunal_siren_is_checked(epci):
    epci.insee_code = "54470"
    with pytest.raises(ValidationError):
        epci.full_clean()
    assert Organisation.objects.get(pk=epci.pk).insee_code == "245400000"
