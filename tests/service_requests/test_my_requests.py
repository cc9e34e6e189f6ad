"""« Mes demandes » (/compte/demandes/): every request of the citizen with whom it concerns, its visible status,
deadline (late or not), last visible update and badges; filters; a constant number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guichet.households.models import HouseholdMember
from guichet.service_requests import messaging, withdrawal
from guichet.service_requests.agent_services import add_internal_note
from guichet.service_requests.models import ServiceRequest
from guichet.workflows import engine
from tests.conftest import client_for, make_citizen

from .citizen_side import sent_request
from .conftest import make_procedure, start, text

URL = "/compte/demandes/"


def rows_of(page):
    """The HTML of each row of the table of sent requests, by tracking code."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in body.split("<tr>")[1:]:
        code = row.split("<td>", 1)[1].split("</td>", 1)[0].strip()
        rows[code] = row
    return rows


def member(citizen, first_name, last_name="Martin"):
    return HouseholdMember.objects.create(organisation=citizen.organisation, citizen=citizen, relationship="child",
                                          first_name=first_name, last_name=last_name)


def test_each_request_shows_whom_it_concerns_status_deadline_and_badges(citizen, citizen_client, agent, procedure):
    plain = sent_request(procedure, citizen)
    for_lea = sent_request(procedure, citizen, concerns="Léa Martin, Hugo Martin")
    late = sent_request(procedure, citizen, deadline=timezone.localdate() - datetime.timedelta(days=2))
    asked = sent_request(procedure, citizen)
    engine.press(asked, "completer", agent, form_data={"message": "Joignez votre livret de famille."})
    written = sent_request(procedure, citizen)
    messaging.post_agent_message(written, agent, "Votre acte est prêt.")
    removed = sent_request(procedure, citizen)
    withdrawal.withdraw(removed, citizen, "Plus besoin.")
    closed = sent_request(procedure, citizen)
    messaging.post_agent_message(closed, agent, "Voici votre acte.", answer=True)
    engine.press(closed, "instruire", agent)
    engine.press(ServiceRequest.objects.get(pk=closed.pk), "accepter", agent)
    draft = start(citizen_client, procedure)

    page = text(citizen_client.get(URL))
    assert f"Brouillon {draft.tracking_code}" in page  # drafts stay listed
    rows = rows_of(page)
    assert set(rows) == {r.tracking_code for r in (plain, for_lea, late, asked, written, removed, closed)}
    assert "Vous" in rows[plain.tracking_code] and "Léa Martin, Hugo Martin" in rows[for_lea.tracking_code]
    assert "Reçue" in rows[plain.tracking_code] and plain.deadline.strftime("%Y") in rows[plain.tracking_code]
    assert "en retard" in rows[late.tracking_code] and "en retard" not in rows[plain.tracking_code]
    assert "Complément demandé" in rows[asked.tracking_code]
    assert "Nouveau message du service" in rows[written.tracking_code]
    assert "Nouveau message du service" not in rows[plain.tracking_code]
    assert "Retirée" in rows[removed.tracking_code] and "Close" not in rows[removed.tracking_code]
    assert "Close" in rows[closed.tracking_code] and "Acceptée" in rows[closed.tracking_code], rows[closed.tracking_code]
    # A closed or withdrawn request is never « en retard », even past its deadline.
    ServiceRequest.objects.filter(pk__in=[removed.pk, closed.pk]).update(deadline=datetime.date(2020, 1, 1))
    rows = rows_of(text(citizen_client.get(URL)))
    assert "en retard" not in rows[removed.tracking_code] and "en retard" not in rows[closed.tracking_code]


