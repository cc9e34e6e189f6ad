"""Resolve the collectivité from the request's host; keep every user inside their own collectivité."""

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import render

from .services import is_platform_host, organisation_for_host


class OrganisationMiddleware:
    """Sets request.organisation, and the URL configuration that goes with it.

    The bare platform host gets the platform URLs (list of collectivités, operators' admin);
    a collectivité's host gets the collectivité's URLs; any other host is refused.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
        request.organisation = organisation_for_host(host)
        if request.organisation is not None:
            request.urlconf = "guichet.urls"
        elif is_platform_host(host):
            request.urlconf = "guichet.urls_platform"
        else:
            return render(request, "organisations/unknown_host.html", status=404)
        return self.get_response(request)


class OrganisationUserMiddleware:
    """A session opened in one collectivité is worth nothing in another one (nor on the platform host)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            organisation_id = request.organisation.pk if request.organisation else None
            if user.organisation_id != organisation_id:
                request.user = AnonymousUser()
        return self.get_response(request)
