"""Issue 4's « Done when », in a real browser and through the real pages only.

An organisation administrator builds a three-status workflow in the workflow editor, then a new procedure with a
conditional page and a file field in the form builder, and publishes it; a citizen finds it in the catalogue,
fills it in (page 2 shows because they answer « Oui »), uploads a PDF, sends it and gets a tracking code; an agent
signed in with password + TOTP moves the request through the workflow; after each step the citizen sees the new
visible status in « Mes demandes » and on the request page. Every citizen page is checked by axe-core.
"""

import re

import pytest
from django_otp.oath import totp

from guichet.procedures.models import Procedure
from guichet.service_requests.models import Attachment, ServiceRequest
from guichet.workflows.models import Workflow
from tests.browser.conftest import assert_accessible, site_url
from tests.conftest import PASSWORD, make_agent, make_citizen, make_service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A small but well-formed PDF: its type is detected from these bytes, not from the file name.
PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \n"
    b"trailer << /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n"
)
TITLE = "Demande de composteur"


def field(page, label):
    """The form field whose label is exactly this text (mandatory fields add « (obligatoire) »)."""
    return page.get_by_label(re.compile("^" + re.escape(label) + r"( \(obligatoire\))?$"))


def h1(page):
    return page.get_by_role("heading", level=1).inner_text()


def new_page(browser):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def agent_sign_in(page, url, user):
    """Password, then the 6-digit code of the agent's authenticator (computed from their TOTP device)."""
    page.goto(url("/agents/connexion/"))
    field(page, "Adresse électronique").fill(user.email)
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    assert h1(page) == "Code de connexion"
    device = user.totpdevice_set.get(confirmed=True)
    field(page, "Code à 6 chiffres").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Se connecter").click()
    assert "/connexion/" not in page.url, page.locator("main").inner_text()


def citizen_sign_in(page, url, user):
    page.goto(url("/compte/connexion/"))
    field(page, "Adresse électronique").fill(user.email)
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    assert "/connexion/" not in page.url, page.locator("main").inner_text()


def success(page):
    """The text of the page's messages (success, errors) — so that a refused change fails loudly."""
    return page.locator("main").inner_text()


# --- the administrator's part ------------------------------------------------------------------------------------


def build_workflow(page, url):
    """« Reçue » —Prendre en charge→ « En cours » —Terminer→ « Terminée » (final), all visible."""
    page.goto(url("/agents/admin/circuits/"))
    page.get_by_role("link", name="Nouveau circuit").click()
    field(page, "Nom du circuit").fill("Prise en charge simple")
    page.get_by_role("button", name="Créer le circuit").click()
    assert h1(page) == "Circuit « Prise en charge simple »"
    edit_url = page.url

    # The two new statuses (a new circuit starts with « Reçue », « Acceptée », « Refusée »).
    field(page, "Libellé").fill("En cours")
    assert field(page, "Visible par l'usager").is_checked()
    page.get_by_role("button", name="Ajouter le statut").click()
    assert "Statut « En cours » ajouté." in success(page)
    field(page, "Libellé").fill("Terminée")
    field(page, "Statut final (la demande est close)").check()
    page.get_by_role("button", name="Ajouter le statut").click()
    assert "Statut « Terminée » ajouté." in success(page)

    # « Reçue »: the starting buttons give way to « Prendre en charge ».
    page.get_by_role("table").get_by_role("link", name="Reçue").click()
    assert h1(page) == "Statut « Reçue »"
    assert field(page, "Statut initial (celui des demandes reçues)").is_checked()
    for label in ("Accepter", "Refuser"):
        page.get_by_role("button", name=f"Supprimer {label}").click()
        assert "Bouton supprimé." in success(page)
    add_button(page, "Prendre en charge", "En cours", "en-cours")

    page.get_by_role("link", name="Statut « Reçue »").click()
    page.get_by_role("link", name="Circuit « Prise en charge simple »").click()
    page.get_by_role("table").get_by_role("link", name="En cours").click()
    assert h1(page) == "Statut « En cours »"
    add_button(page, "Terminer", "Terminée", "terminee")

    # The starting final statuses are no longer reachable: removed.
    for label in ("Acceptée", "Refusée"):
        page.goto(edit_url)
        page.get_by_role("table").get_by_role("link", name=label).click()
        page.get_by_role("button", name=f"Supprimer le statut « {label} »").click()
        assert "Statut supprimé." in success(page)

    page.get_by_role("button", name="Valider").click()
    assert "Ce circuit est valide" in success(page)
    statuses = page.get_by_role("table", name="Statuts du circuit, dans l'ordre")
    assert [row.inner_text() for row in statuses.locator("tbody th").all()] == ["Reçue", "En cours", "Terminée"]


