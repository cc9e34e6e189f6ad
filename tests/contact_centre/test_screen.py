"""The call screen: the pop for the agent of the extension (only), its live fragment, taking a call, isolation."""

from html import unescape

import pytest
from django.test import Client

from guichet.contact_centre import services
from guichet.contact_centre.models import Contact, IncomingCall
from tests.conftest import client_for, make_agent, make_citizen
from tests.workflows.conftest import make_request

from .conftest import post_call

pytestmark = pytest.mark.django_db

SCREEN = "/agents/appels/"
FRAGMENT = "/agents/appels/en-ligne/"


def _ring(organisation, secret, extension="204", caller="07 98 76 54 32", call_id="c1"):
    response = post_call(Client(), organisation, {"call_id": call_id, "caller": caller, "extension": extension},
                         secret)
    assert response.status_code == 202
    return IncomingCall.objects.of(organisation).get(call_id=call_id)


def test_the_call_pops_for_the_agent_of_the_extension_with_the_caller_and_open_requests(
        organisation, secret, phone_agent, agent, caller, open_request, version):
    closed = make_request(version, caller, status="acceptee")
    closed.closed_at = closed.submitted_at
    closed.save()
    _ring(organisation, secret)
    page = client_for(organisation, phone_agent).get(SCREEN).content.decode()
    assert "Appel de 07 98 76 54 32" in page
    assert "Karim Benali" in page
    assert open_request.tracking_code in page and "Acte de naissance" in page and "Reçue" in page
    assert closed.tracking_code not in page  # only the OPEN requests
    # Another agent of the same collectivité (no extension 204) does not see it.
    other_page = client_for(organisation, agent).get(SCREEN).content.decode()
    assert "Karim Benali" not in other_page and "Aucun appel ne sonne pour vous" in other_page


def test_the_fragment_is_the_live_part_of_the_screen(organisation, secret, phone_agent, caller):
    client = client_for(organisation, phone_agent)
    assert "Aucun appel ne sonne" in client.get(FRAGMENT).content.decode()
    _ring(organisation, secret)
    response = client.get(FRAGMENT)
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "Karim Benali" in body and "<html" not in body
    screen = client.get(SCREEN).content.decode()
    assert 'data-poll-url="/agents/appels/en-ligne/"' in screen and "Actualiser" in screen


def test_an_unassigned_call_shows_for_every_agent_of_the_collectivite(organisation, secret, phone_agent, agent,
                                                                      caller):
    _ring(organisation, secret, extension="999")
    for user in (phone_agent, agent):
        page = client_for(organisation, user).get(FRAGMENT).content.decode()
        assert "Appel non attribué" in page and "Karim Benali" in page


def test_an_unknown_caller_pops_without_citizen(organisation, secret, phone_agent):
    _ring(organisation, secret, caller="01 99 00 00 00")
    page = client_for(organisation, phone_agent).get(FRAGMENT).content.decode()
    assert "Appel de 01 99 00 00 00" in page and "Aucun usager connu avec ce numéro" in page


def test_a_call_that_rang_long_ago_is_no_longer_shown_and_is_marked_missed(organisation, secret, phone_agent,
                                                                           caller):
    import datetime

    call = _ring(organisation, secret)
    IncomingCall.objects.filter(pk=call.pk).update(received_at=call.received_at - datetime.timedelta(minutes=10))
    assert "Karim" not in client_for(organisation, phone_agent).get(FRAGMENT).content.decode()
    assert services.mark_missed() == 1
    call.refresh_from_db()
    assert call.state == IncomingCall.State.MISSED


def test_the_screen_makes_a_bounded_number_of_queries(organisation, secret, phone_agent, version,
                                                      django_assert_max_num_queries):
    for index in range(5):
        citizen = make_citizen(organisation, email=f"c{index}@example.org", phone=f"+3361234567{index}")
        make_request(version, citizen)
        make_request(version, citizen)
        _ring(organisation, secret, caller=f"061234567{index}", call_id=f"call-{index}",
              extension="204" if index % 2 else "")
    client = client_for(organisation, phone_agent)
    with django_assert_max_num_queries(12):
        page = client.get(SCREEN).content.decode()
    assert page.count("Prendre l'appel") == 5
    with django_assert_max_num_queries(9):
        client.get(FRAGMENT)


def test_taking_the_call_starts_a_contact_for_the_citizen(organisation, secret, phone_agent, caller):
    call = _ring(organisation, secret)
    client = client_for(organisation, phone_agent)
    response = client.post(f"/agents/appels/entrants/{call.pk}/prendre/", {"citizen": caller.pk})
    contact = Contact.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/agents/appels/contacts/{contact.pk}/"
    assert (contact.kind, contact.citizen, contact.incoming_call, contact.agent, contact.caller_number) == (
        Contact.Kind.CALL, caller, call, phone_agent, "+33798765432")
    call.refresh_from_db()
    assert call.state == IncomingCall.State.TAKEN and call.taken_by == phone_agent
    # Once taken it leaves the screen; taking it again is refused (no second contact).
    assert "Karim" not in client.get(FRAGMENT).content.decode()
    again = client.post(f"/agents/appels/entrants/{call.pk}/prendre/", follow=True)
    assert "déjà été pris" in unescape(again.content.decode())
    assert Contact.objects.count() == 1


def test_a_call_ringing_for_another_agent_cannot_be_taken(organisation, secret, phone_agent, agent, caller):
    call = _ring(organisation, secret)
    response = client_for(organisation, agent).post(f"/agents/appels/entrants/{call.pk}/prendre/", follow=True)
    assert "poste d'un autre agent" in unescape(response.content.decode())
    assert not Contact.objects.exists()


