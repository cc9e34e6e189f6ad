"""Agents' pages: list by theme with the « À relire » flag and filter, search (full page and the call screen's
fragment), sheet detail, writing (the one rule: own services, administrators any), themes (administrators),
French errors that lose nothing, 404 for other collectivités, 403 for citizens, bounded queries."""

import datetime
import html

from django.utils import timezone

from guichet.knowledge.models import Sheet, Theme
from tests.conftest import client_for, make_agent, make_service
from tests.procedures.conftest import make_procedure

from .conftest import make_sheet, make_theme

BASE = "/agents/connaissances/"


def text(response):
    return html.unescape(response.content.decode())


def sheet_data(theme, service, **changes):
    data = {"question": "Comment obtenir un acte de décès ?", "answer": "Au guichet de l'état civil.\n\n- gratuit",
            "theme": theme.pk, "service": service.pk, "review_on": "2030-06-30"}
    data.update(changes)
    return data


def test_citizens_and_anonymous_visitors_are_kept_out(citizen_client, anonymous_client, sheet):
    for url in (BASE, f"{BASE}recherche/?q=acte", f"{BASE}{sheet.pk}/", f"{BASE}nouvelle/", f"{BASE}themes/"):
        assert citizen_client.get(url).status_code == 403
        assert anonymous_client.get(url).status_code == 302


def test_list_by_theme_with_review_flag_and_filter(organisation, theme, roads_theme, service, roads, agent_client):
    today = timezone.localdate()
    old = make_sheet(organisation, theme, service, question="Fiche périmée", review_on=today - datetime.timedelta(1))
    make_sheet(organisation, roads_theme, roads, question="Fiche voirie", review_on=today + datetime.timedelta(30))
    body = agent_client.get(BASE).content.decode()
    assert body.index("État civil") < body.index("Voirie et propreté")
    assert "Fiche périmée" in body and "Fiche voirie" in body
    assert body.count("À relire (depuis le") == 1
    body = agent_client.get(f"{BASE}?a_relire=1").content.decode()
    assert "Fiche périmée" in body and "Fiche voirie" not in body
    body = agent_client.get(f"{BASE}?theme={roads_theme.pk}").content.decode()
    assert "Fiche voirie" in body and "Fiche périmée" not in body
    page = agent_client.get(f"{BASE}?theme=999999999999999999999")
    assert page.status_code == 200 and "Ce thème n'existe pas" in text(page)
    assert "À relire" in agent_client.get(f"{BASE}{old.pk}/").content.decode()


def test_list_and_search_queries_are_bounded(organisation, theme, roads_theme, service, roads, agent_client,
                                             django_assert_max_num_queries):
    for number in range(30):
        make_sheet(organisation, theme if number % 2 else roads_theme, service if number % 2 else roads,
                   question=f"Question graffiti {number}", is_public=True,
                   review_on=timezone.localdate() - datetime.timedelta(days=number % 3))
    # 7 for the host, session, agent, second factor and navigation; the page's own: themes, sheets, sheets per
    # theme, count of sheets to review, whether the agent may write (list); the ranked ids, their rows (search).
    with django_assert_max_num_queries(12):
        assert agent_client.get(BASE).status_code == 200
    with django_assert_max_num_queries(9):
        response = agent_client.get(f"{BASE}recherche/?q=graff")
    assert text(response).count("<h3>") == 30
    with django_assert_max_num_queries(9):
        assert agent_client.get(f"{BASE}recherche/?q=graff&partial=1").status_code == 200


def test_a_large_theme_shows_its_first_sheets_and_a_link_to_all(organisation, theme, service, agent_client):
    from guichet.knowledge.views import PER_THEME

    for number in range(PER_THEME + 5):
        make_sheet(organisation, theme, service, question=f"Question {number:03d}")
    body = text(agent_client.get(BASE))
    assert "Question 049" in body and "Question 050" not in body
    assert f"({PER_THEME + 5} fiches)" in body
    assert f'href="{BASE}?theme={theme.pk}">Voir les {PER_THEME + 5} fiches du thème « État civil »' in body
    assert "Question 054" in text(agent_client.get(f"{BASE}?theme={theme.pk}"))


def test_search_page_and_partial_fragment(graffiti, sheet, other_sheet, agent_client):
    page = agent_client.get(f"{BASE}recherche/?q=graff")
    body = text(page)
    assert page.status_code == 200 and "<html" in body and graffiti.question in body
    assert other_sheet.question not in body and sheet.question not in body
    fragment = agent_client.get(f"{BASE}recherche/?q=graff&partial=1")
    body = fragment.content.decode()
    assert "<html" not in body and "data-knowledge-results" in body
    assert f'href="/agents/connaissances/{graffiti.pk}/"' in body
    assert "1 fiche trouvée" in body
    empty = agent_client.get(f"{BASE}recherche/?q=zzzz&partial=1").content.decode()
    assert "Aucune fiche ne correspond" in empty


