"""The citizens' catalogue: published procedures by theme, accent-insensitive search, agents-only hidden,
tenant isolation, constant query count."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.procedures import services
from tests.conftest import client_for
from tests.procedures.conftest import make_procedure


def publish(procedure):
    services.publish(procedure)
    procedure.refresh_from_db()
    return procedure


@pytest.fixture
def catalogue(organisation, workflow):
    return {
        "acte": publish(make_procedure(organisation, workflow=workflow, keywords="naissance, mariage, décès")),
        "cantine": publish(make_procedure(
            organisation, workflow=workflow, slug="cantine", title="Inscription à la cantine", theme="scolaire",
            short_description="Inscrivez votre enfant au restaurant scolaire.", keywords="repas, périscolaire")),
        "elections": publish(make_procedure(
            organisation, workflow=workflow, slug="listes-electorales", title="Inscription sur les listes électorales",
            theme="elections", short_description="Votez dans la commune.")),
        "guichet": publish(make_procedure(
            organisation, workflow=workflow, slug="saisie-guichet", title="Saisie au guichet de l'état civil",
            who_may_submit="agents")),
        "brouillon": make_procedure(organisation, workflow=workflow, slug="brouillon", title="Démarche en brouillon"),
    }


def titles(response):
    return re.findall(r'<h4><a href="/demarches/([a-z0-9-]+)/">', response.content.decode())


def test_catalogue_groups_published_procedures_by_theme(catalogue, anonymous_client):
    response = anonymous_client.get("/demarches/")
    assert response.status_code == 200
    html = response.content.decode()
    assert set(titles(response)) == {"acte-etat-civil", "cantine", "listes-electorales"}
    assert html.index("État civil") < html.index("Scolaire et périscolaire") < html.index("Élections</h3>")
    assert "saisie-guichet" not in html and "brouillon" not in html
    assert "<title>Démarches en ligne — Saint-Aubin</title>" in html


@pytest.mark.parametrize(("query", "expected"), [
    ("électorales", {"listes-electorales"}),
    ("ELECTORALES", {"listes-electorales"}),
    ("electorales", {"listes-electorales"}),
    ("Périscolaire", {"cantine"}),
    ("periscolaire", {"cantine"}),
    ("deces", {"acte-etat-civil"}),
    ("inscription", {"cantine", "listes-electorales"}),
    ("inscription cantine", {"cantine"}),
    ("restaurant scolaire", {"cantine"}),
    ("état civil", {"acte-etat-civil"}),  # the agents-only one is not found
    ("piscine", set()),
])
def test_search_is_accent_and_case_insensitive(catalogue, anonymous_client, query, expected):
    response = anonymous_client.get("/demarches/", {"q": query})
    assert response.status_code == 200
    assert set(titles(response)) == expected
    if not expected:
        assert "Aucune démarche ne correspond" in response.content.decode()


def test_theme_filter(catalogue, anonymous_client):
    response = anonymous_client.get("/demarches/", {"theme": "scolaire"})
    assert titles(response) == ["cantine"]
    html = response.content.decode()
    assert 'aria-current="true">Scolaire et périscolaire (1)' in html
    # Themes stay listed with their counts so that citizens can switch.
    assert "Élections (1)" in html


def test_unknown_theme_is_a_clear_error(catalogue, anonymous_client):
    response = anonymous_client.get("/demarches/", {"theme": "astronomie"})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()


def test_catalogue_query_count_does_not_grow(organisation, workflow, anonymous_client):
    def queries():
        with CaptureQueriesContext(connection) as context:
            assert anonymous_client.get("/demarches/", {"q": "demande"}).status_code == 200
        return len(context.captured_queries)

    publish(make_procedure(organisation, workflow=workflow, slug="d-1", title="Demande 1"))
    few = queries()
    for number in range(2, 12):
        publish(make_procedure(organisation, workflow=workflow, slug=f"d-{number}", title=f"Demande {number}",
                               theme=["culture", "sport", "urbanisme"][number % 3]))
    assert queries() == few


def test_procedure_page(catalogue, anonymous_client):
    response = anonymous_client.get("/demarches/cantine/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Inscription à la cantine</h1>" in html
    assert "Tout le monde, avec ou sans compte" in html
    assert "30 jours" in html
    assert 'href="/demarches/cantine/commencer/"' in html
    assert "Aucune pièce justificative" in html


def test_procedure_page_documents_deadline_silence(organisation, workflow, service, anonymous_client):
    procedure = make_procedure(
        organisation, workflow=workflow, slug="permis", title="Pré-rendez-vous permis", service=service,
        documents_needed="Plan de situation\n- Photographies", deadline_amount=10, deadline_unit="working_days",
        silence_means="acceptance", who_may_submit="citizen")
    publish(procedure)
    html = anonymous_client.get("/demarches/permis/").content.decode()
    assert "<li>Plan de situation</li>" in html and "<li>Photographies</li>" in html
    assert "10 jours ouvrés" in html
    assert "considérée comme acceptée" in html
    assert "Service en charge : État civil." in html
    assert "Vous devrez vous connecter" in html


def test_unpublished_agents_only_and_archived_procedures_are_not_found(catalogue, anonymous_client, agent_client):
    services.archive(catalogue["cantine"])
    for slug in ("brouillon", "saisie-guichet", "cantine", "n-existe-pas"):
        assert anonymous_client.get(f"/demarches/{slug}/").status_code == 404
        assert agent_client.get(f"/demarches/{slug}/").status_code == 404


def test_another_collectivites_procedures_are_not_seen(catalogue, other_organisation):
    client = client_for(other_organisation)
    assert client.get("/demarches/").status_code == 200
    assert titles(client.get("/demarches/")) == []
    assert client.get("/demarches/cantine/").status_code == 404
    assert client.get("/demarches/", {"q": "cantine"}).status_code == 200
    assert titles(client.get("/demarches/", {"q": "cantine"})) == []


def test_published_version_settings_rule_until_republished(catalogue, anonymous_client):
    procedure = catalogue["cantine"]
    procedure.who_may_submit = "agents"
    procedure.save()
    # Still shown: the version online is open to anyone.
    assert anonymous_client.get("/demarches/cantine/").status_code == 200
    publish(procedure)
    assert anonymous_client.get("/demarches/cantine/").status_code == 404
