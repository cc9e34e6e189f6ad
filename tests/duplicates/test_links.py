"""Links between requests: both directions, LINKED events on both, unlink, refusals."""

import pytest

from guichet.duplicates.models import RequestLink
from guichet.duplicates.services import DuplicateActionRefused, link, links_of, unlink
from guichet.service_requests.models import RequestEvent
from tests.conftest import make_agent, make_citizen, make_service

from .conftest import make_request

pytestmark = pytest.mark.django_db


def test_link_both_directions_then_unlink(voirie, other_voirie, citizen, agent, organisation):
    first = make_request(voirie, citizen)
    second = make_request(other_voirie, make_citizen(organisation, email="lea@example.org"))  # another procedure
    created = link(second, first, agent)
    assert (created.first_id, created.second_id) == (first.pk, second.pk)  # stored once, in id order
    assert created.created_by == agent
    assert [(row.pk, other.pk) for row, other in links_of(first)] == [(created.pk, second.pk)]
    assert [(row.pk, other.pk) for row, other in links_of(second)] == [(created.pk, first.pk)]
    for here, there in ((first, second), (second, first)):
        event = RequestEvent.objects.get(request=here, kind=RequestEvent.Kind.LINKED)
        assert there.tracking_code in event.text and not event.visible_to_citizen
    with pytest.raises(DuplicateActionRefused, match="déjà liées"):
        link(first, second, agent)
    unlink(created, agent)
    assert not RequestLink.objects.exists()
    assert links_of(first) == [] and links_of(second) == []
    assert RequestEvent.objects.filter(kind=RequestEvent.Kind.LINKED, data__unlinked=True).count() == 2
    with pytest.raises(DuplicateActionRefused, match="déjà été retiré"):
        unlink(created, agent)


def test_link_refusals(voirie, citizen, agent, organisation, other_organisation):
    first = make_request(voirie, citizen)
    with pytest.raises(DuplicateActionRefused, match="liée à elle-même"):
        link(first, first, agent)
    outsider = make_agent(organisation, email="autre@example.org",
                          services=[make_service(organisation, name="Voirie", slug="voirie")])
    second = make_request(voirie, citizen)
    with pytest.raises(DuplicateActionRefused, match="ne relève pas de vos services"):
        link(first, second, outsider)
    from tests.documents.builders import make_version

    montclair = make_request(make_version(other_organisation, make_service(other_organisation), slug="x"),
                             make_citizen(other_organisation))
    with pytest.raises(DuplicateActionRefused, match="même collectivité"):
        link(first, montclair, agent)
    assert not RequestLink.objects.exists()
    assert not RequestEvent.objects.filter(kind=RequestEvent.Kind.LINKED).exists()