def add_button(page, label, target, target_id):
    """On a status's page: a button for the service's agents whose only action goes to `target`."""
    field(page, "Libellé du bouton").fill(label)
    page.get_by_role("checkbox", name="Agents du service").check()
    page.get_by_role("button", name="Ajouter le bouton").click()
    assert h1(page) == f"Bouton « {label} »"
    page.get_by_role("link", name="Ajouter une action").click()
    field(page, "Action").select_option(label="Changer de statut")
    field(page, "Statut (changer de statut)").select_option(label=target)
    page.get_by_role("button", name="Ajouter l'action").click()
    assert f"Action ajoutée : Aller au statut « {target_id} »" in success(page), success(page)
    assert h1(page) == f"Bouton « {label} »"


def build_procedure(page, url, service_name):
    page.goto(url("/agents/admin/demarches/"))
    page.get_by_role("link", name="Créer une démarche").click()
    field(page, "Titre").fill(TITLE)
    field(page, "Identifiant").fill("composteur")
    field(page, "Thème").select_option(label="Environnement")
    field(page, "Description courte").fill("Recevoir un composteur de jardin prêté par la commune.")
    field(page, "Pièces à fournir").fill("Justificatif de domicile de moins de trois mois")
    field(page, "Qui peut faire la demande").select_option(label="Les usagers connectés à leur compte")
    field(page, "Service responsable").select_option(label=service_name)
    field(page, "Délai de traitement").fill("15")
    field(page, "Unité du délai").select_option(label="jours ouvrés")
    field(page, "Mots-clés").fill("compost, déchets, jardin")
    field(page, "Circuit de traitement").select_option(label="Prise en charge simple")
    page.get_by_role("button", name="Créer la démarche").click()
    assert h1(page) == f"Formulaire de la démarche {TITLE}", success(page)

    # Page 1 (« Votre demande », made with the procedure): a yes/no radio choice and a short text.
    add_field(page, "Votre demande", "Choix unique", {
        "Identifiant (facultatif)": "justificatif",
        "Libellé": "Avez-vous un justificatif de domicile ?",
        "Choix proposés": "oui|Oui\nnon|Non",
    }, required=True, selects={"Présentation": "Boutons radio"})
    add_field(page, "Votre demande", "Texte court", {
        "Identifiant (facultatif)": "adresse",
        "Libellé": "Adresse de livraison",
        "Longueur maximale (caractères)": "200",
    }, required=True)

    # Page 2, shown only when the answer is « Oui ».
    page.get_by_role("link", name="Ajouter une page").click()
    field(page, "Titre de la page").fill("Justificatif")
    field(page, "Identifiant (facultatif)").fill("piece")
    field(page, "Condition 1 : champ").select_option(label="Avez-vous un justificatif de domicile ? (justificatif)")
    field(page, "Condition 1 : opérateur").select_option(label="est égal à")
    field(page, "Condition 1 : valeur").fill("oui")
    page.get_by_role("button", name="Enregistrer").click()
    assert "La page « Justificatif » est ajoutée." in success(page), success(page)
    assert "affichée seulement si « Avez-vous un justificatif de domicile ? » est égal à « oui »" in success(page)

    add_field(page, "Justificatif", "Pièce jointe", {
        "Identifiant (facultatif)": "justificatif_domicile",
        "Libellé": "Justificatif de domicile",
        "Taille maximale d'un fichier (Mo)": "2",
    }, required=True, uncheck=["Image JPEG", "Image PNG"])

    # Publication.
    page.get_by_role("navigation", name="Pages de la démarche").get_by_role("link", name="Publier").click()
    assert "version 1" in success(page), success(page)
    page.get_by_role("main").get_by_role("button", name="Publier").click()
    assert "La démarche est publiée (version 1)." in success(page), success(page)


