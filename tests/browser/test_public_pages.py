"""The public pages are accessible and carry each collectivité's branding."""

import pytest

from tests.browser.conftest import assert_accessible, site_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_platform_and_collectivite_home_pages(live_server, page, organisation, other_organisation):
    port = live_server.url.rsplit(":", 1)[1]
    page.goto(f"http://localhost:{port}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Guichet")
    assert_accessible(page)

    page.get_by_role("link", name="Saint-Aubin").click()
    page.wait_for_url(site_url(live_server, organisation))
    assert "Bienvenue sur le guichet de Saint-Aubin" in page.get_by_role("heading", level=1).inner_text()
    colour = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--primary').trim()")
    assert colour == organisation.primary_colour
    assert_accessible(page)

    page.goto(site_url(live_server, organisation, "/mentions-legales/"))
    assert_accessible(page)
