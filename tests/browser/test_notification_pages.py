"""The notification pages in a real browser (chromium), checked by axe-core, used without JavaScript
of ours: « Mes notifications », the template editor (errors, preview) and the delivery log."""

import pytest

from guichet.notifications.models import MessageTemplate, Notification
from guichet.notifications.services import claim, notify, record_failed
from tests.browser.conftest import assert_accessible, site_url
from tests.conftest import client_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, organisation, user):
    """Give the browser the session of a Django test client signed in as `user` (agents: TOTP verified)."""
    client = client_for(organisation, user)
    page.context.add_cookies([{
        "name": "sessionid", "value": client.cookies["sessionid"].value,
        "domain": f"{organisation.slug}.localhost", "path": "/",
    }])


def test_my_notifications(live_server, page, organisation, citizen):
    notify(citizen, "message.free", {"objet": "Votre dossier", "message": "Il est complet."}, link="/compte/")
    sign_in(page, organisation, citizen)
    page.goto(site_url(live_server, organisation, "/compte/"))
    page.get_by_role("navigation").get_by_role("link", name="Mes notifications (1 non lue)").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Mes notifications"
    assert_accessible(page)
    page.get_by_role("link", name="Votre dossier (non lue)").click()
    assert "Il est complet." in page.locator("main").inner_text()
    assert_accessible(page)
    assert Notification.objects.get().read_at is not None


def test_template_editor_errors_and_preview(live_server, page, organisation, org_admin):
    sign_in(page, organisation, org_admin)
    page.goto(site_url(live_server, organisation, "/agents/admin/messages/"))
    assert_accessible(page)
    page.get_by_role("link", name="Message d'un service").click()
    assert_accessible(page)
    page.get_by_label("Objet", exact=False).first.fill("Bonjour {{ inconnu }}")
    page.get_by_role("button", name="Enregistrer").click()
    assert "Variable inconnue" in page.locator("#error-summary").inner_text()
    assert_accessible(page)
    assert not MessageTemplate.objects.exists()
    page.get_by_label("Objet", exact=False).first.fill("Votre dossier : {{ objet }}")
    page.get_by_role("button", name="Aperçu").click()
    preview = page.locator("#apercu")
    assert "Votre dossier : Votre dossier" in preview.inner_text()
    assert_accessible(page)
    assert not MessageTemplate.objects.exists()
    page.get_by_role("button", name="Enregistrer").click()
    assert MessageTemplate.objects.get().subject == "Votre dossier : {{ objet }}"


def test_delivery_log(live_server, page, organisation, org_admin, citizen):
    delivery = notify(citizen, "notifications.test").deliveries.get()
    taken = claim(delivery.pk)
    taken.attempts = 1
    record_failed(taken, "550 boîte inconnue")
    sign_in(page, organisation, org_admin)
    page.goto(site_url(live_server, organisation, "/agents/"))
    page.get_by_role("navigation").get_by_role("link", name="Envois").click()
    assert_accessible(page)
    page.get_by_label("État").select_option("failed")
    page.get_by_role("button", name="Filtrer").click()
    assert "status=failed" in page.url
    assert_accessible(page)
    page.get_by_role("link", name="Message d'essai de Saint-Aubin").click()
    assert_accessible(page)
    page.get_by_role("button", name="Relancer").click()
    assert "est relancé" in page.locator("main").inner_text()
    delivery.refresh_from_db()
    assert delivery.status == "queued"
