"""OpenID Connect login (authorization code flow), as FranceConnect speaks it.

The flow, for one collectivité and one of its providers:

1. `begin_authentication` reads the provider's discovery document, draws a fresh `state`, `nonce` and PKCE
   `code_verifier` (S256) for this attempt, keeps them in the session (several attempts may be pending, each
   expires after ATTEMPT_MAX_AGE seconds) and returns the provider's authorization URL.
2. The provider sends the browser back to our single redirect URI (`oidc:callback`) with `code` and `state`.
   `complete_authentication` checks the state FIRST (it must name an attempt of this session and of this
   collectivité; it is consumed at once, so a replayed callback is refused), then exchanges the code at the
   token endpoint (with the code_verifier and the client's authentication), verifies the ID token (signature
   against the provider's JWKS, asymmetric algorithms only; `iss`, `aud`/`azp`, `exp`, `iat`, `nonce`, `sub`)
   and, when the provider has a userinfo endpoint, reads the claims there too (same `sub` required).
3. The view then applies one of the outcomes: `user_for_login` (known identity → its citizen; unknown identity
   → a new citizen account, unless the e-mail already belongs to an account of this collectivité: no automatic
   linking, that would let whoever controls the provider account take over ours) or `link_identity` (a
   logged-in citizen links the identity to their account).

Every failure raises `OidcError`, whose `message` is the French sentence shown to the person; nothing is
created or changed before all the checks have passed. A warning is logged with the technical detail.

Claims mapping (`given_name` → first_name, `family_name` → last_name, `birthdate` "YYYY-MM-DD" → birth_date,
`email` → email): a new account takes every claim; an existing account only gets the fields it leaves empty,
so what the citizen typed is never overwritten silently, and its e-mail (its sign-in name) is never changed.
"""

import base64
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from guichet.accounts.models import User
from guichet.accounts.validators import validate_birth_date

from .models import ExternalIdentity, IdentityProvider

logger = logging.getLogger("guichet.oidc")

SESSION_KEY = "guichet_oidc_attempts"
# An attempt (state, nonce, code_verifier) is good for ten minutes; only the latest few are kept.
ATTEMPT_MAX_AGE = 600
MAX_PENDING_ATTEMPTS = 5
# Discovery documents and key sets are cached briefly: a key rotation shows within minutes, and an unknown
# key triggers one fresh download anyway.
DISCOVERY_CACHE_SECONDS = 300
# Clock skew tolerated on `exp` and `iat`.
CLOCK_LEEWAY = 60
# ID tokens must be signed with the provider's private key, checked against its published JWKS.
# Symmetric (HS*) signatures and "none" are refused.
ASYMMETRIC_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)
PROFILE_CLAIMS = {"given_name": "first_name", "family_name": "last_name"}
BACKEND = "guichet.accounts.backends.OrganisationBackend"


class OidcError(Exception):
    """A refused or failed OpenID Connect step.

    `message` is shown to the person (French); `detail` goes to the log only; `status` is the HTTP status of
    the error page (400 for bad requests, 502 when the provider cannot be reached or answers nonsense,
    409 when the identity cannot be attached as asked).
    """

    def __init__(self, message, detail="", status=400):
        super().__init__(detail or message)
        self.message = message
        self.detail = detail or message
        self.status = status


def _unreachable(provider):
    return _(
        "Le fournisseur d'identité « %(name)s » ne répond pas pour le moment. Réessayez plus tard ou "
        "connectez-vous avec votre adresse électronique et votre mot de passe."
    ) % {"name": provider.name}


def _invalid_answer(provider):
    return _(
        "La réponse du fournisseur d'identité « %(name)s » n'a pas pu être vérifiée : la connexion est refusée. "
        "Recommencez depuis la page de connexion."
    ) % {"name": provider.name}


def _unknown_attempt():
    return _(
        "Cette réponse ne correspond à aucune connexion en cours sur ce site (lien déjà utilisé, expiré ou "
        "falsifié). Recommencez depuis la page de connexion."
    )


# Providers ------------------------------------------------------------------------------------------


