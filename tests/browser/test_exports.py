"""An agent exports the queue from its page, follows the progress page (refreshed without JavaScript) and
downloads the file; every page of the way is checked by axe-core."""

import pytest

from guichet.background.testing import run_ready_jobs
from guichet.exports.models import Export
from tests.browser.conftest import assert_accessible, site_url
from tests.conftest import client_for
from tests.documents.builders import make_request, make_version
from tests.exports.readers import read_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, organisation, user):
    """Give the browser the session of a Django test client signed in as `user` (agents: TOTP verified)."""
    client = client_for(organisation, user)
    page.context.add_cookies([{
        "name": "sessionid", "value": client.cookies["sessionid"].value,
        "domain": f"{organisation.slug}.localhost", "path": "/",
    }])


def test_an_agent_exports_the_queue_and_downloads_it(live_server, browser, organisation, service, agent):
    version = make_version(organisation, service)
    received = [make_request(version, None, status="recue", contact_name=f"Usager {n}") for n in range(3)]
    make_request(version, None, status="acceptee", contact_name="Déjà acceptée")
    context = browser.new_context(locale="fr-FR", java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, organisation, agent)

    page.goto(site_url(live_server, organisation, "/agents/demandes/?status=recue"))
    page.get_by_role("button", name="Exporter en XLSX").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Export « File de demandes »"
    assert "attend son tour" in page.locator(".export-progress[role=status]").inner_text()
    export = Export.objects.get()
    assert export.params == "status=recue" and export.requested_by == agent

    run_ready_jobs()
    # The page refreshes itself (meta refresh, no JavaScript) and shows the file once it is ready.
    page.get_by_text("L'export est prêt : 3 lignes.").wait_for(timeout=8_000)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le fichier XLSX").click()
    download = download_info.value
    assert download.suggested_filename.endswith(f"-{export.pk}.xlsx")
    values, _cells = read_xlsx(open(download.path(), "rb").read())
    assert sorted(row[0] for row in values[1:]) == sorted(request.tracking_code for request in received)
    context.close()

    # The same pages with JavaScript, for axe-core.
    checked = browser.new_context(locale="fr-FR")
    page = checked.new_page()
    sign_in(page, organisation, agent)
    page.goto(site_url(live_server, organisation, "/agents/"))
    page.get_by_role("link", name="Mes exports (CSV, ODS, XLSX)").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Mes exports"
    assert_accessible(page)
    page.get_by_role("link", name="File de demandes", exact=True).click()
    assert "L'export est prêt" in page.locator(".export-progress[role=status]").inner_text()
    assert_accessible(page)
    checked.close()