def test_search_bad_input_in_french(sheet, agent_client):
    page = agent_client.get(f"{BASE}recherche/?q=de+la")
    assert page.status_code == 400 and "Saisissez au moins un mot" in text(page)
    assert 'value="de la"' in text(page)  # the text typed is kept
    long = agent_client.get(f"{BASE}recherche/?q={'a' * 300}&partial=1")
    assert long.status_code == 200 and "La recherche est trop longue" in long.content.decode()
    assert agent_client.get(f"{BASE}recherche/").status_code == 200


def test_detail_links_published_procedures_to_the_citizen_catalogue(organisation, sheet, service, org_admin,
                                                                      agent_client):
    from guichet.procedures import services as procedure_services

    published = make_procedure(organisation, slug="demande-acte", title="Demande d'acte", service=service)
    procedure_services.publish(published, org_admin)
    draft = make_procedure(organisation, slug="brouillon", title="Démarche en préparation", service=service)
    sheet.procedures.set([published, draft])
    body = agent_client.get(f"{BASE}{sheet.pk}/").content.decode()
    assert 'href="/demarches/demande-acte/"' in body
    assert "Démarche en préparation" in body and 'href="/demarches/brouillon/"' not in body


def test_any_agent_creates_a_sheet_for_one_of_their_services(organisation, theme, service, agent, agent_client):
    response = agent_client.post(f"{BASE}nouvelle/", sheet_data(theme, service))
    sheet = Sheet.objects.get(question="Comment obtenir un acte de décès ?")
    assert response.status_code == 302 and response["Location"] == f"{BASE}{sheet.pk}/"
    assert sheet.answer == "<p>Au guichet de l'état civil.</p><ul><li>gratuit</li></ul>"
    assert sheet.review_on == datetime.date(2030, 6, 30) and sheet.created_by == agent and not sheet.is_public


def test_an_agent_cannot_write_for_another_service(organisation, theme, service, roads, agent, agent_client,
                                                   roads_agent):
    response = agent_client.post(f"{BASE}nouvelle/", sheet_data(theme, roads))
    assert response.status_code == 400 and "Choisissez un de vos services." in text(response)
    assert not Sheet.objects.exists()
    other = make_sheet(organisation, theme, roads, question="Fiche de la voirie")
    assert agent_client.get(f"{BASE}{other.pk}/").status_code == 200  # every agent reads
    assert agent_client.get(f"{BASE}{other.pk}/modifier/").status_code == 403
    assert agent_client.post(f"{BASE}{other.pk}/modifier/", sheet_data(theme, service)).status_code == 403
    assert "Modifier la fiche" not in agent_client.get(f"{BASE}{other.pk}/").content.decode()
    assert client_for(organisation, roads_agent).get(f"{BASE}{other.pk}/modifier/").status_code == 200


def test_an_agent_without_service_writes_nothing(organisation, theme, sheet):
    lonely = make_agent(organisation, email="sans-service@example.org")
    client = client_for(organisation, lonely)
    assert client.get(f"{BASE}nouvelle/").status_code == 403
    assert "Écrire une fiche" not in client.get(BASE).content.decode()


def test_an_administrator_writes_for_any_service(organisation, theme, roads, admin_client_org, sheet):
    response = admin_client_org.post(f"{BASE}{sheet.pk}/modifier/", sheet_data(theme, roads, is_public="on"))
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.service == roads and sheet.is_public and sheet.version_number == 2


def test_a_sheet_changed_meanwhile_is_not_overwritten(organisation, theme, service, sheet, agent, agent_client,
                                                      admin_client_org):
    form = agent_client.get(f"{BASE}{sheet.pk}/modifier/")
    assert 'name="base_version" value="1"' in text(form)
    assert admin_client_org.post(f"{BASE}{sheet.pk}/modifier/", sheet_data(
        theme, service, answer="Réponse de l'administrateur.", base_version="1")).status_code == 302
    late = agent_client.post(f"{BASE}{sheet.pk}/modifier/", sheet_data(
        theme, service, answer="Réponse de l'agent.", base_version="1"))
    body = text(late)
    assert late.status_code == 400 and "La fiche a été modifiée pendant que vous l'écriviez" in body
    assert "Réponse de l'agent." in body  # what they typed is kept
    sheet.refresh_from_db()
    assert sheet.version_number == 2 and "administrateur" in sheet.answer


