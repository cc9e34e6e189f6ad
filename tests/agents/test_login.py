"""Agents sign in with their password, then a TOTP code; failures are throttled."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.agents.services import PENDING_LOGIN_KEY
from tests.conftest import PASSWORD, client_for, host_of, make_agent

from .conftest import code_for, submit_password

HOME = reverse("agents:home")
LOGIN = reverse("agents:login")
VERIFY = reverse("agents:verify")
SETUP = reverse("agents:totp_setup")


def device_of(user):
    return TOTPDevice.objects.get(user=user)


def is_signed_in(client):
    return SESSION_KEY in client.session


def test_full_two_step_login(anonymous_client, agent):
    response = submit_password(anonymous_client, agent.email)
    assert response.status_code == 302 and response["Location"] == VERIFY
    # The password alone opens nothing.
    assert not is_signed_in(anonymous_client)
    assert anonymous_client.get(HOME).status_code == 302

    page = anonymous_client.get(VERIFY)
    assert "Étape 2 sur 2" in page.content.decode()
    response = anonymous_client.post(VERIFY, {"token": code_for(device_of(agent))})
    assert response.status_code == 302 and response["Location"] == HOME
    assert is_signed_in(anonymous_client)
    assert anonymous_client.session[DEVICE_ID_SESSION_KEY] == device_of(agent).persistent_id
    assert PENDING_LOGIN_KEY not in anonymous_client.session
    home = anonymous_client.get(HOME)
    assert home.status_code == 200
    assert "État civil" in home.content.decode()


def test_code_with_spaces_is_accepted(anonymous_client, agent):
    submit_password(anonymous_client, agent.email)
    code = code_for(device_of(agent))
    response = anonymous_client.post(VERIFY, {"token": f"{code[:3]} {code[3:]}"})
    assert response["Location"] == HOME


def test_next_is_honoured_when_it_stays_on_the_site(anonymous_client, org_admin):
    submit_password(anonymous_client, org_admin.email, next_url="/agents/admin/")
    response = anonymous_client.post(VERIFY, {"token": code_for(device_of(org_admin))})
    assert response["Location"] == "/agents/admin/"


def test_next_to_another_site_is_ignored(anonymous_client, agent):
    submit_password(anonymous_client, agent.email, next_url="https://evil.example.com/")
    response = anonymous_client.post(VERIFY, {"token": code_for(device_of(agent))})
    assert response["Location"] == HOME


def test_guarded_page_sends_to_login_with_next(anonymous_client, org_admin):
    response = anonymous_client.get(reverse("agents:agent_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=/agents/admin/agents/")


def test_wrong_password_is_refused_with_a_french_message(anonymous_client, agent):
    response = submit_password(anonymous_client, agent.email, "mauvais-mot-de-passe")
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect" in response.content.decode()
    assert PENDING_LOGIN_KEY not in anonymous_client.session
    assert anonymous_client.get(VERIFY)["Location"] == LOGIN


def test_citizens_cannot_sign_in_here(anonymous_client, citizen):
    response = submit_password(anonymous_client, citizen.email)
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect" in response.content.decode()
    assert PENDING_LOGIN_KEY not in anonymous_client.session


def test_inactive_agent_cannot_sign_in(anonymous_client, agent):
    agent.is_active = False
    agent.save()
    response = submit_password(anonymous_client, agent.email)
    assert "Adresse électronique ou mot de passe incorrect" in response.content.decode()


def test_agent_of_another_collectivite_cannot_sign_in_here(anonymous_client, other_organisation):
    stranger = make_agent(other_organisation, email="agent@montclair.example.org")
    response = submit_password(anonymous_client, stranger.email)
    assert "Adresse électronique ou mot de passe incorrect" in response.content.decode()


def test_wrong_code_is_refused(anonymous_client, agent):
    submit_password(anonymous_client, agent.email)
    good = code_for(device_of(agent))
    wrong = f"{(int(good) + 1) % 1000000:06d}"
    response = anonymous_client.post(VERIFY, {"token": wrong})
    assert response.status_code == 200
    assert "Code incorrect" in response.content.decode()
    assert not is_signed_in(anonymous_client)
    assert anonymous_client.get(HOME).status_code == 302


def test_malformed_code_is_explained(anonymous_client, agent):
    submit_password(anonymous_client, agent.email)
    response = anonymous_client.post(VERIFY, {"token": "12ab"})
    assert "Le code compte exactement 6 chiffres" in response.content.decode()
    assert not is_signed_in(anonymous_client)


def test_a_code_cannot_be_used_twice(organisation, agent):
    first = client_for(organisation)
    submit_password(first, agent.email)
    code = code_for(device_of(agent))
    assert first.post(VERIFY, {"token": code})["Location"] == HOME

    second = client_for(organisation)
    submit_password(second, agent.email)
    response = second.post(VERIFY, {"token": code})
    assert response.status_code == 200
    assert "Ce code a déjà servi" in response.content.decode()
    assert not is_signed_in(second)


def test_pending_login_expires_after_five_minutes(anonymous_client, agent):
    submit_password(anonymous_client, agent.email)
    session = anonymous_client.session
    session[PENDING_LOGIN_KEY]["started"] -= 5 * 60 + 1
    session.save()
    response = anonymous_client.post(VERIFY, {"token": code_for(device_of(agent))}, follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    assert "expire au bout de 5 minutes" in response.content.decode()
    assert not is_signed_in(anonymous_client)
    assert PENDING_LOGIN_KEY not in anonymous_client.session


def test_five_wrong_codes_restart_the_login(settings, anonymous_client, agent):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the device's own back-off is tested separately
    submit_password(anonymous_client, agent.email)
    good = code_for(device_of(agent))
    wrong = f"{(int(good) + 1) % 1000000:06d}"
    for _attempt in range(4):
        assert "Code incorrect" in anonymous_client.post(VERIFY, {"token": wrong}).content.decode()
    response = anonymous_client.post(VERIFY, {"token": wrong}, follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    assert "recommencez la connexion" in response.content.decode()
    # The right code no longer helps: the password must be given again.
    response = anonymous_client.post(VERIFY, {"token": good})
    assert response["Location"] == LOGIN
    assert not is_signed_in(anonymous_client)


def test_device_backs_off_after_a_wrong_code(settings, anonymous_client, agent):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    submit_password(anonymous_client, agent.email)
    good = code_for(device_of(agent))
    anonymous_client.post(VERIFY, {"token": f"{(int(good) + 1) % 1000000:06d}"})
    response = anonymous_client.post(VERIFY, {"token": good})
    assert "patientez quelques secondes" in response.content.decode()
    assert not is_signed_in(anonymous_client)


def test_password_only_session_cannot_reach_the_agent_pages(organisation, agent):
    client = client_for(organisation)
    client.force_login(agent, backend="guichet.accounts.backends.OrganisationBackend")
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_pending_login_cannot_reach_the_agent_pages(anonymous_client, agent):
    submit_password(anonymous_client, agent.email)
    assert anonymous_client.get(HOME)["Location"].startswith(LOGIN)


def test_pending_login_is_worthless_on_another_collectivite(anonymous_client, agent, other_organisation):
    submit_password(anonymous_client, agent.email)
    other_host = host_of(other_organisation)
    response = anonymous_client.post(VERIFY, {"token": code_for(device_of(agent))}, HTTP_HOST=other_host)
    assert response["Location"] == LOGIN
    assert not is_signed_in(anonymous_client)


def test_citizen_session_is_refused_in_the_agent_space(citizen_client):
    assert citizen_client.get(HOME).status_code == 403


# --- Enrolment ----------------------------------------------------------------------------------------------


@pytest.fixture
def new_agent(organisation, service):
    agent = make_agent(organisation, email="nouvel.agent@example.org", services=[service])
    TOTPDevice.objects.filter(user=agent).delete()
    return agent


def test_enrolment_flow(anonymous_client, new_agent):
    response = submit_password(anonymous_client, new_agent.email)
    assert response["Location"] == SETUP
    page = anonymous_client.get(SETUP)
    content = page.content.decode()
    device = TOTPDevice.objects.get(user=new_agent)
    assert not device.confirmed
    assert "<svg" in content and 'role="img"' in content and "aria-label=\"QR code" in content
    secret = content.split('<code class="secret">')[1].split("</code>")[0].replace(" ", "")
    assert len(secret) == 32
    # The page shows the same device until it is confirmed.
    anonymous_client.get(SETUP)
    assert TOTPDevice.objects.filter(user=new_agent).count() == 1

    response = anonymous_client.post(SETUP, {"token": code_for(device)})
    assert response["Location"] == HOME
    device.refresh_from_db()
    assert device.confirmed
    assert anonymous_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert anonymous_client.get(HOME).status_code == 200


def test_enrolment_wrong_code_keeps_the_device_unconfirmed(anonymous_client, new_agent):
    submit_password(anonymous_client, new_agent.email)
    anonymous_client.get(SETUP)
    device = TOTPDevice.objects.get(user=new_agent)
    response = anonymous_client.post(SETUP, {"token": f"{(int(code_for(device)) + 1) % 1000000:06d}"})
    assert "Code incorrect" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not is_signed_in(anonymous_client)


def test_enrolled_agent_cannot_enrol_another_device(anonymous_client, agent):
    submit_password(anonymous_client, agent.email)
    assert anonymous_client.get(SETUP)["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=agent).count() == 1


def test_enrolment_needs_the_password_first(anonymous_client, new_agent):
    assert anonymous_client.get(SETUP)["Location"] == LOGIN
    assert not TOTPDevice.objects.filter(user=new_agent).exists()


# --- Throttling of passwords (django-axes) ------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_out(organisation, agent):
    client = client_for(organisation)
    responses = [submit_password(client, agent.email, "mauvais-mot-de-passe") for _ in range(5)]
    assert [response.status_code for response in responses] == [200, 200, 200, 200, 429]
    assert "Trop de tentatives de connexion" in responses[4].content.decode()
    # Even the right password is refused now, and no sign-in starts.
    assert submit_password(client, agent.email, PASSWORD).status_code == 429
    assert PENDING_LOGIN_KEY not in client.session


def test_lockout_is_per_collectivite(organisation, other_organisation, agent):
    same_email = make_agent(other_organisation, email=agent.email)
    client = client_for(organisation)
    for _attempt in range(5):
        submit_password(client, agent.email, "mauvais-mot-de-passe")
    other = client_for(other_organisation)
    response = submit_password(other, same_email.email)
    assert response["Location"] == VERIFY


def test_a_successful_login_resets_the_failure_count(organisation, agent):
    client = client_for(organisation)
    for _attempt in range(4):
        submit_password(client, agent.email, "mauvais-mot-de-passe")
    submit_password(client, agent.email)
    client.post(VERIFY, {"token": code_for(device_of(agent))})
    other = client_for(organisation)
    for _attempt in range(4):
        assert submit_password(other, agent.email, "mauvais-mot-de-passe").status_code == 200
