"""Catalogue endpoints: procedures (filters, pages, form definitions), statuses, services, public sheets;
isolation between collectivités; query counts."""

import pytest

from tests.conftest import client_for
from tests.service_requests.conftest import make_procedure

from .conftest import assert_problem, bearer, body

pytestmark = pytest.mark.django_db


def slugs(response):
    assert response.status_code == 200, response.content.decode()[:2000]
    return [item["slug"] for item in body(response)["items"]]


def test_list_procedures_public_catalogue(anonymous, catalogue, other_catalogue):
    data = body(anonymous.get("/api/v1/procedures"))
    # Agents-only and Montclair's procedures are not there.
    assert [item["slug"] for item in data["items"]] == ["acte-etat-civil", "signalement"]
    assert data["count"] == 2 and data["page"] == 1 and data["next_page"] is None
    civil = data["items"][0]
    assert civil == {
        "slug": "acte-etat-civil", "title": "Demande d'acte d'état civil", "theme": "etat-civil",
        "theme_label": "État civil", "short_description": "Demandez une copie d'acte de naissance ou de mariage.",
        "who_may_submit": "citizen", "open311": False,
        "service": {"id": catalogue["service"].pk, "slug": "etat-civil", "name": "État civil"},
        "deadline": {"amount": 30, "unit": "calendar_days", "text": civil["deadline"]["text"]},
        "version": 1, "url": "/demarches/acte-etat-civil/",
    }
    assert civil["deadline"]["text"]


def test_an_api_client_also_sees_counter_procedures(anonymous, catalogue, secret):
    assert slugs(anonymous.get("/api/v1/procedures", **bearer(secret))) == [
        "acte-etat-civil", "recensement", "signalement"]
    assert anonymous.get("/api/v1/procedures/recensement", **bearer(secret)).status_code == 200
    assert_problem(anonymous.get("/api/v1/procedures/recensement"), 404)


def test_filters(anonymous, catalogue):
    assert slugs(anonymous.get("/api/v1/procedures", {"theme": "services-techniques"})) == ["signalement"]
    assert slugs(anonymous.get("/api/v1/procedures", {"theme": "inconnu"})) == []
    assert slugs(anonymous.get("/api/v1/procedures", {"open311": "true"})) == ["signalement"]
    assert slugs(anonymous.get("/api/v1/procedures", {"open311": "false"})) == ["acte-etat-civil"]
    assert slugs(anonymous.get("/api/v1/procedures", {"q": "ETAT civil"})) == ["acte-etat-civil"]
    assert slugs(anonymous.get("/api/v1/procedures", {"q": "voirie signaler"})) == ["signalement"]
    assert slugs(anonymous.get("/api/v1/procedures", {"q": "introuvable"})) == []
    assert_problem(anonymous.get("/api/v1/procedures", {"open311": "peut-être"}), 422)
    assert_problem(anonymous.get("/api/v1/procedures", {"q": "x" * 201}), 422)


def test_pagination(organisation, anonymous, catalogue):
    for number in range(5):
        make_procedure(organisation, catalogue["service"], slug=f"demarche-{number}", title=f"Démarche {number}")
    first = body(anonymous.get("/api/v1/procedures", {"page_size": 3}))
    assert first["count"] == 7 and first["next_page"] == 2
    second = body(anonymous.get("/api/v1/procedures", {"page_size": 3, "page": 2}))
    third = body(anonymous.get("/api/v1/procedures", {"page_size": 3, "page": 3}))
    assert third["next_page"] is None and len(third["items"]) == 1
    listed = [item["slug"] for page in (first, second, third) for item in page["items"]]
    assert len(set(listed)) == 7
    assert body(anonymous.get("/api/v1/procedures", {"page": 99}))["items"] == []
    assert_problem(anonymous.get("/api/v1/procedures", {"page": 0}), 422)


def test_list_procedures_query_count(organisation, anonymous, catalogue, django_assert_max_num_queries):
    for number in range(15):
        make_procedure(organisation, catalogue["service"], slug=f"demarche-{number}", title=f"Démarche {number}")
    with django_assert_max_num_queries(4):  # the host's collectivité (2), the count, the page
        response = anonymous.get("/api/v1/procedures", {"page_size": 100})
    assert len(body(response)["items"]) == 17
    with django_assert_max_num_queries(4):
        assert len(body(anonymous.get("/api/v1/statuses"))) == 3


def test_read_procedure_with_its_form(anonymous, catalogue):
    data = body(anonymous.get("/api/v1/procedures/acte-etat-civil"))
    assert data["silence"] == "" or isinstance(data["silence"], str)
    pages = data["form"]["pages"]
    assert [page["id"] for page in pages] == ["demandeur", "mariage", "pieces"]
    assert pages[1]["condition"] == {"field": "motif", "op": "eq", "value": "mariage"}
    nom, prenom, motif = pages[0]["fields"]
    assert nom == {"id": "nom", "type": "text", "label": "Nom", "required": True, "help": "", "choices": None,
                   "condition": None, "file": None, "fields": None, "options": {"prefill": "profile.last_name"}}
    assert motif["choices"] == [{"value": "naissance", "label": "Acte de naissance"},
                                {"value": "mariage", "label": "Acte de mariage"}]
    assert motif["options"] == {"widget": "radio"}
    justificatif = pages[2]["fields"][1]
    assert justificatif["file"] == {"accept": ["pdf", "png"], "max_size_mb": 2.0, "max_files": 2,
                                    "document_type": None}
    assert data["statuses"] == [
        {"id": "recue", "label": "Reçue", "visible": True, "final": False},
        {"id": "instruction", "label": "Contrôle interne", "visible": False, "final": False},
        {"id": "acceptee", "label": "Acceptée", "visible": True, "final": True},
    ]
    assert data["who_may_submit"] == "citizen"
    assert data["service"]["slug"] == "etat-civil"
    assert body(anonymous.get("/api/v1/procedures/acte-etat-civil/statuses")) == data["statuses"]


