"""Citizens' side of OpenID Connect login: go to the provider, come back, manage linked identities.

The rules live in `services`; these views only translate their outcomes into pages and redirects.
"""

import logging

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from guichet.organisations.services import safe_next

from . import services
from .services import OidcError

logger = logging.getLogger("guichet.oidc")


def _failure(request, error, provider=None):
    """Log the technical detail, show the French message; nothing has been changed."""
    logger.warning(
        "OIDC failure on %s (provider %s): %s",
        getattr(request.organisation, "slug", "-"), getattr(provider, "slug", "-"), error.detail,
    )
    return render(request, "oidc/error.html", {"message": error.message}, status=error.status)


@never_cache
@require_GET
def start(request, slug):
    """Send the browser to the provider. `?next=` is kept (same host only); `?link=1` links to the account.

    A logged-in citizen always links (that is the only thing that makes sense for them); an anonymous
    visitor asking to link is sent to the login page first; agents never use external identities.
    """
    provider = get_object_or_404(services.enabled_providers(request.organisation), slug=slug)
    user = request.user
    if user.is_authenticated and not user.is_citizen:
        return _failure(request, OidcError(
            _("Les agents se connectent avec leur mot de passe et leur code de vérification ; la connexion par "
              "un fournisseur d'identité est réservée aux usagers."),
            "agent tried an external identity", status=403,
        ), provider)
    if request.GET.get("link") and not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    try:
        url = services.begin_authentication(
            request, provider, next_url=safe_next(request, request.GET.get("next")),
            link_user=user if user.is_authenticated else None,
        )
    except OidcError as error:
        return _failure(request, error, provider)
    return redirect(url)


@never_cache
@require_GET
def callback(request):
    """The collectivité's single redirect URI: verify the answer, then log in, create or link."""
    try:
        authentication = services.complete_authentication(request, request.GET)
    except OidcError as error:
        return _failure(request, error)
    provider = authentication.provider
    if authentication.link_user_id is not None:
        user = request.user
        if not user.is_authenticated or user.pk != authentication.link_user_id:
            return _failure(request, OidcError(
                _("Votre session a changé pendant la liaison : connectez-vous de nouveau puis recommencez."),
                "link attempt finished in another session", status=403,
            ), provider)
        try:
            _identity, filled = services.link_identity(user, provider, authentication.claims)
        except OidcError as error:
            return _failure(request, error, provider)
        messages.success(request, _("Votre compte est maintenant lié à « %(name)s ».") % {"name": provider.name})
        if filled:
            messages.info(request, _("Les informations manquantes de votre profil ont été complétées."))
        return redirect(authentication.next_url or "oidc:identities")

    try:
        user, created = services.user_for_login(request.organisation, provider, authentication.claims)
    except OidcError as error:
        return _failure(request, error, provider)
    auth.login(request, user, backend=services.BACKEND)
    if created:
        messages.success(request, _("Votre compte a été créé avec votre identité « %(name)s ».") % {
            "name": provider.name})
    else:
        messages.success(request, _("Vous êtes connecté avec « %(name)s ».") % {"name": provider.name})
    return redirect(authentication.next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


def _citizen_only(request):
    if not request.user.is_citizen:
        raise PermissionDenied


@login_required
def identities(request):
    """« Mes identités de connexion »: linked identities (to unlink) and providers still to link."""
    _citizen_only(request)
    linked = list(services.identities_of(request.user))
    linked_ids = {identity.provider_id for identity in linked}
    available = [p for p in services.enabled_providers(request.organisation) if p.pk not in linked_ids]
    return render(request, "oidc/identities.html", {
        "identities": linked, "available": available, "has_password": request.user.has_usable_password(),
    })


@require_POST
@login_required
def unlink(request, pk):
    _citizen_only(request)
    identity = get_object_or_404(services.identities_of(request.user), pk=pk)
    try:
        services.unlink_identity(request.user, identity)
    except OidcError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Votre compte n'est plus lié à « %(name)s ».") % {
            "name": identity.provider.name})
    return redirect(reverse("oidc:identities"))
