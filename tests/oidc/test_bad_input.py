"""Forged, replayed or tampered answers, and a provider that does not answer: refused in French, nothing changed."""

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.urls import reverse
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from guichet.accounts.models import User
from guichet.oidc import services
from guichet.oidc.models import ExternalIdentity
from guichet.oidc.services import SESSION_KEY, OidcError
from tests.conftest import client_for

from .conftest import PROVIDER_WARNINGS, CLAIMS, ProviderHarness, begin, logged_in_user_id, make_provider, new_sub, sign_in

pytestmark = [pytest.mark.django_db, *PROVIDER_WARNINGS]

UNKNOWN_ATTEMPT = "ne correspond à aucune connexion en cours"
UNVERIFIED = "n&#x27;a pas pu être vérifiée"


def callback_params(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def assert_nothing_happened(client, response, status, text):
    page = response.content.decode()
    assert response.status_code == status, page
    assert text in page
    assert "Aucun compte n'a été créé ni modifié." in page
    assert logged_in_user_id(client) is None
    assert not User.objects.exists()
    assert not ExternalIdentity.objects.exists()


def test_forged_state_is_refused(anonymous_client, provider, oidc):
    params = callback_params(oidc.authorize(begin(anonymous_client), new_sub(), CLAIMS))
    params["state"] = "etat-invente-par-un-attaquant"
    response = anonymous_client.get(reverse("oidc:callback"), params)
    assert_nothing_happened(anonymous_client, response, 400, UNKNOWN_ATTEMPT)
    assert oidc.token_requests == []  # the code was never even exchanged


def test_missing_state_is_refused(anonymous_client, provider, oidc):
    params = callback_params(oidc.authorize(begin(anonymous_client), new_sub(), CLAIMS))
    del params["state"]
    response = anonymous_client.get(reverse("oidc:callback"), params)
    assert_nothing_happened(anonymous_client, response, 400, UNKNOWN_ATTEMPT)


def test_callback_without_anything_is_refused(anonymous_client, provider):
    response = anonymous_client.get(reverse("oidc:callback"))
    assert_nothing_happened(anonymous_client, response, 400, UNKNOWN_ATTEMPT)


def test_state_from_another_session_is_refused(organisation, anonymous_client, provider, oidc):
    """Login CSRF: an attacker's own callback URL opened in the victim's browser does nothing."""
    attacker = client_for(organisation)
    callback_url = oidc.authorize(begin(attacker), new_sub(), CLAIMS)
    begin(anonymous_client)  # the victim has an attempt of their own, with another state
    response = anonymous_client.get(callback_url)
    assert_nothing_happened(anonymous_client, response, 400, UNKNOWN_ATTEMPT)


def test_replayed_callback_is_refused(anonymous_client, organisation, provider, oidc):
    callback_url = oidc.authorize(begin(anonymous_client), new_sub(), CLAIMS)
    assert anonymous_client.get(callback_url).status_code == 302
    user = User.objects.get()
    anonymous_client.logout()

    response = anonymous_client.get(callback_url)

    assert response.status_code == 400
    assert UNKNOWN_ATTEMPT in response.content.decode()
    assert logged_in_user_id(anonymous_client) is None
    assert list(User.objects.all()) == [user]


def test_expired_attempt_is_refused(anonymous_client, provider, oidc):
    callback_url = oidc.authorize(begin(anonymous_client), new_sub(), CLAIMS)
    session = anonymous_client.session
    for attempt in session[SESSION_KEY].values():
        attempt["created"] = time.time() - services.ATTEMPT_MAX_AGE - 1
    session.save()
    response = anonymous_client.get(callback_url)
    assert_nothing_happened(anonymous_client, response, 400, "La connexion a pris trop de temps et a expiré.")


def test_only_the_latest_attempts_are_kept(anonymous_client, provider):
    for _ in range(services.MAX_PENDING_ATTEMPTS + 3):
        begin(anonymous_client)
    assert len(anonymous_client.session[SESSION_KEY]) == services.MAX_PENDING_ATTEMPTS


def test_cancelled_at_the_provider(anonymous_client, provider, oidc):
    """The person clicks "Deny" at the provider. (This provider omits `state` when denying, so the answer
    cannot be tied to the attempt: refused as such.)"""
    response = anonymous_client.get(oidc.deny(begin(anonymous_client)))
    assert_nothing_happened(anonymous_client, response, 400, UNKNOWN_ATTEMPT)


@pytest.mark.parametrize(("error", "message"), [
    ("access_denied", "La connexion avec « FranceConnect » a été annulée."),
    ("server_error", "Le fournisseur d&#x27;identité « FranceConnect » a refusé la connexion."),
])
def test_provider_error_answer(anonymous_client, provider, error, message):
    """An error answer as RFC 6749 (4.1.2.1) describes it: `error` and our `state`, no code."""
    state = parse_qs(urlsplit(begin(anonymous_client)).query)["state"][0]
    response = anonymous_client.get(reverse("oidc:callback"), {"error": error, "state": state})
    assert_nothing_happened(anonymous_client, response, 400, message)
    assert anonymous_client.session[SESSION_KEY] == {}  # consumed


def test_provider_error_with_a_forged_state_is_reported_as_forged(anonymous_client, provider):
    begin(anonymous_client)
    response = anonymous_client.get(reverse("oidc:callback"), {"error": "access_denied", "state": "faux"})
    assert_nothing_happened(anonymous_client, response, 400, UNKNOWN_ATTEMPT)


def test_callback_without_code_is_refused(anonymous_client, provider, oidc):
    params = callback_params(oidc.authorize(begin(anonymous_client), new_sub(), CLAIMS))
    del params["code"]
    response = anonymous_client.get(reverse("oidc:callback"), params)
    assert_nothing_happened(anonymous_client, response, 400, UNVERIFIED)


def test_forged_code_is_refused_by_the_provider(anonymous_client, provider, oidc):
    params = callback_params(oidc.authorize(begin(anonymous_client), new_sub(), CLAIMS))
    params["code"] = "code-invente"
    response = anonymous_client.get(reverse("oidc:callback"), params)
    assert_nothing_happened(anonymous_client, response, 502, UNVERIFIED)


def test_wrong_pkce_code_verifier_is_refused_by_the_provider(anonymous_client, provider, oidc):
    """If someone else's code_verifier were used (stolen code), the provider's PKCE check fails."""
    callback_url = oidc.authorize(begin(anonymous_client), new_sub(), CLAIMS)
    session = anonymous_client.session
    for attempt in session[SESSION_KEY].values():
        attempt["code_verifier"] = "x" * 64
    session.save()
    response = anonymous_client.get(callback_url)
    assert_nothing_happened(anonymous_client, response, 502, UNVERIFIED)


# Tampered ID tokens, returned by the real token endpoint -------------------------------------------


def _tampered_payload(oidc):
    """Keep the provider's header and signature, swap in another payload (sub of somebody else)."""

    def tamper(id_token):
        header, _payload, signature = id_token.split(".")
        forged = jwt.encode({"alg": "RS256"}, {**oidc.claims_of(id_token), "sub": "victime"}, oidc.signing_key)
        return ".".join([header, forged.split(".")[1], signature])

    return tamper


@pytest.mark.parametrize("tampering", [
    "payload_swapped",
    "signed_by_another_key",
    "wrong_nonce",
    "wrong_audience",
    "several_audiences_without_our_azp",
    "expired",
    "issued_in_the_future",
    "wrong_issuer",
    "no_subject",
    "unsigned",
    "hmac_with_client_secret",
])
def test_tampered_id_token_is_refused(anonymous_client, provider, oidc, tampering):
    now = int(time.time())
    oidc.tamper = {
        "payload_swapped": _tampered_payload(oidc),
        "signed_by_another_key": oidc.resign({}, key=RSAKey.generate_key(2048)),
        "wrong_nonce": oidc.resign({"nonce": "autre-nonce"}),
        "wrong_audience": oidc.resign({"aud": ["un-autre-client"]}),
        "several_audiences_without_our_azp": oidc.resign({"aud": ["guichet-saint-aubin", "autre"], "azp": "autre"}),
        "expired": oidc.resign({"exp": now - 3600, "iat": now - 7200}),
        "issued_in_the_future": oidc.resign({"iat": now + 3600, "exp": now + 7200}),
        "wrong_issuer": oidc.resign({"iss": "https://faux-fournisseur.example"}),
        "no_subject": oidc.resign({"sub": ""}),
        "unsigned": lambda token: ".".join([
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0", token.split(".")[1], "",
        ]),
        "hmac_with_client_secret": lambda token: jwt.encode(
            {"alg": "HS256"}, oidc.claims_of(token), OctKey.import_key("secret-du-client"), algorithms=["HS256"],
        ),
    }[tampering]
    response = sign_in(anonymous_client, oidc, new_sub())
    assert_nothing_happened(anonymous_client, response, 400, UNVERIFIED)


def test_userinfo_about_someone_else_is_refused(anonymous_client, provider, oidc):
    oidc.userinfo_changes = {"sub": "quelqu-un-d-autre"}
    response = sign_in(anonymous_client, oidc, new_sub())
    assert_nothing_happened(anonymous_client, response, 502, UNVERIFIED)


def test_userinfo_jwt_signed_by_another_key_is_refused(anonymous_client, provider, oidc):
    oidc.userinfo_as_jwt = True
    oidc.signing_key, real_key = RSAKey.generate_key(2048), oidc.signing_key
    try:
        response = sign_in(anonymous_client, oidc, new_sub())
    finally:
        oidc.signing_key = real_key
    assert_nothing_happened(anonymous_client, response, 502, UNVERIFIED)


def test_untampered_resigned_token_is_accepted(anonymous_client, provider, oidc):
    """Control for the tests above: re-signing with the provider's key and unchanged claims passes."""
    oidc.tamper = oidc.resign({})
    response = sign_in(anonymous_client, oidc, new_sub())
    assert response.status_code == 302
    assert User.objects.filter(email=CLAIMS["email"]).exists()


def test_tampered_token_does_not_change_a_linked_account(organisation, citizen_client, citizen, provider, oidc):
    oidc.tamper = oidc.resign({"nonce": "rejoue"})
    response = sign_in(citizen_client, oidc, new_sub(), link="1")
    assert response.status_code == 400
    assert not ExternalIdentity.objects.exists()
    citizen.refresh_from_db()
    assert citizen.birth_date is None


# The verification function itself, with the provider's real discovery document and keys ----------


def test_verify_id_token_checks_signature_and_claims(provider, oidc):
    config = services.discover(provider)
    now = int(time.time())
    claims = {"iss": oidc.issuer, "aud": "guichet-saint-aubin", "sub": "abc", "nonce": "n1", "iat": now,
              "exp": now + 60}
    good = jwt.encode({"alg": "RS256"}, claims, oidc.signing_key)
    assert services.verify_id_token(provider, config, good, "n1")["sub"] == "abc"

    other_key = RSAKey.generate_key(2048)
    for token, nonce in [
        (jwt.encode({"alg": "RS256"}, claims, other_key), "n1"),  # another key
        (jwt.encode({"alg": "RS256", "kid": "inconnue"}, claims, other_key), "n1"),  # unknown key id
        (good, "n2"),  # wrong nonce
        (jwt.encode({"alg": "RS256"}, {**claims, "aud": "autre"}, oidc.signing_key), "n1"),
        (jwt.encode({"alg": "RS256"}, {**claims, "exp": now - 120}, oidc.signing_key), "n1"),
        (jwt.encode({"alg": "RS256"}, {k: v for k, v in claims.items() if k != "exp"}, oidc.signing_key), "n1"),
        ("pas-un-jeton", "n1"),
    ]:
        with pytest.raises(OidcError) as error:
            services.verify_id_token(provider, config, token, nonce)
        assert "n'a pas pu être vérifiée" in error.value.message


# A provider that does not answer --------------------------------------------------------------------


def _closed_port():
    harness = ProviderHarness()
    issuer = harness.issuer
    harness.server.server_close()
    return issuer


def test_provider_down_when_starting(anonymous_client, organisation):
    make_provider(organisation, _closed_port())
    response = anonymous_client.get(reverse("oidc:start", args=["franceconnect"]))
    assert_nothing_happened(anonymous_client, response, 502, "ne répond pas pour le moment")
    assert SESSION_KEY not in anonymous_client.session


def test_provider_down_when_coming_back(anonymous_client, organisation):
    harness = ProviderHarness().start()
    try:
        make_provider(organisation, harness.issuer)
        callback_url = harness.authorize(begin(anonymous_client), new_sub(), CLAIMS)
    finally:
        harness.stop()
    response = anonymous_client.get(callback_url)
    assert_nothing_happened(anonymous_client, response, 502, "ne répond pas pour le moment")


def test_discovery_announcing_another_issuer_is_refused(anonymous_client, provider, oidc):
    oidc.discovery_changes = {"issuer": "https://faux-fournisseur.example"}
    response = anonymous_client.get(reverse("oidc:start", args=["franceconnect"]))
    assert_nothing_happened(anonymous_client, response, 502, UNVERIFIED)


def test_provider_offering_only_symmetric_signatures_is_refused(anonymous_client, provider, oidc):
    oidc.discovery_changes = {"id_token_signing_alg_values_supported": ["HS256"]}
    response = sign_in(anonymous_client, oidc, new_sub())
    assert_nothing_happened(anonymous_client, response, 502, UNVERIFIED)


def test_callback_only_answers_get(anonymous_client, provider):
    response = anonymous_client.post(reverse("oidc:callback"), {"state": "x", "code": "y"})
    assert response.status_code == 405
    assert not User.objects.exists()


def test_garbage_query_string_is_refused(anonymous_client, provider):
    response = anonymous_client.get(reverse("oidc:callback") + "?" + urlencode({"state": "é" * 3000, "code": "\x00"}))
    assert_nothing_happened(anonymous_client, response, 400, UNKNOWN_ATTEMPT)
