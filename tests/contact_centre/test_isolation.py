"""Every contact-centre URL that takes an identifier, called by Saint-Aubin's administrator with the identifiers of
Montclair's objects: 404 (or 405 for the other method), and nothing changes (the same check as
tests/test_tenant_isolation.py, whose GUESSES the lead extends with these names)."""

import pytest
from django.urls import reverse

from guichet.contact_centre import services
from guichet.contact_centre.models import Contact, IncomingCall, TelephonySecret
from tests.conftest import client_for, make_agent, make_citizen

pytestmark = pytest.mark.django_db


@pytest.fixture
def montclair(other_organisation):
    agent = make_agent(other_organisation, email="agent.montclair@example.org", phone_extension="204")
    citizen = make_citizen(other_organisation, email="victime@example.org", phone="+33612345678")
    call, _created = services.receive_call(other_organisation, call_id="m-1", caller="0612345678", extension="")
    contact = services.start_contact(other_organisation, agent, Contact.Kind.CALL, citizen=None)
    secret, _clear = services.generate_secret(other_organisation)
    return {"call": call, "contact": contact, "secret": secret, "citizen": citizen}


GUESSES = {
    "contact_centre:take": lambda o: {"pk": o["call"].pk},
    "contact_centre:contact": lambda o: {"pk": o["contact"].pk},
    "contact_centre:attach": lambda o: {"pk": o["contact"].pk},
    "contact_centre:revoke": lambda o: {"pk": o["secret"].pk},
}


def _snapshot():
    return (list(IncomingCall.objects.values()), list(Contact.objects.values()),
            list(TelephonySecret.objects.values()))


@pytest.mark.parametrize("url_name", sorted(GUESSES))
def test_montclair_identifiers_lead_nowhere(url_name, organisation, org_admin, montclair):
    client = client_for(organisation, org_admin)
    url = reverse(url_name, kwargs=GUESSES[url_name](montclair), urlconf="guichet.urls")
    before = _snapshot()
    statuses = {client.get(url).status_code,
                client.post(url, {"citizen": montclair["citizen"].pk, "reason": "Pirate", "outcome": "other"})
                .status_code}
    assert 404 in statuses and statuses <= {404, 405}, (url, statuses)
    assert _snapshot() == before


def test_every_contact_centre_url_with_an_identifier_is_tried():
    from tests.test_tenant_isolation import parameterised_url_names

    assert {name for name in parameterised_url_names() if name.startswith("contact_centre")} == set(GUESSES)
