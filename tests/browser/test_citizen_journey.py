"""A citizen signs up, confirms their address from the e-mail, and adds a child to their household."""

import re

import pytest
from django.core import mail

from guichet.accounts.models import User
from guichet.households.models import HouseholdMember
from tests.browser.conftest import assert_accessible, site_url


def field(page, label):
    """The form field whose label is exactly this text (mandatory fields add « (obligatoire) »)."""
    return page.get_by_label(re.compile("^" + re.escape(label) + r"( \(obligatoire\))?$"))


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_confirm_and_add_a_household_member(live_server, page, organisation):
    page.goto(site_url(live_server, organisation))
    page.get_by_role("navigation").get_by_role("link", name="Créer un compte").click()
    assert_accessible(page)

    # A first try with mistakes: the error summary lists them and nothing is created.
    field(page, "Prénom").fill("Inès")
    field(page, "Nom").fill("Garnier")
    field(page, "Adresse électronique").fill("ines.garnier@example")
    field(page, "Mot de passe").fill("Un-mot-de-passe-solide-7")
    field(page, "Confirmation du mot de passe").fill("Un-mot-de-passe-solide-7")
    field(page, "Téléphone").fill("12345")
    field(page, "J'accepte le traitement de mes données personnelles").check()
    page.get_by_role("button", name="Créer mon compte").click()
    summary = page.get_by_role("alert")
    assert "Le formulaire contient 2 erreurs" in summary.inner_text()
    assert "numéro de téléphone français valide" in summary.inner_text()
    assert_accessible(page)
    assert not User.objects.filter(email__startswith="ines.garnier").exists()

    field(page, "Adresse électronique").fill("ines.garnier@example.org")
    field(page, "Téléphone").fill("06 12 34 56 78")
    field(page, "Mot de passe").fill("Un-mot-de-passe-solide-7")
    field(page, "Confirmation du mot de passe").fill("Un-mot-de-passe-solide-7")
    field(page, "J'accepte le traitement de mes données personnelles").check()
    page.get_by_role("button", name="Créer mon compte").click()
    assert "Confirmez votre adresse électronique" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)
    citizen = User.objects.get(organisation=organisation, email="ines.garnier@example.org")
    assert not citizen.email_confirmed

    # The confirmation link of the e-mail signs the citizen in.
    (message,) = mail.outbox
    assert message.to == ["ines.garnier@example.org"]
    link = re.search(r"https?://\S+/compte/confirmer/\S+/", message.body).group(0)
    assert link.startswith(site_url(live_server, organisation, ""))
    page.goto(link)
    citizen.refresh_from_db()
    assert citizen.email_confirmed
    assert page.get_by_role("heading", level=1).inner_text() == "Mon compte"
    assert_accessible(page)

    page.get_by_role("navigation").get_by_role("link", name="Mon foyer").click()
    assert_accessible(page)
    page.get_by_role("link", name="Ajouter une personne").click()
    page.get_by_role("radio", name="Enfant").check()
    field(page, "Prénom").fill("Noé")
    field(page, "Nom").fill("Garnier")
    page.get_by_role("button", name="Enregistrer").click()
    assert "date de naissance" in page.get_by_role("alert").inner_text().lower()
    assert_accessible(page)
    assert not HouseholdMember.objects.exists()

    field(page, "Date de naissance").fill("2019-05-14")
    page.get_by_role("button", name="Enregistrer").click()
    assert "Noé Garnier" in page.get_by_role("main").inner_text()
    assert_accessible(page)
    member = HouseholdMember.objects.get()
    assert (member.citizen, member.organisation, member.relationship) == (citizen, organisation, "child")


def test_citizen_pages_work_on_a_phone_screen(live_server, browser, organisation):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="fr-FR")
    page = context.new_page()
    page.goto(site_url(live_server, organisation, "/compte/inscription/"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"la page déborde horizontalement ({width}px)"
    assert_accessible(page)
    context.close()