def enabled_providers(organisation):
    """The enabled identity providers of this collectivité, in display order (by name)."""
    return IdentityProvider.objects.of(organisation).filter(enabled=True).order_by("name", "pk")


def redirect_uri(request):
    """The one redirect URI of the collectivité's host, to declare at every provider."""
    return request.build_absolute_uri(reverse("oidc:callback"))


def _cache_key(kind, url):
    return f"guichet:oidc:{kind}:{hashlib.sha256(url.encode()).hexdigest()}"


def _get_json(provider, url, what):
    try:
        response = requests.get(url, timeout=settings.GUICHET_HTTP_TIMEOUT, headers={"Accept": "application/json"})
    except requests.RequestException as error:
        raise OidcError(_unreachable(provider), f"{what} unreachable at {url}: {error}", status=502) from error
    if response.status_code != 200:
        raise OidcError(_unreachable(provider), f"{what} at {url} answered HTTP {response.status_code}", status=502)
    try:
        data = response.json()
    except ValueError as error:
        raise OidcError(_invalid_answer(provider), f"{what} at {url} is not JSON", status=502) from error
    if not isinstance(data, dict):
        raise OidcError(_invalid_answer(provider), f"{what} at {url} is not a JSON object", status=502)
    return data


def _same_issuer(a, b):
    return isinstance(a, str) and isinstance(b, str) and a.rstrip("/") == b.rstrip("/")


def discover(provider):
    """The provider's discovery document (`<issuer>/.well-known/openid-configuration`), cached briefly.

    Its `issuer` must be the configured one and it must name the endpoints the code flow needs.
    """
    key = _cache_key("discovery", provider.discovery_url)
    config = cache.get(key)
    if config is not None:
        return config
    config = _get_json(provider, provider.discovery_url, "discovery document")
    if not _same_issuer(config.get("issuer"), provider.issuer):
        raise OidcError(
            _invalid_answer(provider),
            f"discovery issuer {config.get('issuer')!r} differs from configured {provider.issuer!r}", status=502,
        )
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = config.get(endpoint)
        if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
            raise OidcError(_invalid_answer(provider), f"discovery document lacks {endpoint}", status=502)
    cache.set(key, config, DISCOVERY_CACHE_SECONDS)
    return config


def fetch_jwks(provider, config, refresh=False):
    """The provider's public keys (from `jwks_uri`), cached briefly; `refresh` downloads them again."""
    url = config["jwks_uri"]
    key = _cache_key("jwks", url)
    jwks = None if refresh else cache.get(key)
    if jwks is None:
        jwks = _get_json(provider, url, "JWKS")
        if not isinstance(jwks.get("keys"), list):
            raise OidcError(_invalid_answer(provider), f"JWKS at {url} has no keys", status=502)
        cache.set(key, jwks, DISCOVERY_CACHE_SECONDS)
    return jwks


# Step 1: to the provider ---------------------------------------------------------------------------


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def code_challenge(code_verifier):
    """PKCE S256: BASE64URL(SHA256(code_verifier)) (RFC 7636, section 4.2)."""
    return _b64url(hashlib.sha256(code_verifier.encode("ascii")).digest())


def _pending_attempts(session):
    now = time.time()
    attempts = session.get(SESSION_KEY) or {}
    return {state: a for state, a in attempts.items() if now - a.get("created", 0) <= ATTEMPT_MAX_AGE}


def begin_authentication(request, provider, next_url, link_user=None):
    """Record a new attempt in the session and return the provider's authorization URL.

    `link_user` is the logged-in citizen who asked to link this provider to their account.
    """
    config = discover(provider)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43-128
    callback = redirect_uri(request)
    attempts = _pending_attempts(request.session)
    attempts[state] = {
        "organisation": provider.organisation_id,
        "provider": provider.pk,
        "nonce": nonce,
        "code_verifier": code_verifier,
        "redirect_uri": callback,
        "next": next_url,
        "link_user": link_user.pk if link_user is not None else None,
        "created": time.time(),
    }
    newest = sorted(attempts.items(), key=lambda item: item[1]["created"])[-MAX_PENDING_ATTEMPTS:]
    request.session[SESSION_KEY] = dict(newest)
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": callback,
        "scope": provider.scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": code_challenge(code_verifier),
        "code_challenge_method": "S256",
    }
    if provider.acr_values:
        params["acr_values"] = provider.acr_values
    endpoint = config["authorization_endpoint"]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


