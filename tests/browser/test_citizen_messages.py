"""« Mes demandes », messages between the citizen and the service, and withdrawal, in the browser, each page
checked by axe-core (the citizen's pages need no JavaScript: plain forms and links)."""

import pytest

from guichet.service_requests import messaging
from guichet.service_requests.files import store_uploads
from guichet.service_requests.models import RequestEvent, ServiceRequest
from tests.browser.conftest import assert_accessible, site_url
from tests.conftest import client_for
from tests.service_requests.citizen_side import PNG, pdf, sent_request
from tests.service_requests.conftest import make_procedure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, organisation, user):
    client = client_for(organisation, user)
    page.context.add_cookies([{
        "name": "sessionid", "value": client.cookies["sessionid"].value,
        "domain": f"{organisation.slug}.localhost", "path": "/",
    }])


def test_citizen_and_agent_write_to_each_other_then_the_citizen_withdraws(live_server, page, organisation, service,
                                                                           citizen, agent, tmp_path):
    procedure = make_procedure(organisation, service)
    item = sent_request(procedure, citizen)
    ids, _errors = store_uploads(item, messaging.MESSAGE_FIELD_ID, [pdf("horaires.pdf")],
                                 messaging.MESSAGE_FILE_RULES, uploaded_by=agent, source="agent")
    messaging.post_agent_message(item, agent, "Pouvez-vous préciser la commune de naissance ?", ids)
    sign_in(page, organisation, citizen)

    page.goto(site_url(live_server, organisation, "/compte/demandes/"))
    row = page.get_by_role("row").filter(has_text=item.tracking_code)
    assert "Nouveau message du service" in row.inner_text()
    assert_accessible(page)
    page.get_by_label("État des demandes").select_option("closes")
    page.get_by_role("button", name="Filtrer").click()
    assert "Aucune demande envoyée ne correspond à ce filtre." in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Voir toutes mes demandes").click()
    page.get_by_role("link", name=item.version.title).click()
    main = page.locator("main").inner_text()
    assert "Message du service" in main and "Pouvez-vous préciser la commune" in main and "horaires.pdf" in main
    assert_accessible(page)

    # An empty message: the error is announced and tied to the field.
    page.get_by_role("button", name="Envoyer le message").click()
    assert "Écrivez un message ou joignez un fichier." in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    image = tmp_path / "acte.png"
    image.write_bytes(PNG)
    page.get_by_label("Votre message au service").fill("Née à Nancy.")
    page.get_by_label("Documents (facultatif)").set_input_files(str(image))
    page.get_by_role("button", name="Envoyer le message").click()
    assert "Votre message a été envoyé au service." in page.locator("main").inner_text()
    assert "Née à Nancy." in page.locator("main").inner_text()
    assert RequestEvent.objects.filter(request=item, kind="message_citizen", text="Née à Nancy.").count() == 1

    page.get_by_role("link", name="Retirer ma demande").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Retirer ma demande"
    assert_accessible(page)
    page.get_by_label("Motif (facultatif)").fill("Je l'ai obtenu ailleurs.")
    page.get_by_role("button", name="Confirmer le retrait").click()
    main = page.locator("main").inner_text()
    assert "Votre demande est retirée" in main and "Retirée" in main and "Écrire au service" in main
    assert page.get_by_role("button", name="Envoyer le message").count() == 0
    assert_accessible(page)
    assert ServiceRequest.objects.get(pk=item.pk).withdrawn_at is not None

    # The agent sees it withdrawn, with the messages and their files, and can no longer write.
    page.context.clear_cookies()
    sign_in(page, organisation, agent)
    page.goto(site_url(live_server, organisation, f"/agents/demandes/{item.tracking_code}/"))
    main = page.locator("main").inner_text()
    assert "Retirée par l'usager" in main and "Née à Nancy." in main and "acte.png" in main
    assert "L'usager a retiré cette demande : elle ne reçoit plus de message." in main
    assert_accessible(page)


def test_the_agent_writes_to_the_citizen(live_server, page, organisation, service, citizen, agent):
    procedure = make_procedure(organisation, service)
    item = sent_request(procedure, citizen)
    sign_in(page, organisation, agent)
    page.goto(site_url(live_server, organisation, f"/agents/demandes/{item.tracking_code}/"))
    assert_accessible(page)
    panel = page.locator("#message-usager")
    panel.get_by_role("button", name="Envoyer le message à l'usager").click()
    assert "Écrivez un message ou joignez un fichier." in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("Votre message à l'usager").fill("Votre acte est prêt.")
    page.get_by_role("button", name="Envoyer le message à l'usager").click()
    assert "Votre message a été envoyé à l'usager." in page.locator("main").inner_text()
    assert RequestEvent.objects.get(request=item, kind="message_agent").text == "Votre acte est prêt."