def test_bad_input_gives_french_errors_and_keeps_what_was_typed(theme, service, agent_client):
    data = sheet_data(theme, service, question="", review_on="31/02/2027", procedures=["999999"])
    data["theme"] = "abc"
    response = agent_client.post(f"{BASE}nouvelle/", data)
    body = text(response)
    assert response.status_code == 400
    for message in ("Écrivez la question de la fiche.", "Indiquez une date valide", "Choisissez un des thèmes",
                    "Choisissez des démarches de la liste."):
        assert message in body, message
    response = agent_client.post(f"{BASE}nouvelle/", sheet_data(theme, service, answer="<script>alert(1)</script>"))
    body = text(response)
    assert response.status_code == 400 and "il ne reste aucun texte" in body
    assert "Comment obtenir un acte de décès ?" in body  # nothing lost
    response = agent_client.post(f"{BASE}nouvelle/", sheet_data(theme, service, review_on="9999-01-01"))
    assert response.status_code == 400 and "entre 1900 et 2999" in text(response)
    assert not Sheet.objects.exists()


def test_other_collectivites_objects_are_404(organisation, other_organisation, theme, service, agent_client,
                                            other_sheet):
    assert agent_client.get(f"{BASE}{other_sheet.pk}/").status_code == 404
    assert agent_client.get(f"{BASE}{other_sheet.pk}/modifier/").status_code == 404
    assert agent_client.get(f"{BASE}{other_sheet.pk}/versions/1/").status_code == 404
    assert agent_client.post(f"{BASE}{other_sheet.pk}/versions/1/reprendre/").status_code == 404
    # Their theme, service or procedure cannot be slipped into a sheet of ours.
    other_service = make_service(other_organisation, name="État civil", slug="etat-civil")
    other_procedure = make_procedure(other_organisation, slug="autre", title="Autre")
    response = agent_client.post(f"{BASE}nouvelle/", sheet_data(other_sheet.theme, service))
    assert response.status_code == 400
    response = agent_client.post(f"{BASE}nouvelle/", sheet_data(theme, other_service))
    assert response.status_code == 400
    response = agent_client.post(f"{BASE}nouvelle/", sheet_data(theme, service, procedures=[other_procedure.pk]))
    assert response.status_code == 400
    assert not Sheet.objects.of(organisation).exists()


def test_no_theme_yet(agent_client, admin_client_org):
    assert "Demandez à un administrateur" in agent_client.get(f"{BASE}nouvelle/").content.decode()
    assert "Créer un premier thème" in admin_client_org.get(f"{BASE}nouvelle/").content.decode()


def test_themes_are_managed_by_administrators(organisation, other_organisation, theme, sheet, agent_client,
                                              admin_client_org):
    assert agent_client.get(f"{BASE}themes/").status_code == 403
    assert admin_client_org.post(f"{BASE}themes/", {"name": "Scolaire", "position": "5"}).status_code == 302
    assert list(Theme.objects.of(organisation).values_list("name", flat=True)) == ["Scolaire", "État civil"]
    duplicate = admin_client_org.post(f"{BASE}themes/", {"name": "état civil"})
    assert duplicate.status_code == 400 and "Un thème porte déjà ce nom." in duplicate.content.decode()
    bad = admin_client_org.post(f"{BASE}themes/", {"name": "", "position": "-3"})
    assert bad.status_code == 400 and "Donnez un nom au thème." in bad.content.decode()
    assert admin_client_org.post(f"{BASE}themes/{theme.pk}/", {"name": "Actes", "position": "1"}).status_code == 302
    theme.refresh_from_db()
    assert theme.name == "Actes"
    refused = admin_client_org.post(f"{BASE}themes/{theme.pk}/supprimer/", follow=True)
    assert "contient des fiches" in refused.content.decode() and Theme.objects.filter(pk=theme.pk).exists()
    empty = Theme.objects.get(name="Scolaire")
    admin_client_org.post(f"{BASE}themes/{empty.pk}/supprimer/")
    assert not Theme.objects.filter(pk=empty.pk).exists()
    foreign = make_theme(other_organisation, name="Ailleurs")
    assert admin_client_org.get(f"{BASE}themes/{foreign.pk}/").status_code == 404
    assert admin_client_org.post(f"{BASE}themes/{foreign.pk}/supprimer/").status_code == 404


def test_pages_are_translated(sheet, agent_client, anonymous_client):
    for client in (agent_client, anonymous_client):
        client.cookies["django_language"] = "en"
    body = text(agent_client.get(BASE))
    assert "Write a sheet" in body and "Only the sheets to review (0 sheets)" in body
    body = text(anonymous_client.get("/questions-frequentes/?q=de"))
    assert "Type at least one word of two letters or digits" in body