def test_the_published_version_is_shown_not_the_draft(anonymous, catalogue):
    procedure = catalogue["civil"]
    procedure.draft_form = {"pages": [{"id": "brouillon", "title": "Pas encore publié", "fields": []}]}
    procedure.save()
    data = body(anonymous.get("/api/v1/procedures/acte-etat-civil"))
    assert data["form"]["pages"][0]["id"] == "demandeur"


def test_block_fields(organisation, anonymous, catalogue):
    form = {"pages": [{"id": "enfants", "title": "Enfants", "condition": None, "fields": [
        {"id": "enfant", "type": "block", "label": "Enfant", "required": False, "max_items": 4, "fields": [
            {"id": "prenom", "type": "text", "label": "Prénom", "required": True}]}]}]}
    make_procedure(organisation, catalogue["service"], slug="cantine", title="Cantine", form=form)
    field = body(anonymous.get("/api/v1/procedures/cantine"))["form"]["pages"][0]["fields"][0]
    assert field["type"] == "block" and field["options"] == {"max_items": 4}
    assert field["fields"][0]["id"] == "prenom" and field["fields"][0]["required"] is True


def test_unpublished_and_other_collectivity_procedures_are_404(organisation, anonymous, catalogue, other_catalogue,
                                                               secret):
    make_procedure(organisation, catalogue["service"], slug="brouillon", title="Brouillon", publish=False)
    for slug in ("brouillon", "montclair-only", "inconnue"):
        assert_problem(anonymous.get(f"/api/v1/procedures/{slug}"), 404)
        assert_problem(anonymous.get(f"/api/v1/procedures/{slug}", **bearer(secret)), 404)
        assert_problem(anonymous.get(f"/api/v1/procedures/{slug}/statuses"), 404)
    # Montclair sees its own.
    assert body(client_for(other_catalogue["procedure"].organisation).get(
        "/api/v1/procedures/montclair-only"))["title"] == "Démarche de Montclair"


def test_statuses_of_all_procedures(anonymous, catalogue):
    data = body(anonymous.get("/api/v1/statuses"))
    assert [status["id"] for status in data] == ["recue", "instruction", "acceptee"]
    assert data[0]["procedures"] == ["acte-etat-civil", "signalement"]


def test_services(anonymous, catalogue, other_catalogue, django_assert_max_num_queries):
    catalogue["roads"].is_active = False
    catalogue["roads"].save()
    with django_assert_max_num_queries(3):  # the host's collectivité (2), the services
        data = body(anonymous.get("/api/v1/services"))
    assert data == [{"id": catalogue["service"].pk, "slug": "etat-civil", "name": "État civil",
                     "description": "Actes, mariages, décès.", "email": "etat-civil@saint-aubin.example.org",
                     "phone": "03 83 00 20 10"}]


def test_sheets_public_only_and_sanitised(anonymous, catalogue, other_catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # the host (2), the count, the page
        data = body(anonymous.get("/api/v1/sheets"))
    assert [item["question"] for item in data["items"]] == ["Comment faire enlever un graffiti ?"]
    public = catalogue["public"]
    item = data["items"][0]
    assert item["theme"] == {"id": catalogue["theme"].pk, "name": "Voirie"}
    assert item["url"] == f"/questions-frequentes/{public.pk}/"
    detail = body(anonymous.get(f"/api/v1/sheets/{public.pk}"))
    assert "<script" not in detail["answer_html"] and "graffitis" in detail["answer_html"]
    assert detail["procedures"] == ["signalement"]
    assert_problem(anonymous.get(f"/api/v1/sheets/{catalogue['private'].pk}"), 404)
    assert_problem(anonymous.get(f"/api/v1/sheets/{other_catalogue['sheet'].pk}"), 404)
    assert_problem(anonymous.get("/api/v1/sheets/99999999999999"), 404)


def test_sheets_search_and_theme(anonymous, catalogue, other_catalogue):
    found = body(anonymous.get("/api/v1/sheets", {"q": "graffiti"}))
    assert [item["id"] for item in found["items"]] == [catalogue["public"].pk]
    assert body(anonymous.get("/api/v1/sheets", {"q": "nettoyage"}))["items"] == []  # private one
    assert body(anonymous.get("/api/v1/sheets", {"q": "graffiti", "theme": catalogue["theme"].pk}))["count"] == 1
    assert body(anonymous.get("/api/v1/sheets", {"theme": other_catalogue["sheet"].theme_id}))["items"] == []
    data = assert_problem(anonymous.get("/api/v1/sheets", {"q": "de la"}), 422)
    assert data["errors"][0]["location"] == ["query", "q"]
