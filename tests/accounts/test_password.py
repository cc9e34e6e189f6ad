"""Password reset (scoped to the collectivité) and password change."""

import re

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from tests.accounts.conftest import NEW_PASSWORD, link_in, make_unconfirmed, path_of
from tests.conftest import PASSWORD, client_for, host_of, make_citizen

RESET = "/compte/mot-de-passe/oublie/"
LOGIN = "/compte/connexion/"


def reset_path_from(message, organisation):
    return path_of(link_in(message), host_of(organisation))


def test_password_reset_by_email_on_the_collectivites_host(organisation, citizen, visitor, outbox):
    organisation.sender_email = "mairie@saint-aubin.example"
    organisation.save()
    response = visitor.post(RESET, {"email": "Camille.Martin@example.org"})
    assert response.status_code == 302 and response.url == "/compte/mot-de-passe/oublie/envoye/"
    assert "Consultez votre messagerie" in visitor.get(response.url).content.decode()

    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == [citizen.email] and message.from_email == "Saint-Aubin <mairie@saint-aubin.example>"
    assert message.subject == "Saint-Aubin : choisir un nouveau mot de passe"
    path = reset_path_from(message, organisation)
    assert path.startswith("/compte/mot-de-passe/reinitialiser/")

    response = visitor.get(path)
    assert response.status_code == 302  # Django moves the token out of the URL
    form_page = visitor.get(response.url)
    assert "Choisir un nouveau mot de passe" in form_page.content.decode()

    mismatch = visitor.post(response.url, {"new_password1": NEW_PASSWORD, "new_password2": "autre-chose-123"})
    assert mismatch.status_code == 200 and 'class="error-summary"' in mismatch.content.decode()
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)

    done = visitor.post(response.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == "/compte/mot-de-passe/reinitialise/"
    assert "Mot de passe enregistré" in visitor.get(done.url).content.decode()
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)

    # The link only works once.
    again = client_for(organisation).get(path, follow=True)
    assert "Lien non valable" in again.content.decode()

    client = client_for(organisation)
    assert client.post(LOGIN, {"email": citizen.email, "password": NEW_PASSWORD}).status_code == 302


def test_reset_only_looks_up_accounts_of_the_collectivite(organisation, other_organisation, visitor, outbox):
    make_citizen(other_organisation, email="voisin@example.org")
    response = visitor.post(RESET, {"email": "voisin@example.org"})
    assert response.status_code == 302
    assert outbox == []

    here = make_citizen(organisation, email="voisin@example.org")
    visitor.post(RESET, {"email": "voisin@example.org"})
    assert len(outbox) == 1
    uidb64 = re.search(r"reinitialiser/([^/]+)/", outbox[0].body).group(1)
    assert int(force_str(urlsafe_base64_decode(uidb64))) == here.pk


def test_reset_link_of_another_collectivites_account_is_refused(other_organisation, visitor):
    other = make_citizen(other_organisation, email="voisin@example.org")
    uidb64 = urlsafe_base64_encode(force_bytes(other.pk))
    token = default_token_generator.make_token(other)
    response = visitor.get(f"/compte/mot-de-passe/reinitialiser/{uidb64}/{token}/", follow=True)
    assert "Lien non valable" in response.content.decode()


def test_reset_confirms_an_unconfirmed_address(organisation, visitor, outbox):
    user = make_unconfirmed(organisation)
    visitor.post(RESET, {"email": user.email})
    response = visitor.get(reset_path_from(outbox[0], organisation))
    visitor.post(response.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    user.refresh_from_db()
    assert user.email_confirmed and user.check_password(NEW_PASSWORD)


def test_reset_bad_input(visitor, outbox):
    response = visitor.post(RESET, {"email": "pas-une-adresse"})
    assert "Saisissez une adresse de courriel valide." in response.content.decode()
    assert outbox == []


def test_password_change(citizen, citizen_client):
    url = "/compte/mot-de-passe/changer/"
    page = citizen_client.get(url)
    assert "<title>Changer mon mot de passe — Saint-Aubin</title>" in page.content.decode()

    wrong = citizen_client.post(
        url, {"old_password": "mauvais", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert "Votre ancien mot de passe est incorrect" in wrong.content.decode()
    weak = citizen_client.post(url, {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"})
    assert "Ce mot de passe est trop court" in weak.content.decode()
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)

    response = citizen_client.post(
        url, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response.url == "/compte/"
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)
    assert SESSION_KEY in citizen_client.session  # still signed in
    assert citizen_client.get("/compte/").status_code == 200


def test_password_change_needs_a_citizen(agent_client, visitor):
    assert visitor.get("/compte/mot-de-passe/changer/").status_code == 302
    assert agent_client.get("/compte/mot-de-passe/changer/").status_code == 403
