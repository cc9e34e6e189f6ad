"""Shared fixtures: two collectivités side by side, their citizens and agents, and clients on their hosts."""

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.accounts.models import User
from guichet.agents.models import Membership, Service
from guichet.organisations.models import Organisation

PASSWORD = "Mot-de-passe-solide-42"


@pytest.fixture(autouse=True)
def _fast_tests(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _french_after_each_test():
    """A test that switches to English (pages, messages) never leaves it active for the next one."""
    from django.utils import translation

    yield
    translation.activate("fr")


def make_organisation(slug, name, kind=Organisation.Kind.COMMUNE, **fields):
    return Organisation.objects.create(slug=slug, name=name, kind=kind, **fields)


@pytest.fixture
def epci(db):
    return make_organisation(
        "val-fleuri", "Communauté de communes du Val Fleuri", kind=Organisation.Kind.INTERCOMMUNAL,
        insee_code="245400000",
    )


@pytest.fixture
def organisation(epci):
    return make_organisation("saint-aubin", "Saint-Aubin", insee_code="54470", intercommunality=epci)


@pytest.fixture
def other_organisation(epci):
    return make_organisation("montclair", "Montclair", insee_code="54380", intercommunality=epci)


def host_of(organisation):
    return f"{organisation.slug}.localhost"


def client_for(organisation, user=None):
    """A browser on the collectivité's host, signed in as `user` if given (agents pass TOTP too)."""
    client = Client(HTTP_HOST=host_of(organisation))
    if user is not None:
        client.force_login(user, backend="guichet.accounts.backends.OrganisationBackend")
        if user.is_agent:
            device = user.totpdevice_set.filter(confirmed=True).first()
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
    return client


def make_citizen(organisation, email="camille.martin@example.org", **fields):
    fields.setdefault("first_name", "Camille")
    fields.setdefault("last_name", "Martin")
    fields.setdefault("email_confirmed", True)
    return User.objects.create_user(email, PASSWORD, organisation=organisation, kind=User.Kind.CITIZEN, **fields)


def make_agent(organisation, email="agent@example.org", services=(), role=Membership.Role.AGENT, **fields):
    fields.setdefault("first_name", "Dominique")
    fields.setdefault("last_name", "Agent")
    agent = User.objects.create_user(
        email, PASSWORD, organisation=organisation, kind=User.Kind.AGENT, email_confirmed=True, **fields
    )
    TOTPDevice.objects.create(user=agent, name="Application", confirmed=True)
    for service in services:
        Membership.objects.create(organisation=organisation, user=agent, service=service, role=role)
    return agent


def make_service(organisation, name="État civil", slug="etat-civil"):
    return Service.objects.create(organisation=organisation, name=name, slug=slug)


@pytest.fixture
def citizen(organisation):
    return make_citizen(organisation)


@pytest.fixture
def service(organisation):
    return make_service(organisation)


@pytest.fixture
def agent(organisation, service):
    return make_agent(organisation, services=[service])


@pytest.fixture
def org_admin(organisation):
    return make_agent(organisation, email="admin@example.org", is_org_admin=True)


@pytest.fixture
def anonymous_client(organisation):
    return client_for(organisation)


@pytest.fixture
def citizen_client(organisation, citizen):
    return client_for(organisation, citizen)


@pytest.fixture
def agent_client(organisation, agent):
    return client_for(organisation, agent)


@pytest.fixture
def admin_client_org(organisation, org_admin):
    return client_for(organisation, org_admin)
