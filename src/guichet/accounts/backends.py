"""Sign-in inside the collectivité the request is addressed to."""

from django.contrib.auth.backends import ModelBackend

from .models import User


def axes_username(request, credentials):
    """Failed logins are counted per collectivité and e-mail (django-axes)."""
    organisation = getattr(request, "organisation", None)
    email = (credentials or {}).get("email") or (credentials or {}).get("username") or ""
    return f"{organisation.slug if organisation else '-'}:{email.strip().lower()}"


class OrganisationBackend(ModelBackend):
    """E-mail and password, looked up in the request's collectivité only.

    `kind` restricts the sign-in to citizens or to agents; on the platform host (no collectivité)
    only the platform's operators can sign in (Django admin).
    """

    def authenticate(self, request, email=None, password=None, kind=None, username=None, **kwargs):
        email = (email or username or "").strip().lower()
        if not email or password is None:
            return None
        organisation = getattr(request, "organisation", None)
        users = User.objects.filter(organisation=organisation, email=email)
        if kind:
            users = users.filter(kind=kind)
        user = users.first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
