"""Issue 6's journeys in a real browser: a phone call (the telephony webhook pops the caller on the agent's
screen, the agent finds the answer in the knowledge base, creates a request on the caller's behalf and logs the
call; the citizen's record shows both), and a scanned letter turned into a request whose text is searchable."""

import io
import re

import pytest
import requests
from PIL import Image, ImageDraw, ImageFont

from guichet.background.testing import run_ready_jobs
from guichet.contact_centre.services import generate_secret
from guichet.knowledge.models import Theme
from guichet.knowledge.services import write_sheet
from tests.browser.conftest import assert_accessible, site_url
from tests.browser.test_agent_request_pages import sign_in
from tests.conftest import host_of, make_citizen
from tests.search.conftest import FORM, address, submitted
from tests.service_requests.conftest import make_procedure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30_000


def test_a_phone_call_from_the_webhook_to_a_new_request(live_server, page, organisation, service, agent):
    page.set_default_timeout(TIMEOUT)
    agent.phone_extension = "204"
    agent.save(update_fields=["phone_extension"])
    procedure = make_procedure(organisation, service, slug="signalement", title="Signaler un problème de voirie",
                               who="citizen", form=FORM)
    caller = make_citizen(organisation, email="helene.lefevre@example.org", first_name="Hélène",
                          last_name="Lefèvre", phone="+33612345678")
    earlier = submitted(procedure, citizen=caller, lieu=address("12 rue des Lilas"), nature="nid",
                        description="Un nid-de-poule devant l'école.")
    theme = Theme.objects.create(organisation=organisation, name="Propreté", position=1)
    write_sheet(organisation, None, question="Comment faire enlever un graffiti ?",
                answer="<p>Les services techniques enlèvent les graffitis sous 10 jours, gratuitement.</p>",
                theme=theme, service=service, procedures=[procedure])
    _secret, clear = generate_secret(organisation)
    sign_in(page, organisation, agent)

    page.goto(site_url(live_server, organisation, "/agents/appels/"))
    assert "Aucun appel ne sonne pour vous" in page.locator("#ringing-calls").inner_text()
    assert_accessible(page)

    # The telephony system rings extension 204: the screen shows the caller and their open request by itself.
    answer = requests.post(
        f"{live_server.url}/api/telephonie/appels-entrants/", timeout=10,
        json={"call_id": "pbx-20261201-0001", "caller": "0612345678", "extension": "204"},
        headers={"Host": host_of(organisation), "Authorization": f"Bearer {clear}"},
    )
    assert answer.status_code == 202, answer.text
    ringing = page.locator("#ringing-calls")
    ringing.get_by_role("link", name="Hélène Lefèvre").wait_for()
    assert earlier.tracking_code in ringing.inner_text()
    assert "06 12 34 56 78" in ringing.inner_text()
    ringing.get_by_role("button", name="Prendre l'appel Hélène Lefèvre").click()

    # The call's page: the knowledge base answers the caller's question without leaving it.
    assert "Appel" in page.get_by_role("heading", level=1).inner_text()
    assert earlier.tracking_code in page.locator("main").inner_text()
    page.get_by_label("Rechercher une fiche").fill("graffiti")
    page.locator("form[data-inline-search='knowledge-results']").get_by_role("button", name="Rechercher").click()
    page.locator("#knowledge-results").get_by_text("Comment faire enlever un graffiti ?").wait_for()
    assert "/agents/appels/contacts/" in page.url  # the results came inline
    call_url = page.url
    assert_accessible(page)

    # A new request on the caller's behalf, by phone (the procedure is one a citizen does from their account).
    page.get_by_role("link", name="Créer une demande pour cet usager").click()
    page.get_by_label("Signaler un problème de voirie").check()
    assert page.get_by_label("Téléphone", exact=True).is_checked()
    page.get_by_role("button", name="Commencer la demande").click()
    page.get_by_label("Éclairage public en panne").check()
    page.get_by_label("Description").fill("Le lampadaire du 4 rue des Lilas clignote depuis lundi.")
    page.get_by_role("button", name="Suivant").click()
    page.get_by_role("button", name="Envoyer").click()
    assert page.get_by_role("heading", level=1).inner_text() == "La demande est envoyée"
    code = page.locator("p[role=status] strong").inner_text()
    new_request = caller.service_requests.get(tracking_code=code)
    assert new_request.channel == "phone" and new_request.entered_by_id == agent.pk and new_request.is_submitted

    # The agent logs the call: request created.
    page.goto(call_url)
    page.get_by_label("Motif").fill("Lampadaire qui clignote ; question sur les graffitis")
    page.get_by_label("Demande créée", exact=True).check()
    page.locator("#id_created_request").select_option(str(new_request.pk))
    page.get_by_role("button", name="Enregistrer").click()
    assert "Compte rendu" in page.locator("main").inner_text()

    # The citizen's record: one history with the call and the request made during it.
    page.goto(site_url(live_server, organisation, f"/agents/usagers/{caller.pk}/"))
    history = page.locator("main").inner_text()
    assert "Lampadaire qui clignote" in history
    assert code in history
    assert_accessible(page)


