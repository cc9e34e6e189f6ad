"""Administrators create, edit, deactivate and reactivate their collectivité's services."""

from django.urls import reverse

from guichet.agents.models import Service
from tests.conftest import client_for, make_agent, make_service

CREATE = reverse("agents:service_create")


def service_data(**overrides):
    data = {
        "name": "Urbanisme", "slug": "urbanisme", "description": "Permis de construire, déclarations préalables.",
        "email": "urbanisme@saint-aubin.fr", "phone": "03 83 12 34 56",
    }
    data.update(overrides)
    return data


def test_list_shows_services_with_their_members(admin_client_org, agent, service):
    content = admin_client_org.get(reverse("agents:service_list")).content.decode()
    assert "État civil" in content and "<caption>" in content


def test_create_a_service(admin_client_org, organisation):
    response = admin_client_org.post(CREATE, service_data(), follow=True)
    assert "Le service « Urbanisme » est créé." in response.content.decode()
    service = Service.objects.of(organisation).get(slug="urbanisme")
    assert service.name == "Urbanisme" and service.is_active
    assert service.description.startswith("Permis")


def test_slug_is_derived_from_the_name_when_left_empty(admin_client_org, organisation):
    admin_client_org.post(CREATE, service_data(name="Services techniques", slug=""))
    assert Service.objects.of(organisation).filter(slug="services-techniques").exists()


def test_duplicate_name_is_refused(admin_client_org, organisation, service):
    response = admin_client_org.post(CREATE, service_data(name="état civil", slug="autre"))
    assert response.status_code == 200
    assert "Un service porte déjà ce nom dans la collectivité." in response.content.decode()
    assert Service.objects.of(organisation).count() == 1


def test_duplicate_slug_is_refused(admin_client_org, organisation, service):
    response = admin_client_org.post(CREATE, service_data(name="Autre", slug="etat-civil"))
    assert "Un service porte déjà cet identifiant" in response.content.decode()
    assert Service.objects.of(organisation).count() == 1


def test_derived_duplicate_slug_is_refused(admin_client_org, organisation, service):
    response = admin_client_org.post(CREATE, service_data(name="Etat-civil !", slug=""))
    assert "Un service porte déjà cet identifiant (etat-civil)" in response.content.decode()
    assert Service.objects.of(organisation).count() == 1


def test_same_name_in_another_collectivite_is_fine(admin_client_org, organisation, other_organisation):
    make_service(other_organisation, "Urbanisme", "urbanisme")
    admin_client_org.post(CREATE, service_data())
    assert Service.objects.of(organisation).filter(slug="urbanisme").exists()


def test_bad_email_phone_and_missing_name_are_explained(admin_client_org, organisation):
    response = admin_client_org.post(CREATE, service_data(name="", email="pas-une-adresse", phone="12"))
    content = response.content.decode()
    assert "Le formulaire contient 3 erreurs" in content
    assert "Ce champ est obligatoire." in content
    assert "Saisissez une adresse de courriel valide." in content
    assert "Indiquez un numéro de téléphone français valide" in content
    assert not Service.objects.of(organisation).exists()


def test_edit_a_service(admin_client_org, service):
    url = reverse("agents:service_edit", args=[service.pk])
    page = admin_client_org.get(url).content.decode()
    assert 'value="État civil"' in page
    admin_client_org.post(url, service_data(name="État civil et cimetières", slug="etat-civil"))
    service.refresh_from_db()
    assert service.name == "État civil et cimetières" and service.slug == "etat-civil"


def test_edit_cannot_take_another_service_name(admin_client_org, organisation, service):
    other = make_service(organisation, "Scolaire", "scolaire")
    response = admin_client_org.post(reverse("agents:service_edit", args=[other.pk]), service_data(name="État civil"))
    assert "Un service porte déjà ce nom" in response.content.decode()
    other.refresh_from_db()
    assert other.name == "Scolaire"


def test_deactivate_and_reactivate(admin_client_org, organisation, service):
    toggle = reverse("agents:service_toggle", args=[service.pk])
    agent = make_agent(organisation, email="membre@example.org", services=[service])
    response = admin_client_org.post(toggle, follow=True)
    assert "est désactivé" in response.content.decode()
    service.refresh_from_db()
    assert not service.is_active
    assert agent.memberships.filter(service=service).exists()
    # The agent no longer sees the service on their home page.
    assert "État civil" not in client_for(organisation, agent).get(reverse("agents:home")).content.decode()
    admin_client_org.post(toggle)
    service.refresh_from_db()
    assert service.is_active


def test_toggle_needs_post(admin_client_org, service):
    assert admin_client_org.get(reverse("agents:service_toggle", args=[service.pk])).status_code == 405
    service.refresh_from_db()
    assert service.is_active
