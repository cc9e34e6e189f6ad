"""Login, account creation, linking and claims mapping, end to end against a real OpenID provider."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from guichet.accounts.models import User
from guichet.oidc.models import ExternalIdentity
from guichet.oidc.services import SESSION_KEY, code_challenge
from tests.conftest import client_for, make_citizen

from .conftest import PROVIDER_WARNINGS, CLAIMS, begin, logged_in_user_id, make_provider, new_sub, s256, sign_in

pytestmark = [pytest.mark.django_db, *PROVIDER_WARNINGS]


def test_authorization_request_carries_state_nonce_and_pkce(anonymous_client, provider, oidc):
    url = begin(anonymous_client)
    assert url.startswith(f"{oidc.issuer}/oauth2/authorize?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == "guichet-saint-aubin"
    assert params["redirect_uri"] == "http://saint-aubin.localhost/compte/identite/retour/"
    assert params["scope"] == "openid profile email"
    assert params["code_challenge_method"] == "S256"
    attempt = anonymous_client.session[SESSION_KEY][params["state"]]
    assert attempt["nonce"] == params["nonce"]
    assert params["code_challenge"] == s256(attempt["code_verifier"]) == code_challenge(attempt["code_verifier"])
    assert len(params["state"]) >= 40 and len(params["nonce"]) >= 40
    assert "acr_values" not in params


def test_acr_values_are_sent_when_configured(anonymous_client, provider):
    provider.acr_values = "eidas1"
    provider.save()
    params = parse_qs(urlsplit(begin(anonymous_client)).query)
    assert params["acr_values"] == ["eidas1"]


def test_first_login_creates_a_citizen_from_the_claims(anonymous_client, organisation, provider, oidc):
    sub = new_sub()
    response = sign_in(anonymous_client, oidc, sub)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    user = User.objects.get(organisation=organisation, email="jean-pierre.dupont@example.org")
    assert logged_in_user_id(anonymous_client) == user.pk
    assert anonymous_client.session["_auth_user_backend"] == "guichet.accounts.backends.OrganisationBackend"
    assert (user.kind, user.first_name, user.last_name) == (User.Kind.CITIZEN, "Jean-Pierre", "Dupont")
    assert user.birth_date == datetime.date(1980, 5, 2)
    assert user.email_confirmed is True  # provider.trust_email
    assert not user.has_usable_password()
    identity = ExternalIdentity.objects.get(user=user)
    assert (identity.organisation, identity.provider, identity.subject) == (organisation, provider, sub)
    assert identity.last_login_at is not None
    # Our side sent the code_verifier and authenticated as the client (HTTP Basic) at the token endpoint.
    token_request = oidc.token_requests[-1]
    assert token_request["grant_type"] == "authorization_code"
    assert token_request["redirect_uri"] == "http://saint-aubin.localhost/compte/identite/retour/"
    assert token_request["authorization"].startswith("Basic ")
    # The attempt is consumed.
    assert anonymous_client.session.get(SESSION_KEY) == {}


def test_new_account_email_not_confirmed_when_provider_is_not_trusted(anonymous_client, provider, oidc):
    provider.trust_email = False
    provider.save()
    sign_in(anonymous_client, oidc, new_sub())
    assert User.objects.get(email=CLAIMS["email"]).email_confirmed is False


def test_email_verified_false_is_not_confirmed_even_when_trusted(anonymous_client, provider, oidc):
    sign_in(anonymous_client, oidc, new_sub(), {**CLAIMS, "email_verified": False})
    assert User.objects.get(email=CLAIMS["email"]).email_confirmed is False


def test_partial_or_invalid_birthdate_is_ignored(anonymous_client, provider, oidc):
    sign_in(anonymous_client, oidc, new_sub(), {**CLAIMS, "birthdate": "1980-00-00"})
    user = User.objects.get(email=CLAIMS["email"])
    assert user.birth_date is None and user.first_name == "Jean-Pierre"


def test_second_login_with_the_same_identity_reuses_the_account(anonymous_client, provider, oidc):
    sub = new_sub()
    sign_in(anonymous_client, oidc, sub)
    user = User.objects.get(email=CLAIMS["email"])
    first_login = ExternalIdentity.objects.get(user=user).last_login_at
    anonymous_client.logout()
    assert logged_in_user_id(anonymous_client) is None

    # The provider now says something else: the citizen's profile is not overwritten.
    response = sign_in(anonymous_client, oidc, sub, {**CLAIMS, "given_name": "Autre", "email": "autre@example.org"})

    assert response.status_code == 302
    assert logged_in_user_id(anonymous_client) == user.pk
    assert User.objects.count() == 1
    user.refresh_from_db()
    assert (user.first_name, user.email) == ("Jean-Pierre", CLAIMS["email"])
    assert ExternalIdentity.objects.get(user=user).last_login_at > first_login


def test_known_identity_only_fills_empty_profile_fields(anonymous_client, organisation, provider, oidc, citizen):
    citizen.first_name = "Camille"
    citizen.last_name = ""
    citizen.save()
    sub = new_sub()
    ExternalIdentity.objects.create(organisation=organisation, user=citizen, provider=provider, subject=sub)

    sign_in(anonymous_client, oidc, sub)

    assert logged_in_user_id(anonymous_client) == citizen.pk
    citizen.refresh_from_db()
    assert citizen.first_name == "Camille"  # filled by the citizen: kept
    assert citizen.last_name == "Dupont"  # was empty: filled
    assert citizen.birth_date == datetime.date(1980, 5, 2)
    assert citizen.email == "camille.martin@example.org"  # the sign-in name never changes


def test_next_is_kept_when_on_this_host(anonymous_client, provider, oidc):
    response = sign_in(anonymous_client, oidc, new_sub(), next="/compte/foyer/")
    assert response["Location"] == "/compte/foyer/"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "http://montclair.localhost/"])
def test_next_to_another_host_is_dropped(anonymous_client, provider, oidc, next_url):
    response = sign_in(anonymous_client, oidc, new_sub(), next=next_url)
    assert response["Location"] == reverse("accounts:profile")


def test_logged_in_citizen_links_then_signs_in_with_the_identity(citizen_client, citizen, provider, oidc):
    sub = new_sub()
    response = sign_in(citizen_client, oidc, sub, link="1")

    assert response.status_code == 302
    assert response["Location"] == reverse("oidc:identities")
    identity = ExternalIdentity.objects.get(provider=provider, subject=sub)
    assert identity.user == citizen
    citizen.refresh_from_db()
    assert (citizen.first_name, citizen.last_name) == ("Camille", "Martin")  # already filled: kept
    assert citizen.birth_date == datetime.date(1980, 5, 2)  # was empty: filled
    assert citizen.email == "camille.martin@example.org"
    assert User.objects.count() == 1
    page = citizen_client.get(reverse("oidc:identities")).content.decode()
    assert "Votre compte est maintenant lié à « FranceConnect »." in page

    # Later, from another browser, the identity opens the citizen's account.
    browser = client_for(citizen.organisation)
    sign_in(browser, oidc, sub)
    assert logged_in_user_id(browser) == citizen.pk
    assert User.objects.count() == 1


def test_linking_requires_a_logged_in_citizen(anonymous_client, provider):
    response = anonymous_client.get(reverse("oidc:start", args=["franceconnect"]), {"link": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


def test_link_refused_when_identity_belongs_to_another_account(
    organisation, citizen_client, citizen, provider, oidc
):
    other = make_citizen(organisation, email="autre@example.org", first_name="Autre")
    sub = new_sub()
    ExternalIdentity.objects.create(organisation=organisation, user=other, provider=provider, subject=sub)

    response = sign_in(citizen_client, oidc, sub, link="1")

    assert response.status_code == 409
    assert "déjà liée à un autre compte" in response.content.decode()
    assert ExternalIdentity.objects.get(subject=sub).user == other
    assert not ExternalIdentity.objects.filter(user=citizen).exists()
    citizen.refresh_from_db()
    assert citizen.birth_date is None  # nothing changed


def test_link_refused_when_account_already_has_another_identity_there(
    organisation, citizen_client, citizen, provider, oidc
):
    ExternalIdentity.objects.create(organisation=organisation, user=citizen, provider=provider, subject="ancien")
    response = sign_in(citizen_client, oidc, new_sub(), link="1")
    assert response.status_code == 409
    assert "déjà lié à une autre identité" in response.content.decode()
    assert list(ExternalIdentity.objects.values_list("subject", flat=True)) == ["ancien"]


def test_linking_again_the_same_identity_is_harmless(organisation, citizen_client, citizen, provider, oidc):
    sub = new_sub()
    ExternalIdentity.objects.create(organisation=organisation, user=citizen, provider=provider, subject=sub)
    response = sign_in(citizen_client, oidc, sub, link="1")
    assert response.status_code == 302
    assert ExternalIdentity.objects.filter(user=citizen).count() == 1


def test_unknown_identity_with_the_email_of_an_existing_account_is_not_linked(
    anonymous_client, citizen, provider, oidc
):
    """Account takeover guard: the provider's e-mail matching ours is no proof the account is theirs."""
    response = sign_in(anonymous_client, oidc, new_sub(), {**CLAIMS, "email": "Camille.Martin@example.org"})

    assert response.status_code == 409
    page = response.content.decode()
    assert "Un compte existe déjà avec l&#x27;adresse camille.martin@example.org" in page
    assert "connectez-vous avec votre mot de passe" in page
    assert f'href="{reverse("accounts:login")}?next={reverse("oidc:identities")}"' in page
    assert logged_in_user_id(anonymous_client) is None
    assert not ExternalIdentity.objects.exists()
    assert User.objects.count() == 1
    citizen.refresh_from_db()
    assert citizen.birth_date is None