def letter_png(text):
    image = Image.new("L", (1700, 1100), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 42)
    for number, line in enumerate(text.split("\n")):
        draw.text((120, 120 + number * 80), line, fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(200, 200))
    return buffer.getvalue()


def test_a_scanned_letter_becomes_a_searchable_request(live_server, page, organisation, service, agent, tmp_path):
    page.set_default_timeout(TIMEOUT)
    make_procedure(organisation, service, slug="signalement", title="Signaler un problème de voirie",
                   who="anyone", form=FORM)
    scan = tmp_path / "courrier-dupont.png"
    scan.write_bytes(letter_png(
        "Madame, Monsieur,\nje vous signale un dépôt sauvage de matelas\nrue de l'Église, derrière la boulangerie."
        "\nJean Dupont"))
    sign_in(page, organisation, agent)

    page.goto(site_url(live_server, organisation, "/agents/courrier-entrant/numeriser/"))
    assert_accessible(page)
    page.get_by_label("Courriers numérisés").set_input_files([str(scan)])
    page.get_by_label("Expéditeur (facultatif)", exact=True).fill("Jean Dupont")
    page.get_by_role("button", name="Enregistrer les courriers").click()
    number = re.search(r"C-\d{4}-\d{6}", page.locator("main").inner_text()).group(0)
    assert run_ready_jobs() >= 1  # the worker's OCR job reads the scan and files the letter

    # The letter is found in the mail room by a word that only its scan holds.
    page.goto(site_url(live_server, organisation, "/agents/courrier-entrant/?q=matelas"))
    page.get_by_role("link", name=re.compile(number)).click()
    assert "matelas" in page.locator("main").inner_text()
    assert_accessible(page)

    # Qualified into a request: the writer becomes a minimal record (name and address), the scan is kept.
    create = page.get_by_role("group", name="Créer une demande")
    create.get_by_label("Démarche").select_option(label="Signaler un problème de voirie")
    for label, value in (("Prénom de l'expéditeur", "Jean"), ("Nom de l'expéditeur", "Dupont"),
                         ("Adresse (numéro et voie)", "3 rue de l'Église"), ("Code postal", "54470"),
                         ("Commune", "Saint-Aubin")):
        create.get_by_label(label, exact=True).fill(value)
    create.get_by_role("button", name="Créer la demande").click()
    page.get_by_label("Dépôt sauvage de déchets").check()
    assert "matelas" in page.get_by_label("Description").input_value()
    page.get_by_role("button", name="Suivant").click()
    page.get_by_role("button", name="Envoyer").click()
    code = page.locator("p[role=status] strong").inner_text()

    # The back office's search finds the request by a word of the letter.
    page.goto(site_url(live_server, organisation, "/agents/recherche/?q=matelas"))
    assert page.get_by_role("link", name=code).is_visible()
    page.get_by_role("link", name=code).click()
    # The request's page fully loaded (the click only waits for the navigation to start rendering).
    page.wait_for_load_state("load")
    page.locator("main").get_by_text("courrier-dupont.png").first.wait_for()
    text = page.locator("main").inner_text()
    assert "Courrier" in text and "courrier-dupont.png" in text


def test_citizens_read_the_faq(live_server, page, organisation, service):
    """The public FAQ (plain links and a GET form: no script): by theme, searched, a sheet with its procedure;
    private sheets never listed; axe-core on each page."""
    procedure = make_procedure(organisation, service, slug="signalement", title="Signaler un problème de voirie",
                               who="anyone", form=FORM)
    theme = Theme.objects.create(organisation=organisation, name="Propreté", position=1)
    write_sheet(organisation, None, question="Comment faire enlever un graffiti ?",
                answer="<p>Les services techniques enlèvent les graffitis <strong>gratuitement</strong>.</p>",
                theme=theme, service=service, procedures=[procedure], is_public=True)
    write_sheet(organisation, None, question="Consigne interne : graffitis sur les bâtiments classés",
                answer="<p>Appeler l'architecte des bâtiments de France.</p>", theme=theme, service=service)
    page.set_default_timeout(TIMEOUT)
    page.goto(site_url(live_server, organisation, "/"))
    page.get_by_role("link", name="Questions fréquentes").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Questions fréquentes"
    assert "Consigne interne" not in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_label("Rechercher une question").fill("graffitis")
    page.get_by_role("button", name="Rechercher").click()
    results = page.locator("main").inner_text()
    assert "Comment faire enlever un graffiti ?" in results and "Consigne interne" not in results
    assert_accessible(page)
    page.get_by_role("link", name="Comment faire enlever un graffiti ?").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Comment faire enlever un graffiti ?"
    assert page.get_by_role("link", name="Signaler un problème de voirie").is_visible()
    assert_accessible(page)
