"""Administrators create agents (who get an invitation), set their services and roles, and manage their accounts."""

import re

from django.contrib.auth import authenticate
from django.core import mail
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.accounts.models import User
from guichet.agents.models import Membership
from tests.conftest import PASSWORD, client_for, host_of, make_agent, make_citizen, make_service

from .conftest import submit_password

CREATE = reverse("agents:agent_create")
LIST = reverse("agents:agent_list")
NEW_PASSWORD = "Un-tout-nouveau-mot-de-passe-2024"


def agent_data(service=None, role="", **overrides):
    data = {
        "first_name": "Aline", "last_name": "Durand", "email": "Aline.Durand@Saint-Aubin.fr",
        "job_title": "Officière d'état civil",
    }
    if service is not None:
        data[f"role_{service.pk}"] = role
    data.update(overrides)
    return data


def invitation_link():
    body = mail.outbox[-1].body
    return re.search(r"http://[^\s]+/agents/mot-de-passe/[^\s]+/", body).group(0)


def test_create_an_agent_sends_an_invitation(admin_client_org, organisation, service):
    organisation.sender_email = "mairie@saint-aubin.fr"
    organisation.save()
    response = admin_client_org.post(CREATE, agent_data(service, Membership.Role.MANAGER), follow=True)
    assert "une invitation à choisir son mot de passe a été envoyée" in response.content.decode()
    agent = User.objects.get(organisation=organisation, email="aline.durand@saint-aubin.fr")
    assert agent.is_agent and not agent.is_org_admin and not agent.has_usable_password()
    assert agent.job_title == "Officière d'état civil"
    assert Membership.objects.get(user=agent).role == Membership.Role.MANAGER
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["aline.durand@saint-aubin.fr"]
    assert message.from_email == "Saint-Aubin <mairie@saint-aubin.fr>"
    assert "Saint-Aubin" in message.subject
    assert invitation_link().startswith(f"http://{host_of(organisation)}/agents/mot-de-passe/")


def test_invitation_link_sets_the_password_once(admin_client_org, organisation, service):
    admin_client_org.post(CREATE, agent_data(service, Membership.Role.AGENT))
    link = invitation_link().replace(f"http://{host_of(organisation)}", "")
    client = client_for(organisation)
    assert "Choisir votre mot de passe" in client.get(link).content.decode()
    response = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("agents:login")
    assert "Votre mot de passe est enregistré" in response.content.decode()
    agent = User.objects.get(organisation=organisation, email="aline.durand@saint-aubin.fr")
    assert agent.check_password(NEW_PASSWORD) and agent.email_confirmed
    # The link worked once: it is now dead.
    again = client.get(link)
    assert again.status_code == 400 and "Lien expiré ou invalide" in again.content.decode()
    # And the agent goes on to enrol their authentication application.
    assert submit_password(client, agent.email, NEW_PASSWORD)["Location"] == reverse("agents:totp_setup")


def test_invitation_password_mismatch_changes_nothing(admin_client_org, organisation):
    admin_client_org.post(CREATE, agent_data())
    link = invitation_link().replace(f"http://{host_of(organisation)}", "")
    response = client_for(organisation).post(link, {"new_password1": NEW_PASSWORD, "new_password2": "autre chose"})
    assert response.status_code == 200
    assert "Les deux mots de passe ne correspondent pas." in response.content.decode()
    assert not User.objects.get(email="aline.durand@saint-aubin.fr").has_usable_password()


def test_invitation_link_is_worthless_on_another_collectivite(admin_client_org, organisation, other_organisation):
    admin_client_org.post(CREATE, agent_data())
    link = invitation_link().replace(f"http://{host_of(organisation)}", "")
    response = client_for(other_organisation).post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 400
    assert not User.objects.get(email="aline.durand@saint-aubin.fr").has_usable_password()


def test_tampered_link_is_refused(anonymous_client, agent):
    response = anonymous_client.get(reverse("agents:set_password", args=["zzz", "abc-def"]))
    assert response.status_code == 400