def test_the_new_message_badge_goes_once_the_citizen_has_read_it(citizen, citizen_client, agent, procedure):
    item = sent_request(procedure, citizen)
    messaging.post_agent_message(item, agent, "Pouvez-vous préciser la date ?")
    assert "Nouveau message du service" in rows_of(text(citizen_client.get(URL)))[item.tracking_code]
    assert citizen_client.get(f"/demandes/{item.tracking_code}/").status_code == 200
    assert "Nouveau message du service" not in rows_of(text(citizen_client.get(URL)))[item.tracking_code]
    # The look is traced (internal), once: opening the page again right away writes nothing more.
    assert item.events.filter(kind="viewed", actor=citizen, visible_to_citizen=False).count() == 1
    citizen_client.get(f"/demandes/{item.tracking_code}/")
    assert item.events.filter(kind="viewed", actor=citizen).count() == 1
    # A new message of the service brings the badge back; the citizen's own reply counts as read.
    messaging.post_agent_message(item, agent, "Et le lieu ?")
    assert "Nouveau message du service" in rows_of(text(citizen_client.get(URL)))[item.tracking_code]
    messaging.post_citizen_message(item, citizen, "À Saint-Aubin.")
    assert "Nouveau message du service" not in rows_of(text(citizen_client.get(URL)))[item.tracking_code]
    # The written answer is a message of the service too.
    messaging.post_agent_message(item, agent, "Voici votre acte.", answer=True)
    assert "Nouveau message du service" in rows_of(text(citizen_client.get(URL)))[item.tracking_code]


def test_last_update_is_the_last_thing_the_citizen_can_see(citizen, citizen_client, agent, procedure):
    item = sent_request(procedure, citizen)
    submitted_event = item.events.filter(visible_to_citizen=True).order_by("-at").first()
    add_internal_note(item, agent, "Appeler le demandeur")  # internal: the citizen's « last update » stays
    row = rows_of(citizen_client.get(URL).content.decode())[item.tracking_code]
    assert f'datetime="{timezone.localtime(submitted_event.at).isoformat()}"' in row


def test_filters_in_progress_closed_and_household_member(citizen, citizen_client, agent, procedure):
    lea, hugo = member(citizen, "Léa"), member(citizen, "Hugo")
    member(citizen, "Léa", "Martinez")
    open_for_lea = sent_request(procedure, citizen, concerns="Léa Martin")
    open_for_both = sent_request(procedure, citizen, concerns="Hugo Martin, Léa Martin")
    for_martinez = sent_request(procedure, citizen, concerns="Léa Martinez")
    removed_for_hugo = sent_request(procedure, citizen, concerns="Hugo Martin")
    withdrawal.withdraw(removed_for_hugo, citizen)

    def codes(query):
        response = citizen_client.get(URL + query)
        assert response.status_code == 200
        page = text(response)
        return set(rows_of(page)) if "<tbody>" in page else set()

    everything = {r.tracking_code for r in (open_for_lea, open_for_both, for_martinez, removed_for_hugo)}
    assert codes("") == everything
    assert codes("?etat=en-cours") == everything - {removed_for_hugo.tracking_code}
    assert codes("?etat=closes") == {removed_for_hugo.tracking_code}
    assert codes(f"?pour={lea.pk}") == {open_for_lea.tracking_code, open_for_both.tracking_code}
    assert codes(f"?pour={hugo.pk}&etat=en-cours") == {open_for_both.tracking_code}
    assert codes(f"?pour={hugo.pk}&etat=closes") == {removed_for_hugo.tracking_code}
    page = text(citizen_client.get(f"{URL}?pour={hugo.pk}&etat=closes"))
    assert "1 demande envoyée correspond au filtre" in page and "Voir toutes mes demandes" in page
    page = text(citizen_client.get(f"{URL}?pour={lea.pk}&etat=closes"))
    assert "Aucune demande envoyée ne correspond à ce filtre." in page


def test_bad_filters_get_a_clear_french_error(citizen, citizen_client, procedure, other_organisation):
    sent_request(procedure, citizen)
    stranger = make_citizen(other_organisation, email="voisin@example.org")
    theirs = member(stranger, "Zoé", "Voisin")
    for query in ("?etat=archivees", f"?pour={theirs.pk}", "?pour=abc"):
        page = text(citizen_client.get(URL + query))
        assert "Le formulaire contient une erreur" in page
        assert "Choisissez un état dans la liste." in page or "Choisissez une personne de votre foyer" in page
        assert "<tbody>" not in page


