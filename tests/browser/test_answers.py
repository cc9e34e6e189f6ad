"""The written answer in the browser: a manager writes an answer template (an unknown variable is refused,
accessibly), an agent picks it on the request page — with JavaScript it fills the answer at once; without,
« Utiliser ce modèle » does — and closes the request with a button that carries the answer. axe-core on every
page."""

import pytest

from guichet.agents.models import Membership
from guichet.answers.models import AnswerTemplate
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.workflows import engine
from tests.answers.conftest import answering_definition
from tests.browser.conftest import assert_accessible, site_url
from tests.conftest import client_for, make_agent
from tests.workflows.conftest import make_request, make_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, organisation, user):
    client = client_for(organisation, user)
    page.context.add_cookies([{
        "name": "sessionid", "value": client.cookies["sessionid"].value,
        "domain": f"{organisation.slug}.localhost", "path": "/",
    }])


def test_templates_and_answer_in_the_browser(live_server, browser, page, organisation, service, agent, citizen):
    manager = make_agent(organisation, email="chef@example.org", services=[service], role=Membership.Role.MANAGER)
    version = make_version(organisation, service, answering_definition())
    service_request = make_request(version, citizen)
    engine.start(service_request, None)
    url = lambda path: site_url(live_server, organisation, path)  # noqa: E731

    # The manager writes a template; a typo in a variable is refused, tied to the field.
    sign_in(page, organisation, manager)
    page.goto(url("/agents/reponses/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Modèles de réponse"
    assert_accessible(page)
    page.get_by_role("link", name="Créer un modèle de réponse").click()
    page.get_by_label("Titre").fill("Acte prêt")
    page.get_by_label("Texte de la réponse").fill("Bonjour {{ destinataire.prenon }}, votre acte {{ demande.code }}.")
    page.get_by_role("button", name="Enregistrer").click()
    assert "Variable inconnue ligne 1 : « destinataire.prenon »" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_label("Texte de la réponse").fill("Bonjour {{ destinataire.prenom }}, votre acte {{ demande.code }} est prêt.")
    page.get_by_role("button", name="Enregistrer").click()
    assert "Le modèle « Acte prêt » est enregistré." in page.locator("main").inner_text()
    assert_accessible(page)
    template = AnswerTemplate.objects.get(title="Acte prêt")
    assert template.service == service

    # The agent: choosing the template in the closing button fills its answer (JavaScript).
    page.context.clear_cookies()
    sign_in(page, organisation, agent)
    page.goto(url(f"/agents/demandes/{service_request.tracking_code}/"))
    assert "Aucune réponse écrite n'a encore été envoyée" in page.locator("main").inner_text()
    assert_accessible(page)
    accept = page.locator("form", has=page.get_by_role("button", name="Accepter"))
    accept.get_by_label("Modèle de réponse").select_option(label="Acte prêt (État civil)")
    answer = accept.get_by_label("Réponse écrite à l'usager")
    expected = f"Bonjour Camille, votre acte {service_request.tracking_code} est prêt."
    assert answer.input_value() == expected
    answer.fill(expected + " Il vous attend à l'accueil.")
    accept.get_by_role("button", name="Accepter").click()
    assert "Action « Accepter » effectuée." in page.locator("main").inner_text()
    assert "Réponse écrite envoyée le" in page.locator("main").inner_text()
    assert_accessible(page)
    service_request.refresh_from_db()
    assert service_request.status == "acceptee" and service_request.answered_at
    assert RequestEvent.objects.get(request=service_request, kind="answer").text == (
        expected + " Il vous attend à l'accueil.")


def test_answer_panel_without_javascript(live_server, browser, organisation, service, agent, citizen):
    version = make_version(organisation, service, answering_definition())
    service_request = make_request(version, citizen)
    engine.start(service_request, None)
    AnswerTemplate.objects.create(organisation=organisation, service=None, title="Commun",
                                  body="Votre demande {{ demande.code }} est traitée.")
    # (axe-core needs JavaScript: the panel's accessibility is checked in the test above.)
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, organisation, agent)
    page.goto(site_url(live_server, organisation, f"/agents/demandes/{service_request.tracking_code}/"))
    panel = page.locator("section#reponse")
    panel.get_by_label("Modèle de réponse").select_option(label="Commun (tous services)")
    panel.get_by_role("button", name="Utiliser ce modèle").click()
    panel = page.locator("section#reponse")
    assert panel.get_by_label("Votre réponse à l'usager").input_value() == (
        f"Votre demande {service_request.tracking_code} est traitée.")
    panel.get_by_role("button", name="Envoyer la réponse").click()
    assert "La réponse écrite est envoyée à l'usager." in page.locator("main").inner_text()
    assert ServiceRequest.objects.get(pk=service_request.pk).answered_at is not None
    context.close()
