"""The citizens' FAQ: public sheets only, by theme, searchable, each on its page with the related procedures
citizens can open; works without JavaScript (GET forms, links), labelled; no private sheet and no sheet of
another collectivité is ever reachable, whatever the id or slug tried."""

import html

from tests.conftest import client_for
from tests.procedures.conftest import make_procedure

from .conftest import make_sheet, make_theme

BASE = "/questions-frequentes/"


def text(response):
    return html.unescape(response.content.decode())


def test_faq_lists_public_sheets_by_theme(organisation, theme, service, sheet, graffiti, anonymous_client):
    public = make_sheet(organisation, theme, service, question="Que faire si j'ai perdu mon livret de famille ?",
                        is_public=True)
    body = text(anonymous_client.get(BASE))
    assert "<h1>Questions fréquentes</h1>" in body
    assert public.question in body and graffiti.question in body
    assert sheet.question not in body  # private
    assert body.index("État civil") < body.index("Voirie et propreté")
    assert f'href="{BASE}{graffiti.pk}/{graffiti.slug}/"' in body


def test_private_sheets_are_never_reachable(sheet, anonymous_client, citizen_client, agent_client):
    for client in (anonymous_client, citizen_client, agent_client):
        assert client.get(f"{BASE}{sheet.pk}/").status_code == 404
        assert client.get(f"{BASE}{sheet.pk}/{sheet.slug}/").status_code == 404
        assert sheet.question not in text(client.get(f"{BASE}?q=naissance"))
    for pk in range(1, sheet.pk + 5):
        assert anonymous_client.get(f"{BASE}{pk}/x/").status_code in (404, 301)
        response = anonymous_client.get(f"{BASE}{pk}/x/", follow=True)
        assert sheet.question not in text(response)


def test_a_sheet_made_private_disappears(sheet, graffiti, anonymous_client):
    from guichet.knowledge.models import Sheet

    assert anonymous_client.get(f"{BASE}{graffiti.pk}/{graffiti.slug}/").status_code == 200
    Sheet.objects.filter(pk=graffiti.pk).update(is_public=False)
    assert anonymous_client.get(f"{BASE}{graffiti.pk}/{graffiti.slug}/").status_code == 404


def test_other_collectivites_sheets_are_never_shown(graffiti, other_sheet, other_organisation, anonymous_client):
    assert anonymous_client.get(f"{BASE}{other_sheet.pk}/{other_sheet.slug}/").status_code == 404
    assert anonymous_client.get(f"{BASE}{other_sheet.pk}/").status_code == 404
    body = text(anonymous_client.get(f"{BASE}?q=graffitis"))
    assert graffiti.question in body and other_sheet.question not in body
    assert other_sheet.question not in text(anonymous_client.get(BASE))
    theirs = client_for(other_organisation)
    assert theirs.get(f"{BASE}{graffiti.pk}/{graffiti.slug}/").status_code == 404
    assert text(theirs.get(f"{BASE}{other_sheet.pk}/{other_sheet.slug}/")).count(other_sheet.question) >= 1


def test_sheet_page_canonical_slug_and_procedure_links(organisation, graffiti, roads, org_admin, anonymous_client):
    from guichet.procedures import services as procedure_services

    online = make_procedure(organisation, slug="enlevement-graffitis", title="Enlèvement de graffitis",
                            service=roads)
    procedure_services.publish(online, org_admin)
    agents_only = make_procedure(organisation, slug="interne", title="Saisie interne", service=roads,
                                 who_may_submit="agents")
    procedure_services.publish(agents_only, org_admin)
    draft = make_procedure(organisation, slug="brouillon", title="Démarche en préparation", service=roads)
    graffiti.procedures.set([online, agents_only, draft])
    short = anonymous_client.get(f"{BASE}{graffiti.pk}/")
    assert short.status_code == 301 and short["Location"] == f"{BASE}{graffiti.pk}/{graffiti.slug}/"
    assert anonymous_client.get(f"{BASE}{graffiti.pk}/mauvais-titre/").status_code == 301
    page = anonymous_client.get(f"{BASE}{graffiti.pk}/{graffiti.slug}/")
    body = text(page)
    assert page.status_code == 200 and f"<h1>{graffiti.question}</h1>" in body
    assert "gratuitement les graffitis" in body
    assert 'href="/demarches/enlevement-graffitis/"' in body
    assert "Saisie interne" not in body and "Démarche en préparation" not in body


def test_faq_search_without_javascript(graffiti, sheet, anonymous_client):
    page = anonymous_client.get(BASE)
    body = text(page)
    assert '<form method="get" action="/questions-frequentes/"' in body
    assert '<label for="faq-q">' in body and 'id="faq-q" name="q"' in body
    found = text(anonymous_client.get(f"{BASE}?q=graff"))
    assert "1 question trouvée" in found and graffiti.question in found
    none = text(anonymous_client.get(f"{BASE}?q=piscine"))
    assert "Aucune question ne correspond à « piscine »" in none
    bad = anonymous_client.get(f"{BASE}?q=le")
    assert bad.status_code == 400 and "Saisissez au moins un mot" in text(bad) and 'aria-invalid="true"' in text(bad)


def test_faq_theme_pages(organisation, theme, service, other_organisation, other_sheet, anonymous_client):
    from guichet.knowledge.public_views import PER_THEME

    for number in range(PER_THEME + 2):
        make_sheet(organisation, theme, service, question=f"Question {number:03d}", is_public=True)
    make_sheet(organisation, theme, service, question="Question privée", is_public=False)
    body = text(anonymous_client.get(BASE))
    assert "Question 029" in body and "Question 030" not in body
    assert f"Voir les {PER_THEME + 2} questions du thème « État civil »" in body
    body = text(anonymous_client.get(f"{BASE}?theme={theme.pk}"))
    assert "Question 031" in body and "Question privée" not in body
    assert anonymous_client.get(f"{BASE}?theme={other_sheet.theme_id}").status_code == 404
    assert anonymous_client.get(f"{BASE}?theme=99999999999999999999999").status_code == 404


def test_faq_queries_are_bounded(organisation, service, anonymous_client, django_assert_max_num_queries):
    themes = [make_theme(organisation, name=f"Thème {number}", position=number) for number in range(4)]
    for number in range(20):
        make_sheet(organisation, themes[number % 4], service, question=f"Question {number}", is_public=True)
    with django_assert_max_num_queries(5):
        assert anonymous_client.get(BASE).status_code == 200
    with django_assert_max_num_queries(4):
        assert anonymous_client.get(f"{BASE}?q=question").status_code == 200  # ranked ids, rows