def test_taking_a_call_for_a_citizen_without_that_number_is_refused(organisation, secret, phone_agent, caller):
    stranger = make_citizen(organisation, email="x@example.org", phone="+33611111111")
    call = _ring(organisation, secret)
    response = client_for(organisation, phone_agent).post(
        f"/agents/appels/entrants/{call.pk}/prendre/", {"citizen": stranger.pk}, follow=True)
    assert "n'a pas le numéro" in unescape(response.content.decode())
    assert not Contact.objects.exists()


def test_an_agent_of_another_collectivite_never_sees_nor_takes_its_calls(
        organisation, other_organisation, secret, phone_agent, caller):
    call = _ring(organisation, secret, extension="999")
    intruder = make_agent(other_organisation, email="b@example.org", phone_extension="204")
    make_citizen(other_organisation, email="karim@example.org", first_name="Karim", last_name="Homonyme",
                 phone="+33798765432")
    client = client_for(other_organisation, intruder)
    page = client.get(FRAGMENT).content.decode()
    assert "Aucun appel ne sonne" in page and "Benali" not in page
    assert client.post(f"/agents/appels/entrants/{call.pk}/prendre/").status_code == 404
    # And a call of B for the same number pops B's citizen, never A's.
    other_secret = services.generate_secret(other_organisation)[1]
    _ring(other_organisation, other_secret, call_id="b1")
    page = client.get(FRAGMENT).content.decode()
    assert "Karim Homonyme" in page and "Benali" not in page


def test_a_citizen_of_another_collectivite_cannot_be_attached(organisation, other_organisation, secret,
                                                              phone_agent, caller):
    foreigner = make_citizen(other_organisation, email="f@example.org", phone="+33798765432")
    call = _ring(organisation, secret)
    client = client_for(organisation, phone_agent)
    assert client.post(f"/agents/appels/entrants/{call.pk}/prendre/", {"citizen": foreigner.pk}).status_code == 404
    assert client.post("/agents/appels/nouveau/", {"kind": "call", "citizen": foreigner.pk}).status_code == 404
    assert client.post(f"/agents/appels/entrants/{call.pk}/prendre/",
                       {"citizen": "99999999999999999999"}).status_code == 404
    assert not Contact.objects.exists()


def test_starting_a_call_or_a_visit_by_hand(organisation, phone_agent, caller):
    client = client_for(organisation, phone_agent)
    response = client.post("/agents/appels/nouveau/", {"kind": "call", "caller": "07 98 76 54 32"})
    contact = Contact.objects.get()
    assert response["Location"] == f"/agents/appels/contacts/{contact.pk}/"
    assert (contact.kind, contact.citizen, contact.incoming_call) == (Contact.Kind.CALL, caller, None)
    client.post("/agents/appels/nouveau/", {"kind": "visit", "citizen": caller.pk})
    visit = Contact.objects.get(kind=Contact.Kind.VISIT)
    assert visit.citizen == caller and visit.caller_number == ""
    bad = client.post("/agents/appels/nouveau/", {"kind": "fax"}, follow=True)
    assert "n'a pas pu être commencé" in unescape(bad.content.decode())
    assert Contact.objects.count() == 2


def test_citizens_and_anonymous_visitors_are_kept_out(organisation, citizen, citizen_client, anonymous_client):
    assert citizen_client.get(SCREEN).status_code == 403
    assert citizen_client.get(FRAGMENT).status_code == 403
    assert anonymous_client.get(SCREEN).status_code == 302
    assert citizen_client.post("/agents/appels/nouveau/", {"kind": "call"}).status_code == 403


def test_the_links_and_boxes_of_the_screen_lead_to_working_pages(organisation, secret, phone_agent, caller):
    """The other apps' pages the screen points to answer the agent (record, new request, knowledge, directory)."""
    import re

    _ring(organisation, secret)
    client = client_for(organisation, phone_agent)
    page = client.get(SCREEN).content.decode()
    record = re.search(r'<h4><a href="([^"]+)">Karim Benali</a>', page).group(1)
    assert client.get(record).status_code == 200
    for box in ("knowledge", "directory"):
        action = re.search(rf'action="([^"]+)" data-inline-search="{box}-results"', page).group(1)
        assert client.get(action, {"q": "horaires"}).status_code == 200
        partial = client.get(action, {"q": "horaires", "partial": "1"})
        assert partial.status_code == 200 and "<html" not in partial.content.decode()
    client.post(f"/agents/appels/entrants/{IncomingCall.objects.get().pk}/prendre/", {"citizen": caller.pk})
    contact_page = client.get(f"/agents/appels/contacts/{Contact.objects.get().pk}/").content.decode()
    start = re.search(r'href="([^"]+\?canal=phone)"', contact_page).group(1)
    assert client.get(start.replace("&amp;", "&")).status_code == 200


def test_an_overseas_caller_sent_in_the_national_form_pops_their_record(organisation, secret, phone_agent):
    """« 0692 12 34 56 » is La Réunion (+262), as the citizen's phone was recorded, not a metropolitan +33 6…."""
    make_citizen(organisation, email="mahe@example.org", first_name="Noémie", last_name="Payet",
                 phone="+262692123456")  # as the accounts forms record « 0692 12 34 56 »
    call = _ring(organisation, secret, caller="0692 12 34 56")
    assert call.caller == "+262692123456"
    page = unescape(client_for(organisation, phone_agent).get(SCREEN).content.decode())
    assert "Noémie Payet" in page