def test_no_account_created_without_an_email_claim(anonymous_client, provider, oidc):
    claims = {k: v for k, v in CLAIMS.items() if k != "email"}
    response = sign_in(anonymous_client, oidc, new_sub(), claims)
    assert response.status_code == 409
    assert "ne nous a pas transmis d&#x27;adresse électronique" in response.content.decode()
    assert not User.objects.exists()


def test_no_account_created_when_signup_is_closed(anonymous_client, organisation, provider, oidc):
    organisation.citizen_signup_open = False
    organisation.save()
    response = sign_in(anonymous_client, oidc, new_sub())
    assert response.status_code == 403
    assert "La création de compte en ligne est fermée" in response.content.decode()
    assert not User.objects.exists()


def test_disabled_or_unknown_provider_gives_404(anonymous_client, provider):
    assert anonymous_client.get(reverse("oidc:start", args=["inconnu"])).status_code == 404
    provider.enabled = False
    provider.save()
    assert anonymous_client.get(reverse("oidc:start", args=["franceconnect"])).status_code == 404


def test_provider_disabled_during_the_attempt_is_refused(anonymous_client, provider, oidc):
    callback_url = oidc.authorize(begin(anonymous_client), new_sub(), CLAIMS)
    provider.enabled = False
    provider.save()
    response = anonymous_client.get(callback_url)
    assert response.status_code == 400
    assert "n&#x27;est plus proposé" in response.content.decode()
    assert not User.objects.exists()


