"""Issue 5's « Done when », in a real browser through the real pages only: a request followed from submission
to its written answer and the citizen's rating.

A citizen sends a request; the agent (password + TOTP) finds it in their service's queue, asks for a document;
the citizen answers with a PDF; the agent closes it with a written answer picked from the service's answer
templates and edited; the citizen reads the answer and rates it; the agent sees the rating. Citizen pages are
checked by axe-core (WCAG 2.1 AA).
"""

import re

import pytest

from guichet.answers.models import AnswerTemplate
from guichet.notifications.models import Notification
from guichet.satisfaction.models import Rating
from guichet.service_requests.models import RequestEvent, ServiceRequest
from tests.browser.conftest import assert_accessible, site_url
from tests.browser.test_procedure_journey import PDF, agent_sign_in, citizen_sign_in, field, h1
from tests.conftest import make_agent, make_citizen, make_service
from tests.service_requests.conftest import make_procedure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def new_page(browser):
    page = browser.new_context(locale="fr-FR").new_page()
    page.set_default_timeout(30_000)  # the CI machine has two cores
    return page


def test_request_from_submission_to_written_answer_and_rating(browser, live_server, organisation, tmp_path):
    service = make_service(organisation)
    agent = make_agent(organisation, email="chloe.agent@example.org", services=[service])
    citizen = make_citizen(organisation)
    procedure = make_procedure(organisation, service)
    AnswerTemplate.objects.create(
        organisation=organisation, service=service, title="Acte envoyé",
        body="Bonjour {{ destinataire.prenom }},\n\nVotre acte (demande {{ demande.code }}) vous est envoyé par "
             "courrier.",
    )
    url = lambda path: site_url(live_server, organisation, path)  # noqa: E731

    # The citizen sends the request.
    citizen_page = new_page(browser)
    citizen_sign_in(citizen_page, url, citizen)
    citizen_page.goto(url(f"/demarches/{procedure.slug}/commencer/"))
    citizen_page.get_by_role("button", name=re.compile("Commencer")).click()
    field(citizen_page, "Nom").fill("Martin")
    field(citizen_page, "Prénom").fill("Camille")
    citizen_page.get_by_label("Acte de naissance").check()
    citizen_page.get_by_role("button", name=re.compile("Continuer|Suivant")).click()
    field(citizen_page, "Précisions").fill("Une copie intégrale, pour un dossier de mariage.")
    citizen_page.get_by_role("button", name=re.compile("Continuer|Suivant")).click()
    assert_accessible(citizen_page)
    citizen_page.get_by_role("button", name=re.compile("Envoyer")).click()
    service_request = ServiceRequest.objects.get(citizen=citizen, state="submitted")
    code = service_request.tracking_code
    assert code in citizen_page.locator("main").inner_text()

    # The agent finds it in the queue of their service and asks for a document.
    agent_page = new_page(browser)
    agent_sign_in(agent_page, url, agent)
    agent_page.goto(url("/agents/demandes/"))
    assert h1(agent_page) == "File des demandes"
    agent_page.get_by_role("link", name=code).click()
    assert code in h1(agent_page)
    ask = agent_page.locator("form", has=agent_page.get_by_role("button", name="Demander un complément"))
    ask.get_by_role("textbox").first.fill("Merci de joindre un justificatif de domicile de moins de trois mois.")
    ask.get_by_role("button", name="Demander un complément").click()
    assert "Demander un complément" in agent_page.locator("main").inner_text()
    assert ServiceRequest.objects.get(pk=service_request.pk).waiting_for_citizen

    # The citizen answers with the document.
    citizen_page.goto(url(f"/demandes/{code}/"))
    assert "justificatif de domicile" in citizen_page.locator("main").inner_text()
    assert_accessible(citizen_page)
    citizen_page.get_by_role("link", name="Répondre à la demande de complément").click()
    citizen_page.get_by_label("Votre réponse").fill("Voici ma facture d'électricité.")
    pdf = tmp_path / "justificatif.pdf"
    pdf.write_bytes(PDF)
    citizen_page.get_by_label(re.compile("^Documents")).set_input_files(str(pdf))
    assert_accessible(citizen_page)
    citizen_page.get_by_role("button", name=re.compile("Envoyer")).click()
    assert "Votre réponse a été transmise au service." in citizen_page.locator("main").inner_text()

    # The agent sees the answer and its file, then closes with a written answer from the service's template.
    agent_page.goto(url(f"/agents/demandes/{code}/"))
    main = agent_page.locator("main").inner_text()
    assert "Voici ma facture d'électricité." in main and "justificatif.pdf" in main
    agent_page.get_by_role("button", name="Instruire").click()
    accept = agent_page.locator("form", has=agent_page.get_by_role("button", name="Accepter"))
    accept.get_by_label("Modèle de réponse").select_option(label="Acte envoyé (État civil)")
    answer = accept.get_by_label("Réponse écrite à l'usager")
    assert f"Votre acte (demande {code}) vous est envoyé par courrier." in answer.input_value()
    answer.fill(answer.input_value() + " Il arrivera sous trois jours.")
    accept.get_by_role("button", name="Accepter").click()
    closed = ServiceRequest.objects.get(pk=service_request.pk)
    assert closed.status == "acceptee" and closed.closed_at and closed.answered_at
    assert RequestEvent.objects.filter(request=closed, kind="answer", text__contains="sous trois jours").exists()
    assert Notification.objects.filter(recipient=citizen, key="request.answer").exists()

    # The citizen reads the answer and rates it.
    citizen_page.goto(url(f"/demandes/{code}/"))
    main = citizen_page.locator("main").inner_text()
    assert "Acceptée" in main and "Il arrivera sous trois jours." in main
    assert_accessible(citizen_page)
    citizen_page.get_by_role("radio", name=re.compile("^5")).check()
    citizen_page.get_by_label("Commentaire").fill("Réponse rapide et claire, merci.")
    citizen_page.get_by_role("button", name="Envoyer mon avis").click()
    assert "Réponse rapide et claire, merci." in citizen_page.locator("main").inner_text()
    assert_accessible(citizen_page)
    rating = Rating.objects.get(request=closed)
    assert rating.score == 5

    # The agent sees the rating on the request.
    agent_page.goto(url(f"/agents/demandes/{code}/"))
    assert "Réponse rapide et claire, merci." in agent_page.locator("main").inner_text()
