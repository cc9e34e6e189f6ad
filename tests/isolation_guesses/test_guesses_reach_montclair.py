"""The omnichannel GUESSES of `tests/test_tenant_isolation.py` are real attacks: on Montclair's own host, by
Montclair's own administrator (or anonymously for the FAQ), the same identifiers and the same POST data open the
page or change Montclair's data. A guess that 404s even for its owner (a wrong identifier, an object in the wrong
state) would prove nothing on Saint-Aubin's host."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD, client_for, make_agent
from tests.test_tenant_isolation import GUESSES, other, snapshot  # noqa: F401  (`other`: the fixture)

from .omnichannel import omnichannel_guesses, omnichannel_post_data

pytestmark = pytest.mark.django_db
# Restoring version 1 of a sheet still at version 1 changes nothing: the page answering is enough.
NO_CHANGE_EXPECTED = {"knowledge:restore"}


@pytest.mark.parametrize("url_name", sorted(omnichannel_guesses()))
def test_the_guess_reaches_montclairs_object_on_montclair(url_name, other_organisation, other):
    actor, make_kwargs = GUESSES[url_name]
    owner = make_agent(other_organisation, email="chef@montclair.example.org", is_org_admin=True)
    client = client_for(other_organisation, owner if actor == "admin" else None)
    url = reverse(url_name, kwargs=make_kwargs(other))
    before = snapshot(other)
    get = client.get(url)
    post = client.post(url, {"name": "Pirate", "first_name": "Pirate", "last_name": "Pirate",
                             "password": PASSWORD, **omnichannel_post_data(other)})
    if get.status_code == 405:  # a POST-only action: it goes through and changes Montclair's data
        assert post.status_code == 302, (url, post.status_code)
        assert url_name in NO_CHANGE_EXPECTED or snapshot(other) != before
    else:
        assert get.status_code in (200, 301), (url, get.status_code)
        assert post.status_code in (302, 405), (url, post.status_code)
