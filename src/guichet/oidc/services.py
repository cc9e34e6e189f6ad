"""OpenID Connect login: business rules (see the module docstring of each function)."""

from .models import IdentityProvider


def enabled_providers(organisation):
    """The enabled identity providers of this collectivité, in display order (by name)."""
    return IdentityProvider.objects.of(organisation).filter(enabled=True).order_by("name", "pk")
