"""Administrators' SMS page: who may reach it, saving settings, secrets write-only, bad input, test SMS."""

import pytest
from django.urls import reverse

from guichet.sms.models import SmsSettings
from tests.conftest import client_for, make_agent, make_citizen

from . import fake_provider
from .conftest import configure_ovh

URL = reverse("sms_admin:settings")
TEST_URL = reverse("sms_admin:test")


def ovh_data(provider, **overrides):
    data = {
        "backend": "ovh", "sender": "MAIRIE", "endpoint_url": provider.ovh_endpoint, "transliterate": "on",
        "ovh_service_name": fake_provider.OVH_SERVICE, "ovh_application_key": fake_provider.OVH_APP_KEY,
        "ovh_application_secret": fake_provider.OVH_APP_SECRET, "ovh_consumer_key": fake_provider.OVH_CONSUMER_KEY,
        "brevo_api_key": "",
    }
    data.update(overrides)
    return data


def snapshot(organisation):
    return list(SmsSettings.objects.of(organisation).values())


def test_page_shows_the_form_and_the_receipt_address(admin_client_org, organisation):
    response = admin_client_org.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    config = SmsSettings.objects.of(organisation).get()
    assert f"http://saint-aubin.localhost/sms/accuses/{config.receipt_token}/" in content
    assert "<title>" in content and "Réglages SMS" in content
    for name in ("backend", "sender", "transliterate", "endpoint_url", "ovh_application_secret", "brevo_api_key",
                 "phone"):
        assert f'name="{name}"' in content


def test_save_ovh_settings_and_secrets_stay_hidden(admin_client_org, organisation, provider):
    response = admin_client_org.post(URL, ovh_data(provider), follow=True)
    assert "Les réglages SMS sont enregistrés." in response.content.decode()
    config = SmsSettings.objects.of(organisation).get()
    assert config.backend == "ovh" and config.sender == "MAIRIE" and config.transliterate
    assert config.ovh_application_secret == fake_provider.OVH_APP_SECRET
    content = admin_client_org.get(URL).content.decode()
    assert fake_provider.OVH_APP_SECRET not in content
    assert fake_provider.OVH_CONSUMER_KEY not in content
    assert "elle n&#x27;est jamais réaffichée" in content or "elle n'est jamais réaffichée" in content


def test_blank_secrets_keep_the_stored_ones(admin_client_org, organisation, provider):
    configure_ovh(organisation, provider)
    data = ovh_data(provider, sender="VILLE", ovh_application_secret="", ovh_consumer_key="")
    admin_client_org.post(URL, data)
    config = SmsSettings.objects.of(organisation).get()
    assert config.sender == "VILLE"
    assert config.ovh_application_secret == fake_provider.OVH_APP_SECRET
    assert config.ovh_consumer_key == fake_provider.OVH_CONSUMER_KEY


@pytest.mark.parametrize(("field", "value", "message"), [
    ("sender", "MAIRIE-DE-SAINT-AUBIN", "11 caractères"),
    ("sender", "Mairie!", "11 caractères"),
    ("sender", "12345", "au moins une lettre"),
    ("sender", "Crèche", "sans accent"),
    ("endpoint_url", "pas une adresse", "Saisissez une URL valide"),
    ("backend", "carrier-pigeon", "Sélectionnez un choix valide"),
    ("ovh_service_name", "", "Obligatoire pour envoyer par OVH"),
])
def test_bad_settings_are_refused_and_nothing_changes(admin_client_org, organisation, provider, field, value,
                                                      message):
    admin_client_org.get(URL)
    before = snapshot(organisation)
    response = admin_client_org.post(URL, ovh_data(provider, **{field: value}))
    assert response.status_code == 200
    content = response.content.decode().replace("&#x27;", "'")
    assert 'class="error-summary"' in content
    assert message in content
    assert snapshot(organisation) == before


def test_brevo_needs_a_key_and_a_sender(admin_client_org, organisation):
    admin_client_org.get(URL)
    before = snapshot(organisation)
    response = admin_client_org.post(URL, {"backend": "brevo", "sender": "", "brevo_api_key": ""})
    content = response.content.decode().replace("&#x27;", "'")
    assert "Obligatoire pour envoyer par Brevo." in content and "Brevo exige un nom d'expéditeur." in content
    assert snapshot(organisation) == before


