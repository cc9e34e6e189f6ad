"""The agents' request pages (list, request, a button's error) and the citizen's document space, checked by axe-core."""

import pytest

from guichet.service_requests.services import add_event
from tests.browser.conftest import assert_accessible, site_url
from tests.conftest import client_for
from tests.documents.builders import kept_document, request_with_attachment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, organisation, user):
    """Give the browser the session of a Django test client signed in as `user` (agents: TOTP verified)."""
    client = client_for(organisation, user)
    page.context.add_cookies([{
        "name": "sessionid", "value": client.cookies["sessionid"].value,
        "domain": f"{organisation.slug}.localhost", "path": "/",
    }])


def test_agent_request_pages_and_documents(live_server, page, organisation, service, agent, citizen):
    service_request, _attachment = request_with_attachment(organisation, service, citizen)
    add_event(service_request, "note", actor=agent, text="Une note")
    kept_document(organisation, service, citizen, agent)
    sign_in(page, organisation, agent)

    page.goto(site_url(live_server, organisation, "/agents/demandes/"))
    assert page.get_by_role("heading", level=1).inner_text() == "File des demandes"
    assert_accessible(page)

    page.get_by_role("link", name=service_request.tracking_code).click()
    assert service_request.tracking_code in page.get_by_role("heading", level=1).inner_text()
    assert "justificatif.pdf" in page.locator("main").inner_text()
    assert_accessible(page)

    # The request for more information needs its message (blanks are not one): the error is shown, accessibly.
    page.get_by_label("Ce que vous demandez à l'usager").fill("   ")
    page.get_by_role("button", name="Demander un complément").click()
    assert "Écrivez ce texte avant de valider." in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    service_request.refresh_from_db()
    assert not service_request.waiting_for_citizen

    page.context.clear_cookies()
    sign_in(page, organisation, citizen)
    page.goto(site_url(live_server, organisation, "/compte/documents/"))
    assert "justificatif" in page.locator("main").inner_text().lower()
    assert_accessible(page)
