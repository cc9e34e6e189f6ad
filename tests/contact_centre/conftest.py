"""Fixtures of the contact-centre tests: a telephony secret per collectivité, calls, a citizen with a phone."""

import json

import pytest

from guichet.contact_centre import services
from tests.conftest import host_of, make_agent, make_citizen
from tests.workflows.conftest import make_request, make_version

WEBHOOK = "/api/telephonie/appels-entrants/"


@pytest.fixture
def secret(organisation):
    return services.generate_secret(organisation, label="Standard")[1]


@pytest.fixture
def other_secret(other_organisation):
    return services.generate_secret(other_organisation, label="Standard")[1]


def post_call(client, organisation, payload, secret=None, **extra):
    headers = {"HTTP_HOST": host_of(organisation), **extra}
    if secret is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return client.post(WEBHOOK, data=body, content_type="application/json", **headers)


@pytest.fixture
def caller(organisation):
    return make_citizen(organisation, email="karim@example.org", first_name="Karim", last_name="Benali",
                        phone="+33798765432")


@pytest.fixture
def phone_agent(organisation, service):
    return make_agent(organisation, email="standard@example.org", services=[service], phone_extension="204",
                      first_name="Sandra", last_name="Standard")


@pytest.fixture
def version(organisation, service):
    return make_version(organisation, service)


@pytest.fixture
def open_request(version, caller):
    return make_request(version, caller, status="recue")