def test_agents_never_sign_in_through_a_provider(organisation, agent, agent_client, provider, oidc):
    response = agent_client.get(reverse("oidc:start", args=["franceconnect"]))
    assert response.status_code == 403
    assert "réservée aux usagers" in response.content.decode()

    # Even an identity somehow attached to an agent account does not open it.
    sub = new_sub()
    ExternalIdentity.objects.create(organisation=organisation, user=agent, provider=provider, subject=sub)
    browser = client_for(organisation)
    response = sign_in(browser, oidc, sub)
    assert response.status_code == 403
    assert logged_in_user_id(browser) is None


def test_inactive_citizen_cannot_sign_in_with_identity(anonymous_client, organisation, citizen, provider, oidc):
    sub = new_sub()
    ExternalIdentity.objects.create(organisation=organisation, user=citizen, provider=provider, subject=sub)
    citizen.is_active = False
    citizen.save()
    response = sign_in(anonymous_client, oidc, sub)
    assert response.status_code == 403
    assert logged_in_user_id(anonymous_client) is None


def test_client_secret_post_when_the_provider_only_offers_it(anonymous_client, provider, oidc):
    """The discovery document decides the client authentication method (cached document edited here)."""
    from guichet.oidc import services

    config = dict(services.discover(provider), token_endpoint_auth_methods_supported=["client_secret_post"])
    services.cache.set(services._cache_key("discovery", provider.discovery_url), config, 60)
    sign_in(anonymous_client, oidc, new_sub())
    token_request = oidc.token_requests[-1]
    assert token_request["authorization"] == ""
    assert (token_request["client_id"], token_request["client_secret"]) == ("guichet-saint-aubin", "secret-du-client")
    assert User.objects.filter(email=CLAIMS["email"]).exists()


