"""Rating and reopening in the browser, with the keyboard and without JavaScript, and the elected members'
dashboard: every page checked by axe-core (WCAG 2.1 AA)."""

import pytest

from guichet.agents.models import Membership
from guichet.satisfaction.models import Rating, ReopenRequest
from tests.browser.conftest import assert_accessible, site_url
from tests.browser.test_agent_request_pages import sign_in
from tests.conftest import make_agent
from tests.documents.builders import make_request, make_version
from tests.satisfaction.conftest import WORKFLOW, close

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rate_ask_to_reopen_and_the_service_reopens(live_server, browser, organisation, service, agent, citizen):
    agent.is_verified = lambda: True
    version = make_version(organisation, service, slug="nid-de-poule", title="Signaler un nid-de-poule",
                           workflow=WORKFLOW)
    service_request = close(make_request(version, citizen=citizen, district="Centre"), agent)
    url = f"/demandes/{service_request.tracking_code}/"

    # The citizen, without JavaScript: a first try without a score, then the keyboard chooses one.
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    sign_in(page, organisation, citizen)
    page.goto(site_url(live_server, organisation, url))
    assert_accessible_without_js(page, browser, live_server, organisation, citizen, url)
    page.get_by_label("Commentaire").fill("Le trou est revenu.")
    page.get_by_role("button", name="Envoyer mon avis").click()
    assert "Choisissez une note de 1" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Commentaire").input_value() == "Le trou est revenu."
    page.get_by_role("radio", name="2 — Insatisfait").check()
    page.get_by_role("button", name="Envoyer mon avis").click()
    assert "Merci : votre avis est transmis au service." in page.locator("main").inner_text()
    assert Rating.objects.get().score == 2
    page.get_by_label("Pourquoi demandez-vous la réouverture ?").fill("La chaussée s'est de nouveau effondrée.")
    page.get_by_role("button", name="Demander la réouverture").click()
    assert "Votre demande de réouverture est transmise au service" in page.locator("main").inner_text()
    context.close()

    # The service decides on the agents' page.
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    sign_in(page, organisation, agent)
    page.goto(site_url(live_server, organisation, f"/agents/demandes/{service_request.tracking_code}/"))
    assert "La chaussée s'est de nouveau effondrée." in page.locator("#satisfaction").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Rouvrir la demande").click()  # no status chosen: refused, explained
    assert "Choisissez le statut où reprend le traitement" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("Statut où reprend le traitement").select_option("recue")
    page.get_by_role("button", name="Rouvrir la demande").click()
    assert "La demande est rouverte" in page.locator("main").inner_text()
    assert ReopenRequest.objects.get().state == "accepted"
    context.close()


def assert_accessible_without_js(page, browser, live_server, organisation, citizen, url):
    """axe-core needs JavaScript: the page the script-less browser shows is checked in a second, scripted one."""
    context = browser.new_context(locale="fr-FR")
    scripted = context.new_page()
    sign_in(scripted, organisation, citizen)
    scripted.goto(site_url(live_server, organisation, url))
    assert scripted.get_by_role("heading", name="Votre avis sur la réponse").is_visible()
    assert_accessible(scripted)
    context.close()


def test_the_dashboard_is_accessible(live_server, page, organisation, service, citizen, agent):
    from django.core.cache import cache

    cache.clear()  # figures kept by an earlier test of this process are not these
    elected = make_agent(organisation, email="elu@example.org", services=[service], role=Membership.Role.ELECTED)
    version = make_version(organisation, service, slug="nid-de-poule", title="Signaler un nid-de-poule",
                           workflow=WORKFLOW)
    agent.is_verified = lambda: True
    close(make_request(version, citizen=citizen, district="Centre"), agent)
    make_request(version, citizen=citizen, district="Les Vignes")
    sign_in(page, organisation, elected)
    page.goto(site_url(live_server, organisation, "/agents/"))
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Tableaux de bord").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Tableau de bord des demandes"
    assert page.get_by_role("table", name="Demandes reçues par mois").is_visible()
    assert "Les Vignes" in page.get_by_role("table", name="Demandes reçues sur la période, par quartier ou commune").inner_text()
    assert_accessible(page)
    page.get_by_label("Du", exact=True).fill("2026-05-01")
    page.get_by_label("Au", exact=True).fill("2026-04-01")
    page.get_by_role("button", name="Afficher").click()
    assert "La fin de la période doit suivre son début." in page.get_by_role("alert").inner_text()
    assert_accessible(page)
