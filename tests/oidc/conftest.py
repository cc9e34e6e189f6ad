"""A real OpenID Connect provider for the tests, and helpers to drive the whole flow.

The provider is `oidc-provider-mock` (a Flask + authlib OpenID provider: discovery, JWKS, authorization
form, token endpoint signing RS256 ID tokens, userinfo), run in a thread on 127.0.0.1 with a free port.
Our side is driven with Django's test client, the provider's side with `requests`.

It sits behind a thin WSGI layer that
- enforces PKCE S256 as a production provider does (the mock accepts code_challenge but never checks it):
  a token request whose code_verifier does not hash to the authorization request's code_challenge gets
  `invalid_grant`;
- records the authorization and token requests, so tests can look at what we sent;
- can rewrite the ID token the token endpoint returns (`tamper`), re-signed with the provider's own key or
  another one, to test our verification of real signatures end to end, and the discovery document
  (`discovery_changes`) or the userinfo answer (`userinfo_changes`, `userinfo_as_jwt`).
"""

import base64
import hashlib
import io
import json
import os
import threading
import uuid
import warnings
from urllib.parse import parse_qs, urlsplit

import flask
import pytest
import requests
import werkzeug.serving
from django.core.cache import cache
from django.urls import reverse
from joserfc import jwt
from joserfc.jwk import RSAKey

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # the test provider speaks plain http on 127.0.0.1

with warnings.catch_warnings():  # the provider imports authlib modules that authlib itself deprecates
    import authlib.deprecate  # noqa: E402, F401  (installs its own "always" filter first)

    warnings.simplefilter("ignore", DeprecationWarning)
    import oidc_provider_mock  # noqa: E402

from guichet.oidc.models import IdentityProvider  # noqa: E402


# The test provider (and the authlib version it relies on) warns about its own use of deprecated authlib APIs.
PROVIDER_WARNINGS = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:oidc_provider_mock"),
]


def s256(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class ProviderHarness:
    def __init__(self):
        self.app = oidc_provider_mock.app(require_nonce=True)
        with self.app.test_request_context():
            self.app.preprocess_request()
            storage = flask.g.oidc_provider_mock_storage
        # The provider's own signing key, to re-sign tampered claims with a VALID signature.
        self.signing_key = RSAKey.import_key(storage.jwk.as_dict(is_private=True))
        self.server = werkzeug.serving.make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.reset()

    def reset(self):
        self.challenges = {}
        self.authorization_requests = []
        self.token_requests = []
        self.tamper = None  # function(id_token: str) -> str
        self.discovery_changes = {}  # keys overriding the discovery document's
        self.userinfo_changes = {}  # claims overriding the userinfo answer's
        self.userinfo_as_jwt = False  # answer userinfo as a JWT signed with the provider's key (FranceConnect)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self._thread.join(5)
        self.server.server_close()

    # WSGI layer ------------------------------------------------------------------------------------

    def _call(self, environ):
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, list(headers)
            return lambda data: None

        chunks = self.app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return captured["status"], captured["headers"], body

    @staticmethod
    def _respond(start_response, status, headers, body):
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]

    def _wsgi(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if path == "/oauth2/authorize" and method == "POST":
            query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            self.authorization_requests.append(query)
            status, headers, body = self._call(environ)
            location = dict((k.lower(), v) for k, v in headers).get("location", "")
            code = parse_qs(urlsplit(location).query).get("code", [None])[0]
            if code:
                self.challenges[code] = (query.get("code_challenge"), query.get("code_challenge_method"))
            return self._respond(start_response, status, headers, body)
        if path == "/oauth2/token" and method == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self.token_requests.append({**form, "authorization": environ.get("HTTP_AUTHORIZATION", "")})
            challenge, challenge_method = self.challenges.pop(form.get("code"), (None, None))
            verifier = form.get("code_verifier", "")
            if challenge_method != "S256" or not verifier or s256(verifier) != challenge:
                error = json.dumps({"error": "invalid_grant", "error_description": "PKCE verification failed"})
                return self._respond(start_response, "400 BAD REQUEST", [("Content-Type", "application/json")],
                                     error.encode())
            status, headers, body = self._call(environ)
            if self.tamper and status.startswith("200"):
                tokens = json.loads(body)
                tokens["id_token"] = self.tamper(tokens["id_token"])
                body = json.dumps(tokens).encode()
            return self._respond(start_response, status, headers, body)
        if path == "/.well-known/openid-configuration" and self.discovery_changes:
            status, headers, body = self._call(environ)
            body = json.dumps({**json.loads(body), **self.discovery_changes}).encode()
            return self._respond(start_response, status, headers, body)
        if path == "/userinfo" and (self.userinfo_changes or self.userinfo_as_jwt):
            status, headers, body = self._call(environ)
            if status.startswith("200"):
                info = {**json.loads(body), **self.userinfo_changes}
                if self.userinfo_as_jwt:
                    body = jwt.encode({"alg": "RS256"}, info, self.signing_key).encode()
                    headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
                    headers.append(("Content-Type", "application/jwt"))
                else:
                    body = json.dumps(info).encode()
            return self._respond(start_response, status, headers, body)
        return self.app(environ, start_response)

    # Provider side of the flow ---------------------------------------------------------------------

    def set_user(self, sub, claims):
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def authorize(self, authorization_url, sub, claims=None):
        """The person authenticates at the provider as `sub`: returns the URL it sends the browser back to."""
        if claims is not None:
            self.set_user(sub, claims)
        response = requests.post(authorization_url, data={"sub": sub}, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def deny(self, authorization_url):
        response = requests.post(authorization_url, data={"action": "deny"}, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    # Token forgery helpers -------------------------------------------------------------------------

    def claims_of(self, id_token):
        return dict(jwt.decode(id_token, self.signing_key, algorithms=["RS256"]).claims)

    def resign(self, changes, key=None):
        """A tamper function: change claims and sign again (with the provider's key unless `key`)."""

        def tamper(id_token):
            claims = {**self.claims_of(id_token), **changes}
            return jwt.encode({"alg": "RS256"}, claims, key or self.signing_key)

        return tamper


@pytest.fixture(scope="session")
def oidc_server():
    harness = ProviderHarness().start()
    yield harness
    harness.stop()


@pytest.fixture
def oidc(oidc_server):
    oidc_server.reset()
    yield oidc_server
    oidc_server.reset()


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def make_provider(organisation, issuer, slug="franceconnect", name="FranceConnect", **fields):
    fields.setdefault("client_id", f"guichet-{organisation.slug}")
    fields.setdefault("client_secret", "secret-du-client")
    fields.setdefault("scopes", "openid profile email")
    return IdentityProvider.objects.create(
        organisation=organisation, slug=slug, name=name, issuer=issuer, **fields
    )


@pytest.fixture
def provider(organisation, oidc):
    return make_provider(organisation, oidc.issuer)


def new_sub():
    return f"sub-{uuid.uuid4().hex[:12]}"


CLAIMS = {
    "given_name": "Jean-Pierre",
    "family_name": "Dupont",
    "birthdate": "1980-05-02",
    "email": "jean-pierre.dupont@example.org",
}


def begin(client, slug="franceconnect", **params):
    """Click the provider's button: returns the provider's authorization URL we redirect to."""
    response = client.get(reverse("oidc:start", args=[slug]), params)
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def sign_in(client, oidc, sub, claims=CLAIMS, slug="franceconnect", **params):
    """The whole round trip: our start → provider's authorization → our callback. Returns our response."""
    callback_url = oidc.authorize(begin(client, slug, **params), sub, claims)
    return client.get(callback_url)


def logged_in_user_id(client):
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None
