"""Citizens' sign-in and sign-out, and throttling of failed attempts (django-axes)."""

from django.contrib.auth import SESSION_KEY

from guichet.oidc.models import IdentityProvider

from tests.accounts.conftest import make_unconfirmed
from tests.conftest import PASSWORD, client_for, make_citizen

LOGIN = "/compte/connexion/"
FAILURE = "Adresse électronique ou mot de passe incorrect."


def test_login_page(visitor):
    response = visitor.get(LOGIN)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Se connecter — Saint-Aubin</title>" in content
    assert 'href="/compte/mot-de-passe/oublie/"' in content and 'href="/compte/inscription/"' in content


def test_citizen_signs_in_and_out(citizen, visitor):
    response = visitor.post(LOGIN, {"email": " Camille.Martin@example.org ", "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/compte/"
    assert visitor.session[SESSION_KEY] == str(citizen.pk)
    assert visitor.get("/compte/").status_code == 200

    assert visitor.get("/compte/deconnexion/").status_code == 405
    assert visitor.session[SESSION_KEY] == str(citizen.pk)
    response = visitor.post("/compte/deconnexion/")
    assert response.status_code == 302 and response.url == "/"
    assert SESSION_KEY not in visitor.session
    assert visitor.get("/compte/").status_code == 302


def test_next_is_honoured_only_when_safe(citizen, organisation):
    client = client_for(organisation)
    response = client.post(LOGIN + "?next=/compte/foyer/", {"email": citizen.email, "password": PASSWORD})
    assert response.url == "/compte/foyer/"
    client = client_for(organisation)
    response = client.post(LOGIN, {"email": citizen.email, "password": PASSWORD, "next": "https://evil.example.com/"})
    assert response.url == "/compte/"
    client = client_for(organisation)
    response = client.post(LOGIN, {"email": citizen.email, "password": PASSWORD, "next": "//evil.example.com/x"})
    assert response.url == "/compte/"


def test_anonymous_visitor_is_sent_to_login_and_back(citizen, visitor):
    response = visitor.get("/compte/foyer/")
    assert response.status_code == 302 and response.url == "/compte/connexion/?next=/compte/foyer/"
    page = visitor.get(response.url).content.decode()
    assert 'name="next" value="/compte/foyer/"' in page


def assert_generic_failure(client, email, password):
    response = client.post(LOGIN, {"email": email, "password": password})
    assert response.status_code == 200
    assert FAILURE in response.content.decode()
    assert SESSION_KEY not in client.session


def test_wrong_password_and_unknown_address(citizen, visitor):
    assert_generic_failure(visitor, citizen.email, "pas-le-bon-mot-de-passe")
    assert_generic_failure(visitor, "inconnu@example.org", PASSWORD)


def test_bad_input(visitor):
    response = visitor.post(LOGIN, {"email": "pas-une-adresse", "password": ""})
    content = response.content.decode()
    assert "Saisissez une adresse de courriel valide." in content and "Ce champ est obligatoire." in content


def test_agent_cannot_use_the_citizens_form(agent, visitor):
    assert_generic_failure(visitor, agent.email, PASSWORD)


def test_citizen_of_another_collectivite_cannot_sign_in_here(other_organisation, visitor):
    make_citizen(other_organisation, email="voisin@example.org")
    assert_generic_failure(visitor, "voisin@example.org", PASSWORD)


def test_unconfirmed_account_is_told_how_to_get_a_new_link(organisation, visitor):
    make_unconfirmed(organisation)
    response = visitor.post(LOGIN, {"email": "camille.martin@example.org", "password": PASSWORD})
    content = response.content.decode()
    assert "Votre adresse électronique n&#x27;est pas encore confirmée" in content
    assert 'href="/compte/confirmer/nouveau-lien/"' in content
    assert SESSION_KEY not in visitor.session
    # With a wrong password the same account gets the generic answer (nothing revealed).
    assert_generic_failure(visitor, "camille.martin@example.org", "pas-le-bon-mot-de-passe")


def test_sixth_attempt_is_locked_out_even_with_the_right_password(citizen, organisation, other_organisation):
    twin = make_citizen(other_organisation, email=citizen.email)
    client = client_for(organisation)
    for _ in range(4):
        assert_generic_failure(client, citizen.email, "mauvais-mot-de-passe")
    fifth = client.post(LOGIN, {"email": citizen.email, "password": "mauvais-mot-de-passe"})
    assert fifth.status_code == 429

    response = client.post(LOGIN, {"email": citizen.email, "password": PASSWORD})
    assert response.status_code == 429
    content = response.content.decode()
    assert "Trop de tentatives de connexion" in content and "Réessayez dans 15 minutes" in content
    assert SESSION_KEY not in client.session

    # The same address in another collectivité is another account: not locked.
    other = client_for(other_organisation)
    response = other.post(LOGIN, {"email": citizen.email, "password": PASSWORD})
    assert response.status_code == 302 and other.session[SESSION_KEY] == str(twin.pk)


def test_enabled_identity_providers_are_offered(organisation, other_organisation, visitor):
    common = {"issuer": "https://fc.example", "client_id": "abc"}
    IdentityProvider.objects.create(organisation=organisation, name="FranceConnect", slug="franceconnect", **common)
    IdentityProvider.objects.create(organisation=organisation, name="Éteint", slug="eteint", enabled=False, **common)
    IdentityProvider.objects.create(organisation=other_organisation, name="Voisin", slug="voisin", **common)
    for url in (LOGIN, "/compte/inscription/"):
        content = visitor.get(url).content.decode()
        assert 'href="/compte/identite/franceconnect/"' in content
        assert "Se connecter avec FranceConnect" in content
        assert "Éteint" not in content and "Voisin" not in content
