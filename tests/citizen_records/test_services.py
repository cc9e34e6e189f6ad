"""The public functions other apps call: phone lookup, drafts entered on a citizen's behalf, where to fill them."""

import pytest

from guichet.citizen_records import services
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import StartRefused
from tests.conftest import make_agent, make_citizen


@pytest.mark.parametrize("raw", ["06 12 34 56 78", "+33612345678", "0033612345678", "06.12.34.56.78"])
def test_citizens_by_phone_reads_every_usual_spelling(organisation, raw):
    camille = make_citizen(organisation, phone="+33612345678")
    make_citizen(organisation, email="autre@example.org", phone="+33698765432")
    assert services.citizens_by_phone(organisation, raw) == [camille]


@pytest.mark.parametrize("raw", ["", None, "abc", "12", "+1 202 555 0100", "06 00 00 00 0", "x" * 500])
def test_citizens_by_phone_never_raises_on_bad_numbers(organisation, raw):
    make_citizen(organisation, phone="+33612345678")
    assert services.citizens_by_phone(organisation, raw) == []


def test_citizens_by_phone_stays_in_the_collectivite_and_skips_inactive(organisation, other_organisation):
    make_citizen(other_organisation, phone="+33612345678")
    make_citizen(organisation, email="parti@example.org", phone="+33612345678", is_active=False)
    make_agent(organisation, email="agent2@example.org", phone="+33612345678")
    assert services.citizens_by_phone(organisation, "0612345678") == []


def test_start_on_behalf_of_a_citizen_for_an_agents_only_procedure(organisation, agent, citizen, agents_procedure):
    draft = services.start_on_behalf(version=agents_procedure.current_version, agent=agent, citizen=citizen,
                                     channel=ServiceRequest.Channel.PHONE, data={"precisions": "Au téléphone"})
    assert draft.is_draft and draft.citizen == citizen and draft.entered_by == agent
    assert draft.channel == "phone"
    assert draft.data["nom"] == "Martin" and draft.data["precisions"] == "Au téléphone"  # profile, then data
    event = draft.events.get()
    assert event.kind == RequestEvent.Kind.CREATED and event.actor == agent
    assert event.data == {"on_behalf": True, "channel": "phone"}
    assert services.fill_url(draft) == f"/demandes/{draft.tracking_code}/page/demandeur/"


def test_start_on_behalf_for_a_contact_without_account(organisation, agent, procedure):
    draft = services.start_on_behalf(version=procedure.current_version, agent=agent,
                                     channel=ServiceRequest.Channel.COUNTER, contact_name="Alex Dupont",
                                     contact_email="alex@example.org", contact_phone="0612345678")
    assert draft.citizen is None and draft.contact_name == "Alex Dupont" and draft.channel == "counter"
    assert services.fill_url(draft).endswith("/coordonnees/")


def test_start_on_behalf_refused(organisation, other_organisation, agent, citizen, procedure):
    version = procedure.current_version
    with pytest.raises(StartRefused):  # a citizen is no agent
        services.start_on_behalf(version=version, agent=citizen, citizen=citizen, channel="counter")
    stranger = make_agent(other_organisation, email="ailleurs@example.org")
    with pytest.raises(StartRefused):  # an agent of another collectivité
        services.start_on_behalf(version=version, agent=stranger, citizen=citizen, channel="counter")
    with pytest.raises(StartRefused):  # a citizen of another collectivité
        services.start_on_behalf(version=version, agent=agent, channel="counter",
                                 citizen=make_citizen(other_organisation, email="x@example.org"))
    with pytest.raises(StartRefused):  # not a channel of an agent's entry
        services.start_on_behalf(version=version, agent=agent, citizen=citizen, channel="web")
    agent.totpdevice_set.all().delete()
    with pytest.raises(StartRefused):  # no second factor
        services.start_on_behalf(version=version, agent=agent, citizen=citizen, channel="counter")
    assert not ServiceRequest.objects.exists()
