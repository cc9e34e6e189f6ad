"""Full-text search of the sheets on both databases: every word, accents and case ignored, prefixes, ranked,
public only when asked, never another collectivité's sheets. PostgreSQL-only behaviour (French stemming, the
theme's words, the GIN index) is marked; its SQLite equivalent is tested next to it."""

import pytest
from django.db import connection

from guichet.knowledge import services
from guichet.knowledge.search import SearchTextError, parse_words, search_sheets, tsquery_text

from .conftest import make_sheet, make_theme, verified

postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL full text search")
sqlite_only = pytest.mark.skipif("connection.vendor == 'postgresql'", reason="SQLite fallback")


def questions(results):
    return [sheet.question for sheet in results]


def test_prefix_finds_graffiti_while_typing(graffiti, sheet):
    for text in ("graff", "Graffiti", "GRAFFITIS", "graffitis façade", "enlever graff"):
        assert questions(search_sheets(graffiti.organisation, text)) == [graffiti.question], text


def test_accents_and_case_do_not_matter(organisation, theme, service):
    found = make_sheet(organisation, theme, service, question="Inscription à l'école maternelle",
                       answer="<p>Présentez-vous à l'accueil de la mairie.</p>")
    for text in ("ecole", "ÉCOLE", "école maternelle", "presentez accueil"):
        assert questions(search_sheets(organisation, text)) == [found.question], text


def test_every_word_is_required(graffiti, sheet):
    assert search_sheets(graffiti.organisation, "graffiti naissance") == []
    assert questions(search_sheets(graffiti.organisation, "acte naissance")) == [sheet.question]


def test_title_matches_rank_before_answer_matches(organisation, theme, service):
    in_answer = make_sheet(organisation, theme, service, question="Perte de papiers",
                           answer="<p>Pour un passeport, prenez rendez-vous.</p>")
    in_title = make_sheet(organisation, theme, service, question="Passeport : délais",
                          answer="<p>Comptez trois semaines.</p>")
    assert questions(search_sheets(organisation, "passeport")) == [in_title.question, in_answer.question]


def test_public_only_and_limit(organisation, theme, service):
    for number in range(5):
        make_sheet(organisation, theme, service, question=f"Cantine {number}", answer="<p>Menus.</p>",
                   is_public=number % 2 == 0)
    assert len(search_sheets(organisation, "cantine")) == 5
    assert len(search_sheets(organisation, "cantine", limit=2)) == 2
    assert sorted(questions(search_sheets(organisation, "cantine", public_only=True))) == [
        "Cantine 0", "Cantine 2", "Cantine 4"]


def test_tenant_isolation(graffiti, other_sheet, other_organisation):
    assert questions(search_sheets(graffiti.organisation, "graffitis")) == [graffiti.question]
    assert questions(search_sheets(other_organisation, "graffitis")) == [other_sheet.question]
    assert search_sheets(None, "graffitis") == []


def test_the_index_follows_edits(sheet, agent):
    verified(agent)
    services.save_sheet(sheet.organisation, agent, sheet=sheet, question="Obtenir une copie intégrale",
                        answer="<p>Au guichet de l'état civil.</p>", theme=sheet.theme, service=sheet.service)
    assert search_sheets(sheet.organisation, "naissance") == []
    assert questions(search_sheets(sheet.organisation, "copie guichet")) == ["Obtenir une copie intégrale"]


@pytest.mark.parametrize("text", ["", "   ", "de la", "!!!", None, "x" * 201])
def test_unsearchable_texts_give_nothing_and_a_french_reason(sheet, text):
    assert search_sheets(sheet.organisation, text) == []
    with pytest.raises(SearchTextError) as error:
        parse_words(text)
    assert error.value.message.startswith(("Saisissez", "La recherche est trop longue"))


def test_operators_cannot_be_injected(sheet):
    for text in ("naissance & !acte", "naissance | x", "acte:* <-> (", "'; DROP TABLE knowledge_sheet; --"):
        search_sheets(sheet.organisation, text)  # no database error
    assert tsquery_text(parse_words("naissance & !acte")) == "naissance:* & acte:*"


@postgresql_only
def test_postgresql_stems_french_words(organisation, theme, service):
    found = make_sheet(organisation, theme, service, question="Réparer un lampadaire",
                       answer="<p>Les réparations sont faites sous huit jours.</p>")
    assert questions(search_sheets(organisation, "réparations")) == [found.question]
    assert questions(search_sheets(organisation, "réparé")) == [found.question]


@sqlite_only
def test_sqlite_cuts_the_usual_french_endings(organisation, theme, service):
    found = make_sheet(organisation, theme, service, question="Réparer un lampadaire",
                       answer="<p>Les réparations sont faites sous huit jours.</p>")
    assert questions(search_sheets(organisation, "réparations")) == [found.question]
    assert questions(search_sheets(organisation, "réparer")) == [found.question]


@postgresql_only
def test_postgresql_also_finds_the_theme_and_follows_its_renaming(organisation, service, org_admin):
    theme = make_theme(organisation, name="Cimetière")
    found = make_sheet(organisation, theme, service, question="Acheter une concession",
                       answer="<p>Adressez-vous à l'accueil.</p>")
    assert questions(search_sheets(organisation, "cimetiere")) == [found.question]
    services.save_theme(organisation, verified(org_admin), name="Funéraire", theme=theme)
    assert search_sheets(organisation, "cimetiere") == []
    assert questions(search_sheets(organisation, "funeraire")) == [found.question]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'knowledge_sheet_org_vector_gin'")
        assert "gin (organisation_id, vector)" in cursor.fetchone()[0]


@sqlite_only
def test_sqlite_searches_title_and_answer_only(organisation, service):
    theme = make_theme(organisation, name="Cimetière")
    make_sheet(organisation, theme, service, question="Acheter une concession", answer="<p>À l'accueil.</p>")
    assert search_sheets(organisation, "cimetiere") == []
    assert len(search_sheets(organisation, "concession accueil")) == 1


@postgresql_only
def test_postgresql_title_weighs_more_than_the_answer(organisation, theme, service):
    in_answer = make_sheet(organisation, theme, service, question="Perte de papiers",
                           answer="<p>Passeport : prenez rendez-vous. Passeport perdu, passeport volé.</p>")
    in_title = make_sheet(organisation, theme, service, question="Passeport", answer="<p>Trois semaines.</p>")
    assert questions(search_sheets(organisation, "passeport")) == [in_title.question, in_answer.question]
