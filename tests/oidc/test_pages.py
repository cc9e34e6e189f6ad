"""« Mes identités de connexion » for citizens, and the administrators' provider pages."""

import pytest
from django.urls import reverse

from guichet.oidc.models import ExternalIdentity, IdentityProvider
from tests.conftest import client_for

from .conftest import PROVIDER_WARNINGS, begin, make_provider, new_sub, sign_in

pytestmark = [pytest.mark.django_db, *PROVIDER_WARNINGS]

REDIRECT_URI = "http://saint-aubin.localhost/compte/identite/retour/"


# Citizens' page ----------------------------------------------------------------------------------


def test_identities_page_lists_linked_and_linkable_providers(organisation, citizen_client, citizen, provider, oidc):
    other = make_provider(organisation, oidc.issuer, slug="autre", name="Autre fournisseur")
    make_provider(organisation, oidc.issuer, slug="eteint", name="Fournisseur éteint", enabled=False)
    identity = ExternalIdentity.objects.create(organisation=organisation, user=citizen, provider=provider, subject="s")

    response = citizen_client.get(reverse("oidc:identities"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Mes identités de connexion — Saint-Aubin</title>" in page
    assert "<caption>Identités liées à mon compte</caption>" in page
    assert f'action="{reverse("oidc:unlink", args=[identity.pk])}"' in page
    assert "Délier FranceConnect" in page
    assert "Lier mon compte à Autre fournisseur" in page
    assert f'{reverse("oidc:start", args=[other.slug])}?link=1' in page
    assert "Lier mon compte à FranceConnect" not in page  # already linked
    assert "Fournisseur éteint" not in page


def test_identities_page_needs_a_citizen(anonymous_client, agent_client, provider):
    response = anonymous_client.get(reverse("oidc:identities"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert agent_client.get(reverse("oidc:identities")).status_code == 403


def test_unlink(organisation, citizen_client, citizen, provider):
    identity = ExternalIdentity.objects.create(organisation=organisation, user=citizen, provider=provider, subject="s")
    response = citizen_client.post(reverse("oidc:unlink", args=[identity.pk]), follow=True)
    assert "Votre compte n&#x27;est plus lié à « FranceConnect »." in response.content.decode()
    assert not ExternalIdentity.objects.exists()


def test_unlink_needs_post(organisation, citizen_client, citizen, provider):
    identity = ExternalIdentity.objects.create(organisation=organisation, user=citizen, provider=provider, subject="s")
    assert citizen_client.get(reverse("oidc:unlink", args=[identity.pk])).status_code == 405
    assert ExternalIdentity.objects.exists()


def test_cannot_unlink_someone_elses_identity(organisation, citizen_client, provider):
    from tests.conftest import make_citizen

    other = make_citizen(organisation, email="autre@example.org")
    identity = ExternalIdentity.objects.create(organisation=organisation, user=other, provider=provider, subject="s")
    assert citizen_client.post(reverse("oidc:unlink", args=[identity.pk])).status_code == 404
    assert ExternalIdentity.objects.filter(pk=identity.pk).exists()


def test_cannot_unlink_the_only_way_into_an_account_without_password(anonymous_client, provider, oidc):
    sign_in(anonymous_client, oidc, new_sub())  # account created by the provider: no password
    identity = ExternalIdentity.objects.get()

    response = anonymous_client.post(reverse("oidc:unlink", args=[identity.pk]), follow=True)

    assert "votre seul moyen de connexion" in response.content.decode()
    assert ExternalIdentity.objects.filter(pk=identity.pk).exists()


# Administrators' pages -----------------------------------------------------------------------------


def valid_data(**changes):
    data = {
        "name": "FranceConnect", "slug": "franceconnect", "issuer": "https://fcp.integ01.dev-franceconnect.fr/api/v1",
        "client_id": "mon-client", "client_secret": "mon-secret",
        "scopes": "openid given_name family_name birthdate email", "acr_values": "eidas1",
        "trust_email": "on", "enabled": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_citizens_and_plain_agents_are_refused(citizen_client, agent_client, anonymous_client, provider):
    for name, args in [("list", []), ("create", []), ("edit", [provider.pk]), ("delete", [provider.pk])]:
        url = reverse(f"oidc_admin:{name}", args=args)
        response = anonymous_client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("agents:login"))
        assert citizen_client.get(url).status_code == 403
        assert agent_client.get(url).status_code == 403
    assert agent_client.post(reverse("oidc_admin:delete", args=[provider.pk])).status_code == 403
    assert agent_client.post(reverse("oidc_admin:create"), valid_data(slug="x")).status_code == 403
    assert IdentityProvider.objects.count() == 1


def test_agent_without_second_factor_is_refused(organisation, org_admin):
    browser = client_for(organisation)
    browser.force_login(org_admin, backend="guichet.accounts.backends.OrganisationBackend")  # no TOTP
    response = browser.get(reverse("oidc_admin:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("agents:login"))


def test_list_shows_providers_and_the_redirect_uri(admin_client_org, provider):
    page = admin_client_org.get(reverse("oidc_admin:list")).content.decode()
    assert REDIRECT_URI in page
    assert "<caption>Fournisseurs d&#x27;identité de la collectivité</caption>" in page or \
        "<caption>Fournisseurs d'identité de la collectivité</caption>" in page
    assert "Modifier FranceConnect" in page and provider.issuer in page
    assert "secret-du-client" not in page


def test_create_provider(organisation, admin_client_org):
    page = admin_client_org.get(reverse("oidc_admin:create")).content.decode()
    assert REDIRECT_URI in page and 'type="password"' in page

    response = admin_client_org.post(reverse("oidc_admin:create"), valid_data())

    assert response.status_code == 302 and response["Location"] == reverse("oidc_admin:list")
    provider = IdentityProvider.objects.get()
    assert provider.organisation == organisation
    assert (provider.client_id, provider.client_secret, provider.acr_values) == ("mon-client", "mon-secret", "eidas1")
    assert provider.trust_email and provider.enabled


def test_secret_is_never_displayed_and_kept_when_left_blank(admin_client_org, provider):
    page = admin_client_org.get(reverse("oidc_admin:edit", args=[provider.pk])).content.decode()
    assert "secret-du-client" not in page
    assert "Laissez vide pour le conserver" in page

    response = admin_client_org.post(
        reverse("oidc_admin:edit", args=[provider.pk]),
        valid_data(issuer=provider.issuer, client_secret="", name="FranceConnect+", enabled=None),
    )

    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.name, provider.client_secret, provider.enabled) == ("FranceConnect+", "secret-du-client", False)

    admin_client_org.post(reverse("oidc_admin:edit", args=[provider.pk]),
                          valid_data(issuer=provider.issuer, client_secret="nouveau"))
    provider.refresh_from_db()
    assert provider.client_secret == "nouveau"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"issuer": "http://fournisseur.example"}, "issuer", "L&#x27;émetteur doit utiliser https://"),
    ({"issuer": "ftp://fournisseur.example"}, "issuer", "Indiquez l&#x27;adresse complète de l&#x27;émetteur"),
    ({"issuer": "https://fournisseur.example/?x=1"}, "issuer", "ni « ? » ni « # »"),
    ({"client_id": ""}, "client_id", "Ce champ est obligatoire."),
    ({"name": ""}, "name", "Ce champ est obligatoire."),
    ({"slug": "Pas un identifiant"}, "slug", "Ce champ ne doit contenir que des lettres"),
    ({"slug": "retour"}, "slug", "Cet identifiant est réservé"),
    ({"scopes": "profile email"}, "scopes", "Les scopes doivent contenir « openid »."),
])
def test_create_refuses_bad_input(admin_client_org, changes, field, message):
    response = admin_client_org.post(reverse("oidc_admin:create"), valid_data(**changes))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert message in page
    assert field in response.context["form"].errors
    assert not IdentityProvider.objects.exists()


@pytest.mark.parametrize("issuer", ["http://localhost:8080", "http://127.0.0.1:9000/realms/guichet"])
def test_http_issuer_allowed_for_local_development(admin_client_org, issuer):
    response = admin_client_org.post(reverse("oidc_admin:create"), valid_data(issuer=issuer))
    assert response.status_code == 302
    assert IdentityProvider.objects.get().issuer == issuer


def test_duplicate_slug_is_refused(organisation, admin_client_org, provider):
    response = admin_client_org.post(reverse("oidc_admin:create"), valid_data(slug=provider.slug))
    assert "Un fournisseur porte déjà cet identifiant." in response.content.decode()
    assert IdentityProvider.objects.count() == 1


def test_same_slug_in_another_collectivite_is_fine(other_organisation, admin_client_org, oidc):
    make_provider(other_organisation, oidc.issuer)
    response = admin_client_org.post(reverse("oidc_admin:create"), valid_data())
    assert response.status_code == 302
    assert IdentityProvider.objects.count() == 2


def test_edit_refuses_bad_input_and_changes_nothing(admin_client_org, provider):
    response = admin_client_org.post(
        reverse("oidc_admin:edit", args=[provider.pk]), valid_data(issuer="http://public.example", client_id=""),
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"issuer", "client_id"}
    provider.refresh_from_db()
    assert (provider.issuer, provider.client_id) != ("http://public.example", "")
    assert provider.client_id == "guichet-saint-aubin"


def test_delete_provider_asks_then_deletes(organisation, admin_client_org, citizen, provider):
    ExternalIdentity.objects.create(organisation=organisation, user=citizen, provider=provider, subject="s")
    page = admin_client_org.get(reverse("oidc_admin:delete", args=[provider.pk])).content.decode()
    assert "1 compte d&#x27;usager est lié" in page or "1 compte d'usager est lié" in page
    assert IdentityProvider.objects.exists()

    response = admin_client_org.post(reverse("oidc_admin:delete", args=[provider.pk]))

    assert response.status_code == 302
    assert not IdentityProvider.objects.exists() and not ExternalIdentity.objects.exists()
    citizen.refresh_from_db()  # the account itself stays


def test_a_configured_provider_works_end_to_end(organisation, admin_client_org, anonymous_client, oidc):
    """What the administrator types in is enough for a citizen to sign in."""
    admin_client_org.post(reverse("oidc_admin:create"), valid_data(
        issuer=oidc.issuer, slug="test", name="Fournisseur de test", scopes="openid profile email", acr_values="",
    ))
    assert begin(anonymous_client, "test").startswith(oidc.issuer)
    response = sign_in(anonymous_client, oidc, new_sub(), slug="test")
    assert response.status_code == 302
    assert ExternalIdentity.objects.get().provider.slug == "test"