def test_only_my_requests_of_this_collectivite(organisation, other_organisation, citizen, citizen_client, service,
                                               procedure):
    mine = sent_request(procedure, citizen)
    neighbour = make_citizen(organisation, email="voisin@example.org")
    theirs = sent_request(procedure, neighbour)
    page = text(citizen_client.get(URL))
    assert mine.tracking_code in page and theirs.tracking_code not in page
    # Same person, same e-mail address, in Montclair: a separate account, separate requests.
    from tests.conftest import make_service

    montclair_citizen = make_citizen(other_organisation)
    montclair = make_procedure(other_organisation, make_service(other_organisation, "Urbanisme", "urbanisme"),
                               slug="montclair")
    far = sent_request(montclair, montclair_citizen)
    assert far.tracking_code not in text(citizen_client.get(URL))
    assert mine.tracking_code not in text(client_for(other_organisation, montclair_citizen).get(URL))


def _add_requests(procedure, citizen, agent, count):
    for index in range(count):
        item = sent_request(procedure, citizen, concerns="Léa Martin" if index % 2 else "")
        if index % 3 == 0:
            messaging.post_agent_message(item, agent, "Un message")
        if index % 4 == 0:
            engine.press(item, "instruire", agent)


@pytest.mark.parametrize("query", ["", "?etat=en-cours", "?pour=LEA&etat="])
def test_a_constant_number_of_queries_whatever_the_number_of_requests(citizen, citizen_client, agent, procedure,
                                                                       query):
    lea = member(citizen, "Léa")
    member(citizen, "Hugo")
    query = query.replace("LEA", str(lea.pk))
    _add_requests(procedure, citizen, agent, 2)
    start(citizen_client, procedure)
    with CaptureQueriesContext(connection) as few:
        assert citizen_client.get(URL + query).status_code == 200
    _add_requests(procedure, citizen, agent, 10)
    start(citizen_client, procedure)
    with CaptureQueriesContext(connection) as many:
        page = text(citizen_client.get(URL + query))
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"] for q in many.captured_queries]
    assert len(rows_of(page)) == (12 if "pour" not in query else 6)
    # The list is read on the citizen's rows only: the query filters on the citizen and sorts by date then id.
    listing = [q["sql"] for q in many.captured_queries if "ORDER BY" in q["sql"] and '"submitted_at" DESC' in q["sql"]]
    assert listing and all('"citizen_id" =' in sql for sql in listing)
    counts = [q["sql"] for q in many.captured_queries
              if "COUNT(" in q["sql"] and 'FROM "service_requests_servicerequest"' in q["sql"]]
    assert counts and all('"citizen_id" =' in sql and "last_service_message_at" not in sql for sql in counts)


def test_pagination_keeps_the_filters(citizen, citizen_client, agent, procedure):
    for _index in range(22):
        sent_request(procedure, citizen)
    page = text(citizen_client.get(URL + "?etat=en-cours"))
    assert len(rows_of(page)) == 20 and "Page 1 sur 2" in page
    assert "?etat=en-cours&amp;page=2" in citizen_client.get(URL + "?etat=en-cours").content.decode()
    second = text(citizen_client.get(URL + "?etat=en-cours&page=2"))
    assert len(rows_of(second)) == 2


@pytest.fixture
def _french_afterwards():
    """The language the requests activated stays active in this thread: back to French for the next tests."""
    yield
    from django.utils import translation

    translation.activate("fr")


@pytest.mark.usefixtures("_french_afterwards")
def test_my_requests_and_the_request_page_in_english(citizen, citizen_client, agent, procedure):
    item = sent_request(procedure, citizen, concerns="")
    messaging.post_agent_message(item, agent, "Bonjour")
    removed = sent_request(procedure, citizen)
    withdrawal.withdraw(removed, citizen)
    citizen_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = text(citizen_client.get(URL))
    assert "New message from the service" in page and "Withdrawn" in page and "Filter my requests" in page
    page = text(citizen_client.get(f"/demandes/{item.tracking_code}/"))
    assert "Write to the service" in page and "Withdraw my request" in page
    assert "Nouveau message" not in page and "Écrire au service" not in page
    assert "Request withdrawn" in text(citizen_client.get(f"/demandes/{removed.tracking_code}/"))
