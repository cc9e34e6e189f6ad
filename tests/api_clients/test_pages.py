"""The administrators' pages of the API clients: who may use them, the secret shown once, bad input, isolation."""

from html import unescape

import pytest

from guichet.api_clients import services
from guichet.api_clients.models import ApiClient, Scope
from guichet.organisations.secrets import hash_secret
from tests.conftest import client_for, make_agent, make_service

from .conftest import LIST

pytestmark = pytest.mark.django_db

CREATE = LIST + "nouveau/"


def _posted(**fields):
    data = {"name": "Logiciel d'état civil", "description": "", "scopes": ["requests:read", "requests:write"],
            "rate_limit": "60"}
    data.update(fields)
    return data


def _errors(response):
    return unescape(response.content.decode())


def test_creation_shows_the_secret_once(admin_client_org, organisation, org_admin, service):
    response = admin_client_org.post(CREATE, _posted(services=[service.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    client = ApiClient.objects.get()
    clear = response.context["clear"]
    page = _errors(response)
    assert clear in page and "il ne sera plus jamais affiché" in page
    assert client.secret_hash == hash_secret(clear) and client.organisation == organisation
    assert client.created_by == org_admin and client.scopes == ["requests:read", "requests:write"]
    assert list(client.services.all()) == [service] and client.rate_limit == 60
    listed = admin_client_org.get(LIST)
    assert listed.status_code == 200 and listed["Cache-Control"] == "no-store"
    text = _errors(listed)
    assert clear not in text and f"{client.hint}…" in text and "État civil" in text
    assert clear not in _errors(admin_client_org.get(f"{LIST}{client.pk}/"))
    assert services.authenticate_bearer(organisation, f"Bearer {clear}") == client


def test_the_form_offers_the_scopes_with_their_descriptions(admin_client_org):
    response = admin_client_org.get(CREATE)
    text = _errors(response)
    assert response.status_code == 200
    for scope in Scope:
        assert f'value="{scope.value}"' in text and str(scope.label) in text
    assert 'type="checkbox"' in text


def test_editing_a_client(admin_client_org, organisation, make_client, service):
    client, clear = make_client(organisation)
    response = admin_client_org.get(f"{LIST}{client.pk}/")
    assert response.status_code == 200 and 'value="Logiciel d&#x27;état civil"' in response.content.decode()
    response = admin_client_org.post(f"{LIST}{client.pk}/", _posted(name="Appli mobile", scopes=["open311"],
                                                                     services=[service.pk], rate_limit="10000"))
    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.name, client.scopes, client.rate_limit) == ("Appli mobile", ["open311"], 10_000)
    assert list(client.services.all()) == [service]
    assert client.secret_hash == hash_secret(clear)


def test_revoking_asks_for_confirmation_then_refuses_the_next_call(admin_client_org, organisation, make_client,
                                                                   org_admin):
    client, clear = make_client(organisation)
    page = admin_client_org.get(f"{LIST}{client.pk}/revoquer/")
    assert page.status_code == 200 and "Révoquer définitivement" in _errors(page)
    assert ApiClient.objects.get().is_active
    response = admin_client_org.post(f"{LIST}{client.pk}/revoquer/")
    assert response.status_code == 302 and response["Location"] == LIST
    client.refresh_from_db()
    assert not client.is_active and client.revoked_by == org_admin
    assert services.authenticate_bearer(organisation, f"Bearer {clear}") is None
    assert "Révoqué le" in _errors(admin_client_org.get(LIST))


def test_a_revoked_client_is_refused_at_once_by_the_rest_api(admin_client_org, organisation, make_client):
    """The next call with the secret is a 401 (on a bearer-protected operation of /api/v1/)."""
    from guichet.api.core import api

    schema = api.get_openapi_schema()
    secured = [(path, method) for path, operations in schema.get("paths", {}).items()
               for method, operation in operations.items()
               if method == "get" and "{" not in path and {} not in operation.get("security", [{}])
               and any("ClientAuth" in requirement for requirement in operation["security"])]
    assert secured
    path = secured[0][0]
    client, clear = make_client(organisation, scopes=list(Scope.values))
    browser = client_for(organisation)
    assert browser.get(path, HTTP_AUTHORIZATION=f"Bearer {clear}").status_code == 200
    admin_client_org.post(f"{LIST}{client.pk}/revoquer/")
    assert browser.get(path, HTTP_AUTHORIZATION=f"Bearer {clear}").status_code == 401


def test_renewing_shows_a_new_secret_once_and_refuses_the_former(admin_client_org, organisation, make_client):
    client, clear = make_client(organisation)
    assert admin_client_org.get(f"{LIST}{client.pk}/renouveler/").status_code == 200
    response = admin_client_org.post(f"{LIST}{client.pk}/renouveler/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    renewed = response.context["clear"]
    assert renewed != clear and renewed in _errors(response) and "l'ancien est refusé" in _errors(response)
    assert services.authenticate_bearer(organisation, f"Bearer {clear}") is None
    assert services.authenticate_bearer(organisation, f"Bearer {renewed}") == client
    assert renewed not in _errors(admin_client_org.get(LIST))


def test_a_revoked_client_s_secret_cannot_be_renewed(admin_client_org, organisation, make_client):
    client, clear = make_client(organisation)
    services.revoke_client(client)
    hash_before = ApiClient.objects.get().secret_hash
    for method in ("get", "post"):
        response = getattr(admin_client_org, method)(f"{LIST}{client.pk}/renouveler/", follow=True)
        assert response.status_code == 200 and "ne peut plus être renouvelé" in _errors(response)
    assert ApiClient.objects.get().secret_hash == hash_before


def test_the_list_shows_the_calls_of_the_minute_and_rate_limiting(admin_client_org, organisation, make_client):
    busy, _clear = make_client(organisation, name="Appli mobile", rate_limit=2)
    make_client(organisation, name="Logiciel scolaire")
    for _ in range(3):
        services.check_rate(busy)
    text = _errors(admin_client_org.get(LIST))
    assert "3 sur 2" in text and "Limité (429)" in text and "0 sur 120" in text
    assert text.count("Limité (429)") == 1


def test_the_list_page_makes_a_bounded_number_of_queries(admin_client_org, organisation, make_client,
                                                         django_assert_max_num_queries):
    admin_client_org.get(LIST)
    services_ = [make_service(organisation, name=f"Service {n}", slug=f"service-{n}") for n in range(3)]
    for n in range(15):
        client, _clear = make_client(organisation, name=f"Client {n}", services=services_[: n % 3])
        services.check_rate(client)
    with django_assert_max_num_queries(8):  # session, user, device, collectivité…; clients + their services
        response = admin_client_org.get(LIST)
    assert response.status_code == 200 and len(response.context["clients"]) == 15


@pytest.mark.parametrize("fields, field, message", [
    ({"name": ""}, "name", "Indiquez le nom du client."),
    ({"name": "   "}, "name", "Indiquez le nom du client."),
    ({"name": "x" * 121}, "name", "Le nom ne peut dépasser 120 caractères."),
    ({"name": "Logiciel\x00"}, "name", "Le caractère nul n’est pas autorisé."),
    ({"description": "x" * 2001}, "description", "La description ne peut dépasser 2 000 caractères."),
    ({"scopes": []}, "scopes", "Cochez au moins une permission."),
    ({"scopes": ["requests:read", "admin:all"]}, "scopes", "Choisissez des permissions de la liste."),
    ({"rate_limit": "0"}, "rate_limit", "de 1 à 10 000"),
    ({"rate_limit": "10001"}, "rate_limit", "de 1 à 10 000"),
    ({"rate_limit": "99999999999999999999999"}, "rate_limit", "de 1 à 10 000"),
    ({"rate_limit": "-5"}, "rate_limit", "de 1 à 10 000"),
    ({"rate_limit": "beaucoup"}, "rate_limit", "de 1 à 10 000"),
    ({"rate_limit": ""}, "rate_limit", "Indiquez le nombre d'appels permis par minute."),
    ({"services": ["abc"]}, "services", "Choisissez des services de la collectivité."),
    ({"services": ["99999999999999999999999"]}, "services", "Choisissez des services de la collectivité."),
])
def test_bad_input_gets_a_french_error_and_creates_nothing(admin_client_org, fields, field, message):
    response = admin_client_org.post(CREATE, _posted(**fields))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert message in _errors(response) and 'id="error-summary"' in response.content.decode()
    assert not ApiClient.objects.exists()


def test_another_collectivite_s_service_cannot_be_given(admin_client_org, organisation, make_client,
                                                        other_service):
    response = admin_client_org.post(CREATE, _posted(services=[other_service.pk]))
    assert response.status_code == 400 and "Choisissez des services de la collectivité." in _errors(response)
    client, _clear = make_client(organisation)
    response = admin_client_org.post(f"{LIST}{client.pk}/", _posted(services=[other_service.pk]))
    assert response.status_code == 400 and not client.services.exists()
    assert other_service.name not in _errors(admin_client_org.get(CREATE))


def test_the_pages_are_for_administrators_of_the_collectivite(organisation, agent, citizen_client, make_client,
                                                              anonymous_client):
    client, _clear = make_client(organisation)
    urls = [LIST, CREATE, f"{LIST}{client.pk}/", f"{LIST}{client.pk}/revoquer/", f"{LIST}{client.pk}/renouveler/"]
    agent_client = client_for(organisation, agent)
    manager = make_agent(organisation, email="chef@example.org", services=[make_service(organisation, "Voirie",
                                                                                        "voirie")],
                         role="manager")
    for url in urls:
        assert agent_client.get(url).status_code == 403
        assert client_for(organisation, manager).get(url).status_code == 403
        assert citizen_client.get(url).status_code == 403
        response = anonymous_client.get(url)
        assert response.status_code == 302 and "/agents/" in response["Location"]
    for url in urls[1:]:
        assert agent_client.post(url, _posted()).status_code == 403
    client.refresh_from_db()
    assert client.is_active and client.name == "Logiciel d'état civil" and ApiClient.objects.count() == 1


def test_another_collectivite_s_client_is_a_404(organisation, other_organisation, make_client, other_admin):
    client, clear = make_client(organisation)
    montclair = client_for(other_organisation, other_admin)
    for url in (f"{LIST}{client.pk}/", f"{LIST}{client.pk}/revoquer/", f"{LIST}{client.pk}/renouveler/"):
        assert montclair.get(url).status_code == 404
        assert montclair.post(url, _posted(name="Volé")).status_code == 404
    assert montclair.get(f"{LIST}{2**63}/").status_code == 404
    assert client.name not in _errors(montclair.get(LIST))
    client.refresh_from_db()
    assert client.is_active and client.name == "Logiciel d'état civil"
    assert services.authenticate_bearer(organisation, f"Bearer {clear}") == client


def test_the_pages_in_english(admin_client_org, organisation, make_client, settings):
    make_client(organisation)
    admin_client_org.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch's choice
    response = admin_client_org.get(LIST)
    text = _errors(response)
    assert response.status_code == 200 and "API clients" in text and "Calls this minute" in text
    response = admin_client_org.post(CREATE, _posted(rate_limit="0"))
    assert "Enter a whole number of calls per minute, from 1 to 10,000." in _errors(response)