def test_duplicate_email_is_refused(admin_client_org, organisation, agent):
    response = admin_client_org.post(CREATE, agent_data(email=agent.email.upper()))
    assert "Un compte existe déjà avec cette adresse électronique dans la collectivité." in response.content.decode()
    assert User.objects.filter(organisation=organisation, kind=User.Kind.AGENT).count() == 2
    assert not mail.outbox


def test_citizen_email_is_taken_too(admin_client_org, organisation, citizen):
    response = admin_client_org.post(CREATE, agent_data(email=citizen.email))
    assert "Un compte existe déjà" in response.content.decode()
    citizen.refresh_from_db()
    assert citizen.is_citizen


def test_same_email_in_another_collectivite_is_fine(admin_client_org, organisation, other_organisation):
    make_agent(other_organisation, email="aline.durand@saint-aubin.fr")
    admin_client_org.post(CREATE, agent_data())
    assert User.objects.filter(organisation=organisation, email="aline.durand@saint-aubin.fr").exists()


def test_invalid_email_and_missing_names_are_explained(admin_client_org, organisation, service):
    before = User.objects.count()
    response = admin_client_org.post(
        CREATE, agent_data(service, "chef", email="aline@", first_name="", last_name="")
    )
    content = response.content.decode()
    assert "Le formulaire contient 4 erreurs" in content
    assert "Saisissez une adresse de courriel valide." in content
    assert "Sélectionnez un choix valide" in content
    assert User.objects.count() == before and not Membership.objects.exists()
    assert not mail.outbox


def test_create_an_org_admin(admin_client_org, organisation):
    admin_client_org.post(CREATE, agent_data(is_org_admin="on"))
    assert User.objects.get(email="aline.durand@saint-aubin.fr").is_org_admin


def test_edit_roles_change_add_and_remove(admin_client_org, organisation, agent, service):
    scolaire = make_service(organisation, "Scolaire", "scolaire")
    url = reverse("agents:agent_edit", args=[agent.pk])
    page = admin_client_org.get(url).content.decode()
    assert "Services et rôles" in page and "Scolaire" in page
    data = agent_data(email=agent.email, first_name="Dominique", last_name="Agent")
    data[f"role_{service.pk}"] = Membership.Role.ELECTED
    data[f"role_{scolaire.pk}"] = Membership.Role.MANAGER
    admin_client_org.post(url, data)
    roles = dict(Membership.objects.filter(user=agent).values_list("service__slug", "role"))
    assert roles == {"etat-civil": "elected", "scolaire": "manager"}
    data[f"role_{service.pk}"] = ""
    admin_client_org.post(url, data)
    roles = dict(Membership.objects.filter(user=agent).values_list("service__slug", "role"))
    assert roles == {"scolaire": "manager"}
    agent.refresh_from_db()
    assert agent.job_title == "Officière d'état civil"


def test_another_collectivite_service_cannot_be_given(admin_client_org, agent, other_organisation):
    foreign = make_service(other_organisation, "Police municipale", "police")
    url = reverse("agents:agent_edit", args=[agent.pk])
    data = agent_data(email=agent.email)
    data[f"role_{foreign.pk}"] = Membership.Role.MANAGER
    admin_client_org.post(url, data)
    assert not Membership.objects.filter(service=foreign).exists()


def test_admin_cannot_remove_their_own_admin_flag(admin_client_org, org_admin):
    url = reverse("agents:agent_edit", args=[org_admin.pk])
    response = admin_client_org.post(url, agent_data(email=org_admin.email, first_name="Nouveau"))
    assert "Vous ne pouvez pas retirer vos propres droits d&#x27;administrateur" in response.content.decode()
    org_admin.refresh_from_db()
    assert org_admin.is_org_admin and org_admin.first_name == "Dominique"