# Step 2: back from the provider --------------------------------------------------------------------


@dataclass
class Authentication:
    """A verified answer from a provider: who they are (`claims`, `sub` included) and what was asked."""

    provider: IdentityProvider
    claims: dict
    next_url: str
    link_user_id: int | None

    @property
    def subject(self):
        return self.claims["sub"]


def take_attempt(request, state):
    """Remove and return the session's attempt named by `state`; refuse unknown, expired or foreign ones.

    The attempt is consumed whatever happens next, so a callback can never be replayed.
    """
    if not state or not isinstance(state, str):
        raise OidcError(_unknown_attempt(), "callback without state")
    attempts = request.session.get(SESSION_KEY) or {}
    attempt = None
    for known, value in list(attempts.items()):
        if hmac.compare_digest(known.encode(), state.encode()):
            attempt = value
            del attempts[known]
            break
    request.session[SESSION_KEY] = attempts
    if attempt is None:
        raise OidcError(_unknown_attempt(), "state unknown to this session (forged, replayed or other session)")
    organisation = getattr(request, "organisation", None)
    if organisation is None or attempt.get("organisation") != organisation.pk:
        raise OidcError(_unknown_attempt(), "state issued for another collectivité")
    if time.time() - attempt.get("created", 0) > ATTEMPT_MAX_AGE:
        raise OidcError(_("La connexion a pris trop de temps et a expiré. Recommencez."), "attempt expired")
    return attempt


def _client_auth(provider, config, data):
    """Client authentication at the token endpoint: client_secret_basic unless the provider only offers post."""
    if not provider.client_secret:
        data["client_id"] = provider.client_id
        return None
    methods = config.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" not in methods and "client_secret_post" in methods:
        data.update(client_id=provider.client_id, client_secret=provider.client_secret)
        return None
    return requests.auth.HTTPBasicAuth(provider.client_id, provider.client_secret)


