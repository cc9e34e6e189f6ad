from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from .models import Organisation
from .services import organisation_url


def platform_home(request):
    """The bare host lists the collectivités hosted by this installation."""
    organisations = Organisation.objects.filter(is_active=True).select_related("intercommunality")
    host = request.get_host()
    port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else None
    entries = [(org, organisation_url(org, scheme=request.scheme, port=port)) for org in organisations]
    return render(request, "organisations/platform_home.html", {"entries": entries})


def home(request):
    organisation = request.organisation
    members = organisation.member_communes.filter(is_active=True) if organisation.is_intercommunal else []
    return render(request, "organisations/home.html", {"members": members})


def legal_notices(request):
    return render(request, "organisations/legal_notices.html")


@cache_control(max_age=3600)
def logo(request):
    if not request.organisation.logo:
        raise Http404
    return FileResponse(request.organisation.logo.open("rb"))


def not_found(request, exception=None):
    return render(request, "404.html", status=404)
