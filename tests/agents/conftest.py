"""Fixtures of the agents' area: real TOTP codes, sign-in steps, managers and another collectivité's admin."""

import pytest
from django.urls import reverse
from django_otp.oath import totp

from guichet.agents.models import Membership
from tests.conftest import PASSWORD, client_for, make_agent


def code_for(device, offset=0):
    """The code the agent's application shows now (offset in 30-second steps)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset):06d}"


def submit_password(client, email, password=PASSWORD, next_url=None):
    url = reverse("agents:login")
    if next_url:
        url += f"?next={next_url}"
    return client.post(url, {"email": email, "password": password})


@pytest.fixture
def manager(organisation, service):
    return make_agent(organisation, email="responsable@example.org", services=[service], role=Membership.Role.MANAGER)


@pytest.fixture
def other_admin(other_organisation):
    return make_agent(other_organisation, email="admin@montclair.example.org", is_org_admin=True)


@pytest.fixture
def other_admin_client(other_organisation, other_admin):
    return client_for(other_organisation, other_admin)
