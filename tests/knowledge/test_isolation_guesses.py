"""Every knowledge URL that takes an identifier, called on Saint-Aubin's host (by its administrator, or anonymously
for the FAQ) with Montclair's objects, leads nowhere and changes nothing."""

import pytest
from django.urls import reverse

from guichet.knowledge.models import Sheet, Theme
from tests.conftest import client_for

from .isolation import knowledge_guesses


@pytest.mark.parametrize("name", sorted(knowledge_guesses()))
def test_montclair_identifiers_lead_nowhere(name, organisation, other_organisation, org_admin):
    actor, kwargs = knowledge_guesses()[name]
    client = client_for(organisation, org_admin if actor == "admin" else None)
    url = reverse(name, kwargs=kwargs(other_organisation))
    before = list(Sheet.objects.values_list("pk", "question", "version_number")), list(Theme.objects.values_list())
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, {"name": "Pirate", "question": "Pirate", "answer": "Pirate"}).status_code in (404, 405)
    assert (list(Sheet.objects.values_list("pk", "question", "version_number")),
            list(Theme.objects.values_list())) == before
