"""The administrators' e-mail settings: mailboxes (with « Tester la connexion ») and the inbound secret."""

import pytest
from django.urls import reverse

from guichet.mailroom.email_in import hash_secret
from guichet.mailroom.models import InboundEndpoint, Mailbox
from tests.conftest import client_for, make_agent, make_service

from . import imap_server

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def server():
    running = imap_server.start_server()
    yield running
    imap_server.stop_server(running)


def form_data(server=None, **fields):
    data = {"name": "Accueil", "host": server.host if server else "imap.example.org",
            "port": server.port if server else 993, "username": imap_server.USER, "password": imap_server.PASSWORD,
            "folder": "INBOX", "is_active": "on", "action": "save"}
    data["security"] = "ssl" if server is None else "plain"
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def test_pages_refuse_citizens_and_plain_agents(organisation, citizen, agent):
    url = reverse("mailroom:email_settings")
    assert client_for(organisation, citizen).get(url).status_code == 403
    assert client_for(organisation, agent).get(url).status_code == 403
    assert client_for(organisation).get(url).status_code == 302


def test_settings_page(admin_client_org, organisation, service, django_assert_max_num_queries):
    Mailbox.objects.create(organisation=organisation, name="Accueil", host="imap.example.org", username="u",
                           password="p", service=service, last_error="Identifiant ou mot de passe refusé")
    with django_assert_max_num_queries(12):
        response = admin_client_org.get(reverse("mailroom:email_settings"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Accueil" in page and "Identifiant ou mot de passe refusé" in page
    assert "http://saint-aubin.localhost/api/courriels/entrants/" in page
    assert "Réception fermée" in page
    assert ">p<" not in page  # never the password
    assert "Bearer &lt;secret&gt;" in page


def test_settings_page_in_english(admin_client_org):
    admin_client_org.post("/i18n/setlang/", {"language": "en", "next": "/agents/"})
    page = admin_client_org.get(reverse("mailroom:email_settings")).content.decode()
    assert "E-mail reception" in page and "Fetched mailboxes" in page and "Generate a secret" in page


def test_create_mailbox_and_password_not_shown(admin_client_org, organisation, service):
    response = admin_client_org.post(reverse("mailroom:mailbox_create"), form_data(service=service.pk))
    assert response.status_code == 302
    mailbox = Mailbox.objects.of(organisation).get()
    assert (mailbox.host, mailbox.port, mailbox.security == "ssl", mailbox.service) == ("imap.example.org", 993, True, service)
    page = admin_client_org.get(reverse("mailroom:mailbox_edit", args=[mailbox.pk])).content.decode()
    assert imap_server.PASSWORD not in page


def test_bad_input_keeps_what_was_typed(admin_client_org, organisation):
    response = admin_client_org.post(reverse("mailroom:mailbox_create"),
                                     form_data(host="imaps://imap.example.org", port="70000", password=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert "nom du serveur seul" in page
    assert "Accueil" in page  # the typed name stays
    assert not Mailbox.objects.exists()


def test_edit_keeps_the_password_when_left_blank(admin_client_org, organisation):
    mailbox = Mailbox.objects.create(organisation=organisation, name="Accueil", host="imap.example.org",
                                     username="u", password="secret-actuel", last_uid=42, uidvalidity=7)
    response = admin_client_org.post(reverse("mailroom:mailbox_edit", args=[mailbox.pk]),
                                     form_data(name="Accueil mairie", password="", username="u"))
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.name == "Accueil mairie" and mailbox.password == "secret-actuel"
    assert (mailbox.last_uid, mailbox.uidvalidity) == (42, 7)  # same mailbox, same place
    admin_client_org.post(reverse("mailroom:mailbox_edit", args=[mailbox.pk]),
                          form_data(folder="Archives", password="", username="u"))
    mailbox.refresh_from_db()
    assert (mailbox.last_uid, mailbox.uidvalidity) == (0, None)  # another folder: read from its start


def test_connection_test_success_and_french_errors(admin_client_org, organisation, server):
    response = admin_client_org.post(reverse("mailroom:mailbox_create"), form_data(server, action="test"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Connexion réussie" in page
    assert not Mailbox.objects.exists()  # a test saves nothing
    response = admin_client_org.post(reverse("mailroom:mailbox_create"),
                                     form_data(server, action="test", password="faux"))
    assert "La connexion a échoué : Identifiant ou mot de passe refusé" in response.content.decode()
    response = admin_client_org.post(reverse("mailroom:mailbox_create"),
                                     form_data(server, action="test", port=imap_server.free_port()))
    assert "refuse la connexion" in response.content.decode()


def test_toggle_deactivates_and_reactivates(admin_client_org, organisation):
    mailbox = Mailbox.objects.create(organisation=organisation, name="Accueil", host="h", username="u", password="p")
    admin_client_org.post(reverse("mailroom:mailbox_toggle", args=[mailbox.pk]))
    mailbox.refresh_from_db()
    assert not mailbox.is_active
    admin_client_org.post(reverse("mailroom:mailbox_toggle", args=[mailbox.pk]))
    mailbox.refresh_from_db()
    assert mailbox.is_active


def test_other_collectivites_mailboxes_are_404(admin_client_org, other_organisation):
    theirs = Mailbox.objects.create(organisation=other_organisation, name="Montclair", host="h", username="u",
                                    password="p")
    assert admin_client_org.get(reverse("mailroom:mailbox_edit", args=[theirs.pk])).status_code == 404
    assert admin_client_org.post(reverse("mailroom:mailbox_edit", args=[theirs.pk]), form_data()).status_code == 404
    assert admin_client_org.post(reverse("mailroom:mailbox_toggle", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.name == "Montclair"
    assert "Montclair" not in admin_client_org.get(reverse("mailroom:email_settings")).content.decode()


def test_service_of_another_collectivite_is_refused(admin_client_org, other_organisation):
    foreign = make_service(other_organisation, name="Voirie", slug="voirie")
    response = admin_client_org.post(reverse("mailroom:mailbox_create"), form_data(service=foreign.pk))
    assert response.status_code == 400
    assert not Mailbox.objects.exists()


def test_secret_shown_once_then_replaced_then_revoked(admin_client_org, organisation, service):
    response = admin_client_org.post(reverse("mailroom:endpoint_generate"), {"service": service.pk})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    page = response.content.decode()
    endpoint = InboundEndpoint.objects.of(organisation).get()
    secret = page.split('id="inbound-secret">')[1].split("<")[0]
    assert hash_secret(secret) == endpoint.secret_hash and endpoint.service == service
    assert secret not in admin_client_org.get(reverse("mailroom:email_settings")).content.decode()
    admin_client_org.post(reverse("mailroom:endpoint_generate"), {"service": ""})
    endpoint.refresh_from_db()
    assert endpoint.secret_hash != hash_secret(secret) and endpoint.service is None
    assert InboundEndpoint.objects.count() == 1
    admin_client_org.post(reverse("mailroom:endpoint_revoke"))
    assert not InboundEndpoint.objects.exists()


def test_secret_pages_for_admins_only(organisation, agent):
    client = client_for(organisation, agent)
    assert client.post(reverse("mailroom:endpoint_generate")).status_code == 403
    assert client.post(reverse("mailroom:endpoint_revoke")).status_code == 403
    assert not InboundEndpoint.objects.exists()
    other_admin = make_agent(organisation, email="admin2@example.org", is_org_admin=True)
    assert client_for(organisation, other_admin).get(reverse("mailroom:endpoint_generate")).status_code == 405