def add_field(page, page_title, kind, texts, *, required=False, selects=None, uncheck=()):
    page.get_by_label(f"Type du champ à ajouter à la page « {page_title} »").select_option(label=kind)
    page.get_by_role("region", name=re.compile(re.escape(page_title) + "$")).get_by_role(
        "button", name="Ajouter un champ").click()
    assert h1(page) == f"Ajouter un champ : {kind}"
    for label, value in texts.items():
        field(page, label).fill(value)
    for label, option in (selects or {}).items():
        field(page, label).select_option(label=option)
    for label in uncheck:
        page.get_by_role("checkbox", name=label).uncheck()
    if required:
        field(page, "Réponse obligatoire").check()
    page.get_by_role("button", name="Enregistrer").click()
    assert f"Le champ « {texts['Libellé']} » est ajouté." in success(page), success(page)


# --- the citizen's checks ------------------------------------------------------------------------------------------


def citizen_sees_status(page, url, code, label):
    page.goto(url("/compte/demandes/"))
    row = page.get_by_role("row").filter(has_text=code)
    # Cells: tracking code, whom it concerns, status (then « Close » once final), deadline, last update.
    assert row.get_by_role("cell").nth(2).inner_text().startswith(label), row.inner_text()
    assert_accessible(page)
    row.get_by_role("link", name=TITLE).click()
    assert h1(page) == TITLE
    assert page.locator("dt:has-text('Statut') + dd").inner_text().startswith(label)
    assert_accessible(page)