def exchange_code(provider, config, code, code_verifier, callback):
    """Trade the authorization code for tokens at the token endpoint (with the PKCE code_verifier)."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback,
        "code_verifier": code_verifier,
    }
    auth = _client_auth(provider, config, data)
    try:
        response = requests.post(
            config["token_endpoint"], data=data, auth=auth, timeout=settings.GUICHET_HTTP_TIMEOUT,
            headers={"Accept": "application/json"},
        )
    except requests.RequestException as error:
        raise OidcError(_unreachable(provider), f"token endpoint unreachable: {error}", status=502) from error
    try:
        tokens = response.json()
    except ValueError:
        tokens = None
    if response.status_code != 200 or not isinstance(tokens, dict):
        error = tokens.get("error") if isinstance(tokens, dict) else ""
        raise OidcError(
            _invalid_answer(provider), f"token endpoint answered HTTP {response.status_code} {error}", status=502
        )
    if not isinstance(tokens.get("id_token"), str):
        raise OidcError(_invalid_answer(provider), "token response without id_token", status=502)
    return tokens


def _decode(provider, config, token, jwks):
    supported = config.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in supported if alg in ASYMMETRIC_ALGORITHMS]
    if not algorithms:
        raise OidcError(_invalid_answer(provider), f"no acceptable signing algorithm in {supported}", status=502)
    return jwt.decode(token, KeySet.import_key_set(jwks), algorithms=algorithms)


def verify_id_token(provider, config, id_token, nonce, now=None):
    """The ID token's claims, once its signature and its claims have been checked.

    Signature: against the provider's JWKS (downloaded again once if the cached keys do not match: key
    rotation). Claims: `iss` is the configured issuer, `aud` holds our client_id (and `azp` is ours when
    there are several audiences), `exp` is in the future and `iat` not in the future (CLOCK_LEEWAY seconds
    of skew), `nonce` is the one of this attempt, `sub` is present.
    """
    invalid = _invalid_answer(provider)
    try:
        try:
            token = _decode(provider, config, id_token, fetch_jwks(provider, config))
        except (JoseError, ValueError):
            token = _decode(provider, config, id_token, fetch_jwks(provider, config, refresh=True))
    except (JoseError, ValueError, TypeError) as error:
        raise OidcError(invalid, f"ID token signature rejected: {error!r}") from error
    claims = token.claims
    now = time.time() if now is None else now
    if not _same_issuer(claims.get("iss"), provider.issuer):
        raise OidcError(invalid, f"ID token issuer {claims.get('iss')!r} is not {provider.issuer!r}")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if provider.client_id not in audiences:
        raise OidcError(invalid, f"ID token audience {audience!r} does not hold our client_id")
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise OidcError(invalid, f"ID token with several audiences and azp {claims.get('azp')!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp + CLOCK_LEEWAY < now:
        raise OidcError(invalid, f"ID token expired or without exp ({exp!r})")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool) or iat - CLOCK_LEEWAY > now:
        raise OidcError(invalid, f"ID token iat missing or in the future ({iat!r})")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce.encode(), nonce.encode()):
        raise OidcError(invalid, "ID token nonce does not match this attempt")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise OidcError(invalid, f"ID token sub missing or too long ({subject!r})")
    return dict(claims)


def fetch_userinfo(provider, config, access_token, subject):
    """Claims from the userinfo endpoint (JSON, or a JWT signed with the provider's keys as FranceConnect does).

    Its `sub` must be the ID token's; otherwise the answer is refused.
    """
    try:
        response = requests.get(
            config["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.GUICHET_HTTP_TIMEOUT,
        )
    except requests.RequestException as error:
        raise OidcError(_unreachable(provider), f"userinfo unreachable: {error}", status=502) from error
    if response.status_code != 200:
        raise OidcError(_invalid_answer(provider), f"userinfo answered HTTP {response.status_code}", status=502)
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    try:
        if content_type == "application/jwt":
            try:
                info = _decode(provider, config, response.text.strip(), fetch_jwks(provider, config)).claims
            except (JoseError, ValueError):
                info = _decode(provider, config, response.text.strip(), fetch_jwks(provider, config, True)).claims
        else:
            info = response.json()
    except (JoseError, ValueError, TypeError) as error:
        raise OidcError(_invalid_answer(provider), f"userinfo unreadable: {error!r}", status=502) from error
    if not isinstance(info, dict) or info.get("sub") != subject:
        raise OidcError(_invalid_answer(provider), "userinfo sub differs from the ID token's", status=502)
    return info


def complete_authentication(request, params):
    """Check the provider's answer (`params`: the callback's query string) and return an `Authentication`.

    Order: state first (consumed), then the provider's own error, then the code exchange and the ID token.
    """
    attempt = take_attempt(request, params.get("state"))
    provider = enabled_providers(request.organisation).filter(pk=attempt["provider"]).first()
    if provider is None:
        raise OidcError(_("Ce fournisseur d'identité n'est plus proposé par la collectivité."), "provider gone")
    if params.get("error"):
        if params.get("error") == "access_denied":
            message = _("La connexion avec « %(name)s » a été annulée.") % {"name": provider.name}
        else:
            message = _("Le fournisseur d'identité « %(name)s » a refusé la connexion.") % {"name": provider.name}
        raise OidcError(message, f"provider error {params.get('error')!r}: {params.get('error_description', '')!r}")
    code = params.get("code")
    try:
        if not code:
            raise OidcError(_invalid_answer(provider), "callback without code")
        config = discover(provider)
        tokens = exchange_code(provider, config, code, attempt["code_verifier"], attempt["redirect_uri"])
        claims = verify_id_token(provider, config, tokens["id_token"], attempt["nonce"])
        if config.get("userinfo_endpoint") and isinstance(tokens.get("access_token"), str):
            userinfo = fetch_userinfo(provider, config, tokens["access_token"], claims["sub"])
            claims = {**userinfo, **{k: v for k, v in claims.items() if k not in userinfo or k in _TOKEN_ONLY_CLAIMS}}
    except OidcError as error:
        error.detail = f"[provider {provider.slug}] {error.detail}"
        raise
    return Authentication(
        provider=provider, claims=claims, next_url=attempt.get("next") or "", link_user_id=attempt.get("link_user"),
    )


# Claims that describe the ID token itself: the ID token's values are kept over userinfo's.
_TOKEN_ONLY_CLAIMS = {"sub", "iss", "aud", "exp", "iat", "nonce", "azp", "auth_time", "acr", "amr"}


# Step 3: accounts ------------------------------------------------------------------------------------


def profile_from_claims(claims):
    """The profile fields the claims provide, cleaned; claims that are missing or invalid are left out.

    `birthdate` must be a full "YYYY-MM-DD" date in the past (FranceConnect gives "1970-00-00"-like
    partial dates for unknown parts: those are ignored). `email` must be a valid address.
    """
    profile = {}
    for claim, field in PROFILE_CLAIMS.items():
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            profile[field] = " ".join(value.split())[:150]
    birthdate = claims.get("birthdate")
    if isinstance(birthdate, str):
        try:
            parsed = date.fromisoformat(birthdate.strip())
            validate_birth_date(parsed)
        except (ValueError, ValidationError):
            pass
        else:
            if len(birthdate.strip()) == 10:
                profile["birth_date"] = parsed
    email = claims.get("email")
    if isinstance(email, str) and email.strip():
        try:
            validate_email(email.strip())
        except ValidationError:
            pass
        else:
            profile["email"] = email.strip().lower()
    return profile


def fill_empty_fields(user, claims):
    """Copy the claims into the profile fields the citizen left empty; return the names of the fields filled.

    The e-mail is never changed here: it is the account's sign-in name.
    """
    filled = []
    for field, value in profile_from_claims(claims).items():
        if field == "email":
            continue
        if getattr(user, field) in ("", None):
            setattr(user, field, value)
            filled.append(field)
    if filled:
        user.save(update_fields=filled)
    return filled


def _usable_citizen(user, organisation):
    return (
        user.organisation_id == organisation.pk and user.is_citizen and user.is_active and user.anonymised_at is None
    )


def _touch(identity):
    identity.last_login_at = timezone.now()
    identity.save(update_fields=["last_login_at"])


def user_for_login(organisation, provider, claims):
    """The citizen this verified identity signs in as: `(user, created)`.

    - Known identity (this provider, this `sub`, this collectivité): its citizen, whose empty profile
      fields are completed from the claims.
    - Unknown identity whose e-mail already belongs to an account of this collectivité: refused, never
      linked automatically (the person signs in with their password and links from their account).
    - Otherwise a new citizen account is created from the claims (no usable password; e-mail confirmed when
      the provider is trusted for e-mails and does not say `email_verified: false`), if sign-up is open.
    """
    if provider.organisation_id != organisation.pk:
        raise OidcError(_invalid_answer(provider), "provider of another collectivité")
    subject = claims["sub"]
    identity = (
        ExternalIdentity.objects.of(organisation).select_related("user")
        .filter(provider=provider, subject=subject).first()
    )
    if identity is not None:
        user = identity.user
        if not _usable_citizen(user, organisation):
            raise OidcError(
                _("Ce compte ne peut pas être utilisé pour se connecter. Contactez la collectivité."),
                f"identity {identity.pk} points to an unusable account {user.pk}", status=403,
            )
        with transaction.atomic():
            fill_empty_fields(user, claims)
            _touch(identity)
        return user, False

    profile = profile_from_claims(claims)
    email = profile.get("email")
    if not email:
        raise OidcError(
            _(
                "Le fournisseur d'identité « %(name)s » ne nous a pas transmis d'adresse électronique : créez un "
                "compte avec votre adresse, puis liez-le à ce fournisseur depuis votre compte."
            ) % {"name": provider.name},
            "no usable email claim for account creation", status=409,
        )
    if User.objects.filter(organisation=organisation, email__iexact=email).exists():
        raise OidcError(
            _(
                "Un compte existe déjà avec l'adresse %(email)s. Pour votre sécurité, il n'est pas lié "
                "automatiquement : connectez-vous avec votre mot de passe, puis liez votre compte à "
                "« %(name)s » depuis la page « Mes identités de connexion »."
            ) % {"email": email, "name": provider.name},
            "unknown identity whose email matches an existing account: not linked", status=409,
        )
    if not organisation.citizen_signup_open:
        raise OidcError(
            _("La création de compte en ligne est fermée dans cette collectivité."), "signup closed", status=403,
        )
    email_confirmed = provider.trust_email and claims.get("email_verified") is not False
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, None, organisation=organisation, kind=User.Kind.CITIZEN, email_confirmed=email_confirmed,
                first_name=profile.get("first_name", ""), last_name=profile.get("last_name", ""),
                birth_date=profile.get("birth_date"),
            )
            identity = ExternalIdentity.objects.create(
                organisation=organisation, user=user, provider=provider, subject=subject,
            )
            _touch(identity)
    except IntegrityError as error:
        raise OidcError(
            _("Ce compte vient d'être créé par une autre connexion : recommencez."), f"race: {error}", status=409,
        ) from error
    return user, True


def link_identity(user, provider, claims):
    """Link the verified identity to this logged-in citizen; return `(identity, filled_fields)`.

    Refused when the identity is already linked to another account, or when the citizen already has
    another identity at this provider. Linking an identity already theirs only refreshes it.
    """
    organisation = user.organisation
    if provider.organisation_id != user.organisation_id or not _usable_citizen(user, organisation):
        raise OidcError(_("Seul un usager connecté peut lier son compte."), "link by a non-citizen", status=403)
    subject = claims["sub"]
    existing = ExternalIdentity.objects.of(organisation).filter(provider=provider, subject=subject).first()
    if existing is not None and existing.user_id != user.pk:
        raise OidcError(
            _(
                "Cette identité « %(name)s » est déjà liée à un autre compte. Connectez-vous avec ce compte pour "
                "la délier, puis recommencez."
            ) % {"name": provider.name},
            f"identity already linked to user {existing.user_id}", status=409,
        )
    if existing is None and ExternalIdentity.objects.of(organisation).filter(provider=provider, user=user).exists():
        raise OidcError(
            _(
                "Votre compte est déjà lié à une autre identité « %(name)s ». Déliez-la d'abord depuis la page "
                "« Mes identités de connexion »."
            ) % {"name": provider.name},
            "user already has another identity at this provider", status=409,
        )
    try:
        with transaction.atomic():
            identity = existing or ExternalIdentity.objects.create(
                organisation=organisation, user=user, provider=provider, subject=subject,
            )
            _touch(identity)
            filled = fill_empty_fields(user, claims)
    except IntegrityError as error:
        raise OidcError(
            _("Cette identité vient d'être liée par une autre connexion : recommencez."), f"race: {error}",
            status=409,
        ) from error
    return identity, filled


def identities_of(user):
    """The external identities linked to this account (of its own collectivité only)."""
    return ExternalIdentity.objects.of(user.organisation).filter(user=user).select_related("provider").order_by(
        "provider__name", "pk"
    )


def unlink_identity(user, identity):
    """Remove a linked identity; refused when it is the only way into an account that has no password."""
    if identity.user_id != user.pk:
        raise OidcError(_("Cette identité n'est pas liée à votre compte."), "unlink of another's identity", 403)
    if not user.has_usable_password() and identities_of(user).exclude(pk=identity.pk).count() == 0:
        raise OidcError(
            _(
                "Cette identité est votre seul moyen de connexion : votre compte n'a pas de mot de passe. "
                "Définissez d'abord un mot de passe pour votre compte, puis déliez-la."
            ),
            "unlink of the only way in", status=409,
        )
    identity.delete()