def test_without_secret_we_authenticate_as_a_public_client(anonymous_client, organisation, oidc):
    """No secret configured: the token request carries only client_id (+ PKCE), never an empty secret.

    This test provider accepts only confidential clients, so it refuses, and we say so in French.
    """
    make_provider(organisation, oidc.issuer, client_secret="")
    response = sign_in(anonymous_client, oidc, new_sub())
    token_request = oidc.token_requests[-1]
    assert token_request["authorization"] == "" and token_request["client_id"] == "guichet-saint-aubin"
    assert "client_secret" not in token_request and token_request["code_verifier"]
    assert response.status_code == 502
    assert "n&#x27;a pas pu être vérifiée" in response.content.decode()
    assert not User.objects.exists()


def test_confidential_client_registered_at_the_provider(anonymous_client, organisation, oidc):
    """A client registered with its own secret and exact redirect URI: the provider checks both."""
    registration = requests.post(f"{oidc.issuer}/oauth2/clients", json={
        "redirect_uris": ["http://saint-aubin.localhost/compte/identite/retour/"],
    }, timeout=5).json()
    make_provider(organisation, oidc.issuer, client_id=registration["client_id"],
                  client_secret=registration["client_secret"])
    sign_in(anonymous_client, oidc, new_sub())
    assert User.objects.filter(email=CLAIMS["email"]).exists()


def test_wrong_client_secret_is_refused_by_the_provider(anonymous_client, organisation, oidc):
    registration = requests.post(f"{oidc.issuer}/oauth2/clients", json={
        "redirect_uris": ["http://saint-aubin.localhost/compte/identite/retour/"],
    }, timeout=5).json()
    make_provider(organisation, oidc.issuer, client_id=registration["client_id"], client_secret="pas-le-bon")
    response = sign_in(anonymous_client, oidc, new_sub())
    assert response.status_code == 502
    assert "n&#x27;a pas pu être vérifiée" in response.content.decode()
    assert not User.objects.exists()


def test_userinfo_claims_are_used(anonymous_client, provider, oidc):
    """Claims from the userinfo endpoint complete (and take precedence over) the ID token's."""
    oidc.userinfo_changes = {"family_name": "Dupont-Lajoie"}
    sign_in(anonymous_client, oidc, new_sub())
    assert User.objects.get(email=CLAIMS["email"]).last_name == "Dupont-Lajoie"


def test_userinfo_as_a_signed_jwt(anonymous_client, provider, oidc):
    """FranceConnect answers userinfo with a JWT signed by its keys: verified, then read."""
    oidc.userinfo_as_jwt = True
    oidc.userinfo_changes = {"given_name": "Jeanne"}
    sign_in(anonymous_client, oidc, new_sub())
    assert User.objects.get(email=CLAIMS["email"]).first_name == "Jeanne"
