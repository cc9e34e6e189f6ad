"""The agents' queue in a real browser, without JavaScript help: filter, save the view, tick rows and assign them
in bulk, change a request's priority from its page; axe-core on each page and after each error."""

import pytest

from guichet.service_requests.models import RequestEvent, ServiceRequest
from tests.browser.conftest import assert_accessible, site_url
from tests.browser.test_agent_request_pages import sign_in
from tests.queues.conftest import WORKFLOW, days, new_request
from tests.workflows.conftest import make_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_works_through_the_queue(live_server, page, organisation, service, agent, citizen):
    import copy

    from tests.conftest import make_agent

    colleague = make_agent(organisation, email="collegue@example.org", first_name="Claude", last_name="Collègue",
                           services=[service])
    version = make_version(organisation, service, definition=copy.deepcopy(WORKFLOW), slug="etat-civil")
    late = [new_request(version, citizen, deadline=days(-n), district="Centre") for n in (1, 2)]
    new_request(version, citizen, deadline=days(10), district="Les Hauts")
    sign_in(page, organisation, agent)

    page.goto(site_url(live_server, organisation, "/agents/demandes/"))
    assert page.get_by_role("heading", level=1).inner_text() == "File des demandes"
    assert page.locator("table caption").inner_text().startswith("3 demandes")
    assert_accessible(page)

    # Filter on the overdue requests, then a wrong date: the error is tied to its field.
    page.get_by_label("Délai").select_option("overdue")
    page.get_by_role("button", name="Filtrer", exact=True).click()
    assert page.locator("table caption").inner_text().startswith("2 demandes")
    assert page.locator("tbody").get_by_text("En retard").count() == 2
    page.get_by_label("Envoyée jusqu'au").fill("2020-01-01")
    page.get_by_label("Envoyée à partir du").fill("2021-01-01")
    page.get_by_role("button", name="Filtrer", exact=True).click()
    assert "Cette date doit être postérieure" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Effacer les filtres").click()
    page.get_by_label("Délai").select_option("overdue")
    page.get_by_role("button", name="Filtrer", exact=True).click()

    # Save these filters as a view, find it listed.
    page.get_by_label("Nom de la vue").fill("Mes retards")
    page.get_by_role("button", name="Enregistrer la vue").click()
    assert "La vue « Mes retards » est enregistrée." in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Mes retards").get_attribute("aria-current") == "true"
    assert_accessible(page)

    # Bulk action without choosing the colleague: explained, ticks kept; then done.
    for item in late:
        page.get_by_label(f"Cocher la demande {item.tracking_code}").check()
    page.get_by_label("Action sur les demandes cochées").select_option("assign")
    page.get_by_role("button", name="Appliquer aux demandes cochées").click()
    assert "Choisissez le collègue à qui attribuer les demandes." in page.get_by_role("alert").inner_text()
    assert page.get_by_label(f"Cocher la demande {late[0].tracking_code}").is_checked()
    assert_accessible(page)
    page.get_by_label("Action sur les demandes cochées").select_option("assign")
    page.get_by_label("Collègue", exact=True).select_option(str(colleague.pk))
    page.get_by_role("button", name="Appliquer aux demandes cochées").click()
    assert "2 demande(s) traitée(s)." in page.locator("main").inner_text()
    assert set(ServiceRequest.objects.filter(pk__in=[item.pk for item in late]).values_list(
        "assigned_to", flat=True)) == {colleague.pk}

    # The request's page: take it back and raise its priority.
    page.get_by_role("link", name=late[0].tracking_code).click()
    assert_accessible(page)
    page.get_by_role("button", name="M'attribuer la demande").click()
    assert "La demande est attribuée à Dominique Agent." in page.locator("main").inner_text()
    page.get_by_role("combobox", name="Priorité (obligatoire)").select_option("4")
    page.get_by_role("button", name="Changer la priorité").click()
    assert "La priorité est maintenant « Urgente »." in page.locator("main").inner_text()
    assert_accessible(page)
    late[0].refresh_from_db()
    assert (late[0].assigned_to, late[0].priority) == (agent, 4)
    assert RequestEvent.objects.filter(request=late[0], kind=RequestEvent.Kind.PRIORITY_CHANGED).exists()
