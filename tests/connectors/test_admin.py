"""The connectors' administration pages: administrators only, isolation, secrets never shown back, tests."""

import pytest

from guichet.connectors.models import Connector
from tests.conftest import client_for, make_agent

from .conftest import Service, answer, make_connector

URL = "/agents/admin/connecteurs/"

GOOD = {"name": "Finances (Berger-Levrault)", "slug": "finances", "base_url": "https://finances.example.fr/api",
        "auth_kind": "bearer", "secret": "jeton-tres-secret-42", "username": "", "header_name": "",
        "timeout_seconds": "8", "max_attempts": "4", "header_lines": "X-Commune: 54470\nAccept-Language: fr"}


def test_only_administrators(organisation, agent, citizen, anonymous_client):
    connector = make_connector(organisation, "https://metier.example.fr")
    for path in (URL, f"{URL}nouveau/", f"{URL}{connector.pk}/"):
        assert client_for(organisation, agent).get(path).status_code == 403
        assert client_for(organisation, citizen).get(path).status_code == 403
        assert anonymous_client.get(path).status_code == 302
    for path in (f"{URL}{connector.pk}/tester/", f"{URL}{connector.pk}/activer/"):
        assert client_for(organisation, agent).post(path).status_code == 403
    connector.refresh_from_db()
    assert connector.is_active


def test_list_shows_the_collectivites_connectors_only(organisation, other_organisation, admin_client_org,
                                                      django_assert_max_num_queries):
    for n in range(5):
        make_connector(organisation, f"https://metier{n}.example.fr", slug=f"metier-{n}", name=f"Métier {n}",
                       auth_kind="bearer", secret=f"secret-visible-{n}")
    make_connector(other_organisation, "https://montclair.example.fr", slug="ailleurs", name="Chez Montclair")
    with django_assert_max_num_queries(12):
        response = admin_client_org.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Métier 4" in page and "metier-0" in page and "Chez Montclair" not in page
    assert "secret-visible" not in page


def test_create_then_the_secret_is_never_shown_back(organisation, admin_client_org):
    response = admin_client_org.post(f"{URL}nouveau/", GOOD)
    connector = Connector.objects.get(organisation=organisation, slug="finances")
    assert response.status_code == 302 and response["Location"] == f"{URL}{connector.pk}/"
    assert connector.secret == "jeton-tres-secret-42" and connector.auth_kind == "bearer"
    assert connector.headers == {"X-Commune": "54470", "Accept-Language": "fr"}
    assert connector.timeout_seconds == 8 and connector.max_attempts == 4
    page = admin_client_org.get(f"{URL}{connector.pk}/").content.decode()
    assert "jeton-tres-secret-42" not in page and "••••" in page and "X-Commune: 54470" in page
    # Saved again without typing the secret: it is kept.
    response = admin_client_org.post(f"{URL}{connector.pk}/", {**GOOD, "secret": "", "name": "Finances"})
    assert response.status_code == 302
    connector.refresh_from_db()
    assert connector.name == "Finances" and connector.secret == "jeton-tres-secret-42"
    # Replaced when a new one is typed.
    admin_client_org.post(f"{URL}{connector.pk}/", {**GOOD, "secret": "nouveau-jeton"})
    connector.refresh_from_db()
    assert connector.secret == "nouveau-jeton"


@pytest.mark.parametrize("changes, field, message", [
    ({"name": "  "}, "name", "Indiquez le nom du connecteur."),
    ({"slug": "Finances !"}, "slug", "lettres minuscules"),
    ({"base_url": "ftp://finances.example.fr"}, "base_url", "http:// ou https://"),
    ({"base_url": "https://finances.example.fr/api?cle=1"}, "base_url", "sans « ? »"),
    ({"base_url": "https://moi:motdepasse@finances.example.fr"}, "base_url", "N'écrivez pas d'identifiant"),
    ({"auth_kind": "kerberos"}, "auth_kind", "Choisissez une authentification"),
    ({"secret": ""}, "secret", "Cette authentification demande un secret."),
    ({"secret": "a\nb"}, "secret", "tenir sur une ligne"),
    ({"auth_kind": "hmac", "secret": "court"}, "secret", "au moins 16 caractères"),
    ({"auth_kind": "basic", "username": ""}, "username", "Indiquez l'identifiant de connexion."),
    ({"auth_kind": "api_key", "header_name": ""}, "header_name", "Indiquez le nom de l'en-tête"),
    ({"auth_kind": "api_key", "header_name": "X Api Key"}, "header_name", "nom d'en-tête HTTP valide"),
    ({"auth_kind": "api_key", "header_name": "X-Commune"}, "header_name", "aussi dans les en-têtes ajoutés"),
    ({"timeout_seconds": "0"}, "timeout_seconds", "entre 1 et 60"),
    ({"timeout_seconds": "61"}, "timeout_seconds", "entre 1 et 60"),
    ({"timeout_seconds": "dix"}, "timeout_seconds", "entre 1 et 60"),
    ({"max_attempts": "11"}, "max_attempts", "entre 1 et 10"),
    ({"header_lines": "sans deux-points"}, "header_lines", "écrivez « Nom: valeur »"),
    ({"header_lines": "Host: evil.example.org"}, "header_lines", "écrit par Guichet lui-même"),
    ({"header_lines": "Authorization: Bearer x"}, "header_lines", "écrit par Guichet lui-même"),
    ({"header_lines": "X-A: 1\nx-a: 2"}, "header_lines", "déjà donné"),
    ({"header_lines": "Mauvais Nom: 1"}, "header_lines", "nom d'en-tête HTTP valide"),
])
def test_bad_input_gets_french_errors_on_the_fields(admin_client_org, changes, field, message):
    response = admin_client_org.post(f"{URL}nouveau/", {**GOOD, **changes})
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Connector.objects.exists()


