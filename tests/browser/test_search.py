"""The agents' search in a real browser, without JavaScript help: the box of the navigation band, the results,
bad input explained next to the field, a tracking code typed loosely opening the request; axe-core on each page."""

import pytest

from tests.browser.conftest import assert_accessible, site_url
from tests.browser.test_agent_request_pages import sign_in
from tests.conftest import make_citizen
from tests.search.conftest import FORM, address, submitted
from tests.service_requests.conftest import make_procedure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_searches_requests(live_server, page, organisation, service, agent):
    procedure = make_procedure(organisation, service, slug="signalement", title="Signaler un problème de voirie",
                               who="anyone", form=FORM)
    lefevre = make_citizen(organisation, email="helene.lefevre@example.org", first_name="Hélène",
                           last_name="Lefèvre", phone="+33612345678")
    pothole = submitted(procedure, citizen=lefevre, lieu=address("12 rue des Lilas"),
                        description="Il faudrait réparer le trottoir devant l'école.")
    submitted(procedure, contact_name="Jean Bœuf", contact_email="jean.boeuf@example.net",
              description="Lampadaire éteint.")
    sign_in(page, organisation, agent)

    page.goto(site_url(live_server, organisation, "/agents/"))
    assert_accessible(page)
    search = page.get_by_role("search", name="Recherche des demandes")
    search.get_by_label("Rechercher une demande").fill("06 12 34 56 78")
    search.get_by_role("button", name="Rechercher").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Rechercher une demande"
    assert page.locator("table caption").inner_text() == "1 demande trouvée pour « 06 12 34 56 78 »"
    assert page.get_by_role("link", name=pothole.tracking_code).is_visible()
    assert_accessible(page)

    # Bad input: explained in French, tied to the field, the text kept.
    page.locator("main").get_by_label("Rechercher une demande").fill("&|!:*()'")
    page.locator("main").get_by_role("button", name="Rechercher").click()
    assert "Saisissez au moins un mot de deux lettres ou chiffres" in page.get_by_role("alert").inner_text()
    field = page.locator("#id_q")
    assert field.get_attribute("aria-invalid") == "true" and field.input_value() == "&|!:*()'"
    assert "id_q_error" in field.get_attribute("aria-describedby")
    assert_accessible(page)

    # Words, without accents: the requests' content, ranked; then nothing found.
    field.fill("reparations ecole")
    page.locator("main").get_by_role("button", name="Rechercher").click()
    assert page.locator("tbody tr").count() == 1
    field = page.locator("#id_q")
    field.fill("xylophone")
    page.locator("main").get_by_role("button", name="Rechercher").click()
    assert "Aucune demande que vous pouvez consulter ne correspond à « xylophone »." in page.locator("main").inner_text()
    assert_accessible(page)

    # A tracking code typed in lower case without dashes, from the agent's home: straight to the request.
    page.goto(site_url(live_server, organisation, "/agents/"))
    page.get_by_label("Rechercher une demande (numéro de suivi").fill(pothole.tracking_code.lower().replace("-", ""))
    page.locator("main").get_by_role("button", name="Rechercher").click()
    assert page.url.endswith(f"/agents/demandes/{pothole.tracking_code}/")
    assert pothole.tracking_code in page.get_by_role("heading", level=1).inner_text()
