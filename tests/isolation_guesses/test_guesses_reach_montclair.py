"""The omnichannel GUESSES of `tests/test_tenant_isolation.py` are real attacks: on Montclair's own host, by
Montclair's own administrator (or anonymously for the FAQ), the same identifiers and the same POST data open the
page or change Montclair's data. A guess that 404s even for its owner (a wrong identifier, an object in the wrong
state) would prove nothing on Saint-Aubin's host. The same for the GUESSES of the public APIs (apis.py), the REST API
and Open311 called with Montclair's own client."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD, client_for, make_agent
from tests.test_tenant_isolation import GUESSES, other, snapshot  # noqa: F401  (`other`: the fixture)

from .apis import API_ACTORS, apis_calls, apis_guesses, apis_post_data
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


@pytest.mark.parametrize("url_name", sorted(apis_guesses()))
def test_the_api_guess_reaches_montclairs_object_on_montclair(url_name, other_organisation, other):
    """The same for the apps of issue 7: the administrators' pages with Montclair's administrator, the REST API
    and Open311 with Montclair's own client (every scope). A POST that is not refused (405) changes Montclair's
    data; a GET that answers found Montclair's object (the same GET is a 404 on Saint-Aubin's host)."""
    actor, make_kwargs = GUESSES[url_name]
    owner = make_agent(other_organisation, email="chef@montclair.example.org", is_org_admin=True)
    client = client_for(other_organisation, owner)
    url = reverse(url_name, kwargs=make_kwargs(other))
    before = snapshot(other)
    if actor in API_ACTORS:
        get, post = apis_calls(actor, client, url, other, other["api_secret"])
    else:
        get = client.get(url)
        post = client.post(url, {"name": "Pirate", "slug": "pirate", **apis_post_data(other)})
    assert get.status_code in (200, 405), (url, get.status_code, get.content[:300])
    assert post.status_code in (200, 201, 302, 405), (url, post.status_code, post.content[:300])
    assert (get.status_code, post.status_code) != (405, 405), url
    if post.status_code != 405:
        assert snapshot(other) != before, (url, "the POST changed nothing")