def test_slug_is_unique_per_collectivite(organisation, other_organisation, admin_client_org):
    make_connector(other_organisation, "https://montclair.example.fr", slug="finances")
    assert admin_client_org.post(f"{URL}nouveau/", GOOD).status_code == 302  # free here
    response = admin_client_org.post(f"{URL}nouveau/", GOOD)
    assert response.status_code == 400
    assert "Un autre connecteur porte déjà cet identifiant." in response.context["form"].errors["slug"]


def test_another_collectivites_connector_is_404(organisation, other_organisation, admin_client_org):
    theirs = make_connector(other_organisation, "https://montclair.example.fr", auth_kind="bearer", secret="leur")
    assert admin_client_org.get(f"{URL}{theirs.pk}/").status_code == 404
    assert admin_client_org.post(f"{URL}{theirs.pk}/", GOOD).status_code == 404
    assert admin_client_org.post(f"{URL}{theirs.pk}/tester/", {"path": ""}).status_code == 404
    assert admin_client_org.post(f"{URL}{theirs.pk}/activer/").status_code == 404
    assert admin_client_org.get(f"{URL}99999999999999999999/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.name != GOOD["name"]
    # Their administrator sees it.
    admin = make_agent(other_organisation, email="admin@montclair.example.org", is_org_admin=True)
    assert client_for(other_organisation, admin).get(f"{URL}{theirs.pk}/").status_code == 200


def test_test_the_connection(organisation, admin_client_org, service_server):
    connector = make_connector(organisation, f"{service_server}/api", auth_kind="api_key", header_name="X-Api-Key",
                               secret="cle-de-test")
    Service.default = answer(200, {"etat": "ok"})
    response = admin_client_org.post(f"{URL}{connector.pk}/tester/", {"path": "/sante"})
    page = response.content.decode()
    assert response.status_code == 200 and "Connexion réussie." in page and "Réponse 200 en" in page
    assert "etat" in page and "cle-de-test" not in page
    sent = Service.calls[-1]
    assert sent["method"] == "GET" and sent["path"] == "/api/sante" and sent["headers"]["X-Api-Key"] == "cle-de-test"
    Service.default = answer(500, {"erreur": "panne"})
    page = admin_client_org.post(f"{URL}{connector.pk}/tester/", {"path": ""}).content.decode()
    assert "Échec de la connexion." in page and "code 500" in page and Service.calls[-1]["path"] == "/api"
    connector.refresh_from_db()
    assert connector.last_status == 500 and "code 500" in connector.last_error
    response = admin_client_org.post(f"{URL}{connector.pk}/tester/", {"path": "//evil.example.org"})
    assert response.status_code == 400 and "path" in response.context["test_form"].errors
    assert len(Service.calls) == 2


def test_deactivate_and_reactivate(organisation, admin_client_org):
    connector = make_connector(organisation, "https://metier.example.fr")
    assert admin_client_org.get(f"{URL}{connector.pk}/activer/").status_code == 405
    response = admin_client_org.post(f"{URL}{connector.pk}/activer/", follow=True)
    connector.refresh_from_db()
    assert not connector.is_active and "est désactivé" in response.content.decode()
    admin_client_org.post(f"{URL}{connector.pk}/activer/")
    connector.refresh_from_db()
    assert connector.is_active


def test_switching_to_no_authentication_forgets_the_secret(organisation, admin_client_org):
    connector = make_connector(organisation, "https://metier.example.fr", auth_kind="basic", username="u",
                               secret="mot-de-passe")
    response = admin_client_org.post(f"{URL}{connector.pk}/", {**GOOD, "slug": connector.slug, "auth_kind": "none",
                                                               "secret": ""})
    assert response.status_code == 302
    connector.refresh_from_db()
    assert connector.secret == "" and connector.username == "" and connector.auth_kind == "none"


def test_pages_in_english(organisation, admin_client_org):
    connector = make_connector(organisation, "https://metier.example.fr")
    admin_client_org.cookies["django_language"] = "en"
    response = admin_client_org.get(URL)
    assert response.status_code == 200
    page = admin_client_org.get(f"{URL}{connector.pk}/").content.decode()
    assert "Test the connection" in page