def test_a_procedure_built_in_the_browser_is_submitted_and_processed(live_server, browser, organisation, tmp_path):
    url = lambda path: site_url(live_server, organisation, path)  # noqa: E731
    service = make_service(organisation, "Environnement et propreté", "environnement")
    org_admin = make_agent(organisation, email="admin@example.org", is_org_admin=True)
    agent = make_agent(organisation, email="agent.env@example.org", services=[service])
    citizen = make_citizen(organisation)

    # 1–2. The administrator builds the workflow and the procedure, and publishes it.
    admin = new_page(browser)
    agent_sign_in(admin, url, org_admin)
    build_workflow(admin, url)
    build_procedure(admin, url, service.name)
    admin.context.close()
    procedure = Procedure.objects.get(organisation=organisation, slug="composteur")
    assert procedure.state == Procedure.State.PUBLISHED
    workflow = Workflow.objects.get(organisation=organisation, name="Prise en charge simple")
    assert procedure.workflow == workflow
    assert workflow.definition["initial"] == "recue"
    assert [(status["label"], status["visible"], status["final"], [b["label"] for b in status["buttons"]])
            for status in workflow.definition["statuses"]] == [
        ("Reçue", True, False, ["Prendre en charge"]),
        ("En cours", True, False, ["Terminer"]),
        ("Terminée", True, True, []),
    ]
    assert procedure.current_version.workflow == workflow.definition
    assert procedure.current_version.form["pages"][1]["condition"] == {
        "field": "justificatif", "op": "eq", "value": "oui"}

    # 3. The citizen finds the procedure in the catalogue and fills it in.
    page = new_page(browser)
    citizen_sign_in(page, url, citizen)
    page.goto(url("/demarches/"))
    assert h1(page) == "Démarches en ligne"
    assert_accessible(page)
    field(page, "Rechercher une démarche").fill("compost")
    page.get_by_role("button", name="Rechercher").click()
    assert "1 démarche trouvée" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name=TITLE).click()
    assert h1(page) == TITLE
    assert "15 jours ouvrés" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name=f"Commencer — {TITLE}").click()
    assert_accessible(page)
    page.get_by_role("button", name="Commencer la démarche").click()

    assert h1(page) == "Votre demande"
    assert "étape 1 sur" in page.locator("main").inner_text()
    assert_accessible(page)
    # « Non »: the conditional page is skipped, straight to the summary.
    page.get_by_role("radio", name="Non").check()
    field(page, "Adresse de livraison").fill("12 rue des Lilas, 54470 Saint-Aubin")
    page.get_by_role("button", name="Suivant").click()
    assert h1(page) == "Vérifiez votre demande avant de l'envoyer", page.locator("main").inner_text()
    assert not page.get_by_role("heading", name="Justificatif").count()
    assert_accessible(page)
    page.get_by_role("link", name="Modifier « Votre demande »").click()
    assert page.get_by_role("radio", name="Non").is_checked()
    page.get_by_role("radio", name="Oui").check()
    page.get_by_role("button", name="Suivant").click()

    assert h1(page) == "Justificatif"
    assert_accessible(page)
    pdf = tmp_path / "justificatif-domicile.pdf"
    pdf.write_bytes(PDF)
    field(page, "Justificatif de domicile").set_input_files(str(pdf))
    page.get_by_role("button", name="Suivant").click()

    assert h1(page) == "Vérifiez votre demande avant de l'envoyer", page.locator("main").inner_text()
    summary = page.locator("main").inner_text()
    for text in ("Avez-vous un justificatif de domicile ?", "Oui", "12 rue des Lilas", "justificatif-domicile.pdf"):
        assert text in summary
    assert_accessible(page)
    page.get_by_role("button", name="Envoyer").click()

    assert h1(page) == "Votre demande est envoyée"
    receipt = page.get_by_role("main").inner_text()
    code = re.search(r"numéro de suivi est (RQ-[0-9A-Z]{4}-[0-9A-Z]{4})", receipt).group(1)
    for text in ("Accusé de réception", "Service chargé de la demande", service.name, "15 jours ouvrés, soit au plus"):
        assert text in receipt, receipt
    assert_accessible(page)
    request = ServiceRequest.objects.get(tracking_code=code)
    assert (request.state, request.citizen, request.service, request.status) == (
        ServiceRequest.State.SUBMITTED, citizen, service, "recue")
    assert request.data["justificatif"] == "oui"
    attachment = Attachment.objects.get(request=request)
    assert (attachment.original_name, attachment.content_type) == ("justificatif-domicile.pdf", "application/pdf")
    assert request.data["justificatif_domicile"] == [attachment.pk]
    citizen_sees_status(page, url, code, "Reçue")

    # 4–5. The agent moves the request through the workflow; the citizen sees each status.
    desk = new_page(browser)
    agent_sign_in(desk, url, agent)
    desk.goto(url("/agents/demandes/"))
    desk.get_by_role("link", name=code).click()
    assert code in h1(desk)
    assert "justificatif-domicile.pdf" in desk.locator("main").inner_text()
    for button, label in (("Prendre en charge", "En cours"), ("Terminer", "Terminée")):
        if button == "Terminer":  # « Terminée » is final: the button carries the written answer to the citizen
            field(desk, "Réponse écrite à l'usager").fill("Votre composteur vous sera livré mardi.")
        desk.get_by_role("button", name=button).click()
        assert desk.locator("dt:has-text('Statut') + dd").inner_text().startswith(label), desk.url
        citizen_sees_status(page, url, code, label)
    assert not desk.get_by_role("button", name="Terminer").count()
    request.refresh_from_db()
    assert request.status == "terminee" and request.closed_at is not None and request.answered_at is not None
    assert "Votre composteur vous sera livré mardi." in page.locator("main").inner_text()
    desk.context.close()
    page.context.close()
