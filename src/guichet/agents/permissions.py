"""Who may do what in the back office. Views call these; they never test roles themselves."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from .models import Membership


def is_verified_agent(user):
    """An agent of the request's collectivité who passed both password and TOTP second factor."""
    return bool(user.is_authenticated and user.is_agent and user.is_active and user.is_verified())


def is_org_admin(user):
    return is_verified_agent(user) and user.is_org_admin


def services_of(user, roles=None):
    """The services the agent belongs to (optionally with one of these roles)."""
    from .models import Service

    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return Service.objects.filter(organisation_id=user.organisation_id, pk__in=memberships.values("service_id"))


def manages(user, service):
    return is_org_admin(user) or (
        is_verified_agent(user)
        and Membership.objects.filter(user=user, service=service, role=Membership.Role.MANAGER).exists()
    )


def is_service_manager(user, service=None):
    """A verified agent who manages `service` (or, without a service, at least one service)."""
    if not is_verified_agent(user):
        return False
    memberships = Membership.objects.filter(user=user, role=Membership.Role.MANAGER, service__is_active=True)
    if service is not None:
        memberships = memberships.filter(service=service)
    return memberships.exists()


def _guard(test):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if user.is_authenticated and not user.is_agent:
                raise PermissionDenied  # citizens have no business in the back office
            if not is_verified_agent(user):
                return redirect_to_login(request.get_full_path(), reverse("agents:login"))
            if not test(user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


agent_required = _guard(lambda user: True)
org_admin_required = _guard(lambda user: user.is_org_admin)