def test_send_a_test_sms_through_the_provider(admin_client_org, organisation, provider):
    configure_ovh(organisation, provider)
    response = admin_client_org.post(TEST_URL, {"phone": "06 12 34 56 78"}, follow=True)
    content = response.content.decode()
    assert "SMS d&#x27;essai envoyé au +33612345678" in content
    assert provider.sent[-1]["to"] == "+33612345678"
    assert provider.sent[-1]["body"]["message"].startswith("Saint-Aubin : ceci est un SMS d'essai")


def test_test_sms_overseas_number(admin_client_org, organisation):
    response = admin_client_org.post(TEST_URL, {"phone": "0692 12 34 56"}, follow=True)
    assert "SMS d&#x27;essai envoyé au +262692123456" in response.content.decode()


def test_test_sms_failure_is_explained(admin_client_org, organisation, provider):
    configure_ovh(organisation, provider)
    provider.stop()
    response = admin_client_org.post(TEST_URL, {"phone": "06 12 34 56 78"}, follow=True)
    assert "Le SMS d&#x27;essai n&#x27;est pas parti" in response.content.decode()
    assert "injoignable" in response.content.decode()


@pytest.mark.parametrize("phone", ["", "12", "+44 20 7946 0958", "06 12 34"])
def test_bad_test_phone_is_refused(admin_client_org, organisation, provider, phone, settings):
    configure_ovh(organisation, provider)
    response = admin_client_org.post(TEST_URL, {"phone": phone})
    assert response.status_code == 200
    content = response.content.decode().replace("&#x27;", "'")
    assert 'class="error-summary"' in content
    assert provider.requests == []


def test_get_on_test_url_is_refused(admin_client_org):
    assert admin_client_org.get(TEST_URL).status_code == 405


def test_anonymous_is_sent_to_agent_login(anonymous_client):
    response = anonymous_client.get(URL)
    assert response.status_code == 302 and reverse("agents:login") in response["Location"]
    assert anonymous_client.post(TEST_URL, {"phone": "0612345678"}).status_code == 302


def test_plain_agent_and_citizen_are_refused(agent_client, citizen_client, organisation):
    assert agent_client.get(URL).status_code == 403
    assert agent_client.post(TEST_URL, {"phone": "0612345678"}).status_code == 403
    assert citizen_client.get(URL).status_code == 403
    assert not SmsSettings.objects.exists()


def test_admin_without_second_factor_is_sent_to_login(organisation):
    admin = make_agent(organisation, email="admin2@example.org", is_org_admin=True)
    client = client_for(organisation)
    client.force_login(admin, backend="guichet.accounts.backends.OrganisationBackend")  # password, no TOTP yet
    response = client.get(URL)
    assert response.status_code == 302 and reverse("agents:login") in response["Location"]


def test_other_collectivite_admin_cannot_reach_this_page(organisation, other_organisation, provider):
    configure_ovh(organisation, provider)
    other_admin = make_agent(other_organisation, email="admin@montclair.fr", is_org_admin=True)
    client = client_for(other_organisation, other_admin)
    # Their session on Saint-Aubin's host is anonymous there: login page, nothing of Saint-Aubin shown.
    client.defaults["HTTP_HOST"] = "saint-aubin.localhost"
    response = client.get(URL)
    assert response.status_code == 302
    before = snapshot(organisation)
    assert client.post(URL, ovh_data(provider, sender="PIRATE")).status_code == 302
    assert snapshot(organisation) == before


def test_settings_are_per_collectivite(organisation, other_organisation, provider):
    config = configure_ovh(organisation, provider, sender="STAUBIN")
    other_admin = make_agent(other_organisation, email="admin@montclair.fr", is_org_admin=True)
    client = client_for(other_organisation, other_admin)
    content = client.get(URL).content.decode()
    assert "STAUBIN" not in content and config.receipt_token not in content
    assert fake_provider.OVH_SERVICE not in content
    client.post(URL, {"backend": "console", "sender": "MONTCLAIR"})
    assert SmsSettings.objects.of(organisation).get().sender == "STAUBIN"
    other = SmsSettings.objects.of(other_organisation).get()
    assert other.sender == "MONTCLAIR" and other.receipt_token != config.receipt_token


def test_citizen_of_other_collectivite_cannot_post(organisation, other_organisation):
    citizen = make_citizen(other_organisation, email="someone@example.org")
    client = client_for(other_organisation, citizen)
    client.defaults["HTTP_HOST"] = "saint-aubin.localhost"
    assert client.post(URL, {"backend": "console"}).status_code == 302
    assert not SmsSettings.objects.of(organisation).exists()
