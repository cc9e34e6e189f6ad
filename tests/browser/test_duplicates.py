"""Duplicates in the browser: the agent sees a likely duplicate on the request page, compares both requests,
keeps the older one and merges; links another request; reads the recurring problems; axe-core on every page."""

import pytest

from guichet.duplicates.models import RequestLink
from guichet.notifications.models import Notification
from guichet.service_requests.models import ServiceRequest
from tests.browser.conftest import assert_accessible, site_url
from tests.browser.test_agent_request_pages import sign_in
from tests.conftest import make_citizen
from tests.documents.builders import make_version
from tests.duplicates.conftest import FORM, LAT, LON, WORKFLOW, make_request, metres_north

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_merge_link_and_recurring_problems(live_server, page, organisation, service, agent, citizen):
    version = make_version(organisation, service, slug="voirie", title="Signaler un problème de voirie", form=FORM,
                           workflow=WORKFLOW)
    lea = make_citizen(organisation, email="lea@example.org", first_name="Léa", last_name="Durand")
    earlier = make_request(version, lea, days_ago=2, address="1 place de l'Église, 54470 Saint-Aubin",
                           district="Centre", lat=metres_north(35), lon=LON)
    mine = make_request(version, citizen, address="1 Pl. de l'Eglise, 54470 Saint-Aubin", district="Centre",
                        lat=LAT, lon=LON)
    unrelated = make_request(version, make_citizen(organisation, email="hugo@example.org"), district="Centre")
    sign_in(page, organisation, agent)
    page.set_default_timeout(30_000)  # a loaded CI machine
    page.set_default_navigation_timeout(30_000)

    page.goto(site_url(live_server, organisation, f"/agents/demandes/{mine.tracking_code}/"))
    panel = page.locator("section", has=page.get_by_role("heading", name="Doublons et demandes liées"))
    row = panel.get_by_role("row", name=earlier.tracking_code)
    assert "même adresse" in row.inner_text()
    assert_accessible(page)

    # Link the unrelated request by its tracking code, then merge the duplicate.
    panel.get_by_label("Numéro de suivi de la demande à lier").fill(unrelated.tracking_code.lower())
    panel.get_by_role("button", name="Lier", exact=True).last.click()
    assert f"Les demandes {mine.tracking_code} et {unrelated.tracking_code} sont liées." in page.locator("main").inner_text()
    assert RequestLink.objects.count() == 1

    panel = page.locator("section", has=page.get_by_role("heading", name="Doublons et demandes liées"))
    panel.get_by_role("link", name=f"Regrouper avec la demande {earlier.tracking_code}").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"Regrouper la demande {mine.tracking_code}")
    assert_accessible(page)
    page.get_by_role("button", name="Regrouper les deux demandes").click()  # no main chosen: error, accessibly
    assert_accessible(page)
    page.get_by_label(earlier.tracking_code, exact=False).check()
    page.get_by_label("Message à l'usager de la demande regroupée (facultatif)").fill("Votre signalement est déjà pris en charge.")
    page.get_by_role("button", name="Regrouper les deux demandes").click()
    assert earlier.tracking_code in page.get_by_role("heading", level=1).inner_text()
    assert "Demandes regroupées dans celle-ci" in page.locator("main").inner_text()
    assert_accessible(page)
    assert ServiceRequest.objects.get(pk=mine.pk).merged_into_id == earlier.pk
    assert Notification.objects.filter(recipient=citizen, key="request.merged").exists()

    make_request(version, None, contact_email="a@example.org", district="Centre")
    page.goto(site_url(live_server, organisation, "/agents/"))
    page.get_by_role("link", name="Problèmes récurrents (demandes qui reviennent au même endroit)").click()
    table = page.get_by_role("table")
    assert "Signaler un problème de voirie" in table.inner_text() and "Centre" in table.inner_text()
    assert_accessible(page)
    page.get_by_label("Nombre minimum de demandes").fill("1")
    page.get_by_role("button", name="Afficher").click()
    assert "Indiquez au moins 2 demandes." in page.locator("main").inner_text()
    assert_accessible(page)
