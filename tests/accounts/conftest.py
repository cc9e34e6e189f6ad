"""Helpers for the citizen account tests."""

import re

import pytest
from django.core import mail

from tests.conftest import PASSWORD, client_for, make_citizen

NEW_PASSWORD = "Un-autre-mot-de-passe-77"


def signup_data(**overrides):
    data = {
        "civility": "mme",
        "first_name": "Léa",
        "last_name": "Durand",
        "email": "lea.durand@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "phone": "",
        "address_line": "",
        "address_complement": "",
        "postcode": "",
        "city": "",
        "preferred_channel": "email",
        "consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def profile_data(user, **overrides):
    data = {
        "civility": user.civility,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "birth_date": user.birth_date.isoformat() if user.birth_date else "",
        "email": user.email,
        "phone": str(user.phone or ""),
        "address_line": user.address_line,
        "address_complement": user.address_complement,
        "postcode": user.postcode,
        "city": user.city,
        "preferred_channel": user.preferred_channel,
    }
    data.update(overrides)
    return data


def link_in(message):
    """The single http(s) link of a plain-text e-mail (and check the HTML part carries the same link)."""
    links = re.findall(r"https?://\S+", message.body)
    assert len(links) == 1, message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{links[0]}"' in html
    return links[0]


def path_of(url, host):
    prefix = f"http://{host}"
    assert url.startswith(prefix), url
    return url[len(prefix):]


@pytest.fixture
def outbox():
    mail.outbox.clear()
    return mail.outbox


@pytest.fixture
def visitor(organisation):
    """An anonymous browser on Saint-Aubin's host."""
    return client_for(organisation)


def make_unconfirmed(organisation, email="camille.martin@example.org", **fields):
    """A citizen who signed up but has not followed the confirmation link yet."""
    user = make_citizen(organisation, email=email, **fields)
    user.email_confirmed = False
    user.save(update_fields=["email_confirmed"])
    return user