def test_admin_can_remove_another_admin_flag(admin_client_org, organisation):
    colleague = make_agent(organisation, email="collegue@example.org", is_org_admin=True)
    admin_client_org.post(reverse("agents:agent_edit", args=[colleague.pk]), agent_data(email=colleague.email))
    colleague.refresh_from_db()
    assert not colleague.is_org_admin


def test_admin_cannot_deactivate_themselves(admin_client_org, org_admin):
    response = admin_client_org.post(reverse("agents:agent_toggle", args=[org_admin.pk]), follow=True)
    assert "Vous ne pouvez pas désactiver votre propre compte" in response.content.decode()
    org_admin.refresh_from_db()
    assert org_admin.is_active


def test_deactivated_agent_loses_access_and_can_be_reactivated(admin_client_org, organisation, agent):
    agent_client = client_for(organisation, agent)
    assert agent_client.get(reverse("agents:home")).status_code == 200
    response = admin_client_org.post(reverse("agents:agent_toggle", args=[agent.pk]), follow=True)
    assert "est désactivé" in response.content.decode()
    agent.refresh_from_db()
    assert not agent.is_active
    assert agent_client.get(reverse("agents:home")).status_code == 302
    assert "incorrect" in submit_password(client_for(organisation), agent.email).content.decode()
    admin_client_org.post(reverse("agents:agent_toggle", args=[agent.pk]))
    agent.refresh_from_db()
    assert agent.is_active
    assert submit_password(client_for(organisation), agent.email)["Location"] == reverse("agents:verify")


def test_reset_totp_makes_the_agent_enrol_again(admin_client_org, organisation, agent):
    response = admin_client_org.post(reverse("agents:agent_reset_totp", args=[agent.pk]), follow=True)
    assert "est réinitialisée" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert submit_password(client_for(organisation), agent.email)["Location"] == reverse("agents:totp_setup")


def test_resend_invitation(admin_client_org, organisation, agent):
    admin_client_org.post(reverse("agents:agent_invite", args=[agent.pk]))
    assert mail.outbox[-1].to == [agent.email]
    link = invitation_link().replace(f"http://{host_of(organisation)}", "")
    client_for(organisation).post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    request = RequestFactory().post("/", HTTP_HOST=host_of(organisation))
    request.organisation = organisation
    assert authenticate(request, email=agent.email, password=NEW_PASSWORD, kind="agent") == agent
    assert authenticate(request, email=agent.email, password=PASSWORD, kind="agent") is None


def test_list_search_and_pagination(admin_client_org, organisation, service):
    for number in range(25):
        make_agent(organisation, email=f"agent{number:02d}@example.org", last_name=f"Nom{number:02d}")
    make_agent(organisation, email="claire.fontaine@example.org", first_name="Claire", last_name="Fontaine")
    make_citizen(organisation, email="usager@example.org", last_name="Fontaine")
    page = admin_client_org.get(LIST).content.decode()
    assert "27 agents" in page and "Page 1 sur 2" in page
    assert "usager@example.org" not in page
    result = admin_client_org.get(LIST, {"q": "fontaine"}).content.decode()
    assert "claire.fontaine@example.org" in result and "1 agent" in result
    assert "usager@example.org" not in result
    assert "Claire Fontaine" in admin_client_org.get(LIST, {"q": "claire font"}).content.decode()
    assert "Aucun agent ne correspond" in admin_client_org.get(LIST, {"q": "zorglub"}).content.decode()
    assert "Page 2 sur 2" in admin_client_org.get(LIST, {"page": 2}).content.decode()


def test_list_does_not_show_another_collectivite_agents(admin_client_org, other_admin):
    assert other_admin.email not in admin_client_org.get(LIST).content.decode()


def count_list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


def test_list_query_count_is_constant(admin_client_org, organisation, service):
    scolaire = make_service(organisation, "Scolaire", "scolaire")
    few = count_list_queries(admin_client_org)
    for number in range(15):
        make_agent(organisation, email=f"agent{number}@example.org", services=[service, scolaire])
    assert count_list_queries(admin_client_org) == few
