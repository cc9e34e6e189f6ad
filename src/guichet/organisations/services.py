"""Finding the collectivité a request is addressed to."""

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme

from .models import Host, Organisation


def split_host(host):
    """'Saint-Aubin.localhost:8000' -> 'saint-aubin.localhost'."""
    host = (host or "").strip().lower()
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def is_platform_host(host):
    return split_host(host) in settings.GUICHET_PLATFORM_HOSTS


def organisation_for_host(host):
    """The active collectivité reached by this host name, or None."""
    name = split_host(host)
    found = Host.objects.filter(name=name, organisation__is_active=True).select_related("organisation").first()
    if found:
        return found.organisation
    for platform_host in settings.GUICHET_PLATFORM_HOSTS:
        suffix = "." + platform_host
        if name.endswith(suffix):
            slug = name[: -len(suffix)]
            if slug and "." not in slug:
                return Organisation.objects.filter(slug=slug, is_active=True).first()
    return None


def safe_next(request, url):
    """`url` when it stays on this host (a `?next=` target), else "": no open redirect to another site."""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return ""


def organisation_url(organisation, path="/", scheme="http", port=None):
    """Absolute URL of a page of the collectivité, on its first host name or its platform sub-domain."""
    host = organisation.hosts.values_list("name", flat=True).first()
    if not host:
        host = f"{organisation.slug}.{settings.GUICHET_PLATFORM_HOSTS[0]}"
    port = port or settings.GUICHET_PUBLIC_PORT
    if port:
        host = f"{host}:{port}"
    return f"{scheme}://{host}{path}"
