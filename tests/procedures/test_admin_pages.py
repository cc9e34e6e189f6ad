"""Administrators' pages: create a procedure, compose its form in the builder (pages, fields, conditions, moves,
deletions, preview), publish, versions, export/import; permissions and tenant isolation."""

import copy
import html as html_lib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guichet.procedures import exchange, services
from guichet.procedures.models import Procedure, ProcedureVersion
from guichet.workflows.models import Workflow
from tests.conftest import client_for, make_agent
from tests.procedures.conftest import make_procedure, make_workflow

BASE = "/agents/admin/demarches"


def text(response):
    return html_lib.unescape(response.content.decode())


def form_of(procedure):
    procedure.refresh_from_db()
    return procedure.draft_form


def field_ids(defn):
    return [[field["id"] for field in page["fields"]] for page in defn["pages"]]


# --- creating and the settings -------------------------------------------------------------------------------


def test_create_a_procedure(admin_client_org, organisation, workflow, service):
    response = admin_client_org.get(f"{BASE}/nouvelle/")
    assert response.status_code == 200
    assert "Circuit simple" in text(response)
    response = admin_client_org.post(f"{BASE}/nouvelle/", {
        "title": "Prêt de matériel", "slug": "pret-materiel", "theme": "vie-associative",
        "short_description": "Empruntez des tables et des chaises.", "documents_needed": "Attestation d'assurance",
        "who_may_submit": "citizen", "service": service.pk, "deadline_amount": "15",
        "deadline_unit": "working_days", "silence_means": "none", "keywords": "tables, chaises",
        "workflow": workflow.pk,
    })
    procedure = Procedure.objects.get(organisation=organisation, slug="pret-materiel")
    assert response.status_code == 302 and response["Location"] == f"{BASE}/{procedure.pk}/formulaire/"
    assert procedure.state == "draft" and procedure.workflow == workflow and procedure.service == service
    assert procedure.draft_form["pages"][0]["fields"] == []


def test_create_with_bad_input_changes_nothing(admin_client_org, organisation, other_organisation, procedure):
    foreign_workflow = make_workflow(other_organisation)
    response = admin_client_org.post(f"{BASE}/nouvelle/", {
        "title": "", "slug": procedure.slug, "theme": "astronomie", "short_description": "",
        "who_may_submit": "anyone", "deadline_amount": "-4", "deadline_unit": "calendar_days",
        "silence_means": "none", "workflow": foreign_workflow.pk,
    })
    assert response.status_code == 200
    html = text(response)
    assert "Le formulaire contient" in html
    assert "Une démarche de votre collectivité porte déjà cet identifiant." in html
    assert "Sélectionnez un choix valide" in html
    assert Procedure.objects.filter(organisation=organisation).count() == 1


def test_edit_settings_of_a_published_procedure_tells_to_publish(admin_client_org, published, workflow, service):
    data = {
        "title": published.title, "slug": published.slug, "theme": published.theme,
        "short_description": published.short_description, "who_may_submit": "anyone",
        "service": service.pk, "deadline_amount": "20", "deadline_unit": "calendar_days",
        "silence_means": "none", "workflow": workflow.pk,
    }
    response = admin_client_org.post(f"{BASE}/{published.pk}/reglages/", data, follow=True)
    assert "Publiez la démarche pour que les nouvelles demandes suivent ces réglages." in text(response)
    published.refresh_from_db()
    assert published.deadline_amount == 20 and published.current_version.deadline_amount == 30
    assert "Modifications non publiées" in text(response)


# --- the form builder -------------------------------------------------------------------------------------------


def test_build_a_form_with_a_conditional_page(admin_client_org, procedure):
    url = f"{BASE}/{procedure.pk}/formulaire"
    assert admin_client_org.get(f"{url}/").status_code == 200
    # A yes/no question on the first page.
    response = admin_client_org.get(f"{url}/pages/demandeur/ajouter/", {"type": "boolean"})
    assert response.status_code == 200 and "Oui / non" in text(response)
    response = admin_client_org.post(f"{url}/pages/demandeur/ajouter/", {
        "type": "boolean", "label": "Avez-vous des enfants ?", "field_id": "", "required": "on",
        "cond_mode": "all",
    })
    assert response.status_code == 302, text(response)
    assert field_ids(form_of(procedure))[0] == ["nom", "motif", "avez-vous-des-enfants"]
    # A page shown only to parents.
    response = admin_client_org.post(f"{url}/pages/ajouter/", {
        "title": "Vos enfants", "page_id": "enfants", "cond_mode": "all",
        "cond_field_1": "avez-vous-des-enfants", "cond_op_1": "true", "cond_value_1": "",
    })
    assert response.status_code == 302, text(response)
    defn = form_of(procedure)
    assert defn["pages"][1] == {"id": "enfants", "title": "Vos enfants", "fields": [],
                                "condition": {"field": "avez-vous-des-enfants", "op": "true"}}
    # A repeatable block with a first name in it, a choice with two conditions on the page.
    response = admin_client_org.post(f"{url}/pages/enfants/ajouter/", {
        "type": "block", "label": "Enfants", "field_id": "liste-enfants", "min_items": "1", "max_items": "6",
        "prefill": "household.children", "cond_mode": "all",
    })
    assert response.status_code == 302, text(response)
    response = admin_client_org.post(f"{url}/blocs/liste-enfants/ajouter/", {
        "type": "text", "label": "Prénom", "required": "on",
    })
    assert response.status_code == 302, text(response)
    response = admin_client_org.post(f"{url}/pages/enfants/ajouter/", {
        "type": "choice", "label": "École", "widget": "select",
        "choices": "jaures|École Jean-Jaurès\nÉcole des Tilleuls", "cond_mode": "any",
        "cond_field_1": "motif", "cond_op_1": "in", "cond_value_1": "naissance, mariage",
        "cond_field_2": "nom", "cond_op_2": "not_empty",
    })
    assert response.status_code == 302, text(response)
    defn = form_of(procedure)
    block = defn["pages"][1]["fields"][0]
    assert block["type"] == "block" and [sub["id"] for sub in block["fields"]] == ["nom", "prenom"]  # "nom": default
    assert block["prefill"] == "household.children"
    school = defn["pages"][1]["fields"][1]
    assert school["choices"] == [{"value": "jaures", "label": "École Jean-Jaurès"},
                                 {"value": "ecole-des-tilleuls", "label": "École des Tilleuls"}]
    assert school["condition"] == {"any": [{"field": "motif", "op": "in", "value": ["naissance", "mariage"]},
                                           {"field": "nom", "op": "not_empty"}]}
    # The builder lists it all, with the conditions in words.
    html = admin_client_org.get(f"{url}/").content.decode()
    assert "Page 2 : Vos enfants" in html
    assert "affichée seulement si « Avez-vous des enfants ? » est « oui »" in html
    assert "Prénom — Texte court — obligatoire" in html
    # The preview renders the page as a citizen sees it; with no answer yet, the school and the page are hidden.
    response = admin_client_org.get(f"{url}/apercu/", {"page": "enfants"})
    assert response.status_code == 200
    assert "l'usager ne verrait pas cette page" in text(response)
    assert "École : affiché si « Motif » fait partie de « naissance, mariage »" in text(response)
    # Answers tried on the first page open the conditional page and its school choice.
    response = admin_client_org.post(f"{url}/apercu/?page=demandeur", {"nom": ""})
    assert response.status_code == 200 and "Ce champ est obligatoire." in text(response)
    response = admin_client_org.post(f"{url}/apercu/?page=demandeur", {
        "nom": "Martin", "motif": "naissance", "avez-vous-des-enfants": "oui"})
    assert "Ces réponses sont valides pour cette page" in text(response)
    response = admin_client_org.get(f"{url}/apercu/", {"page": "enfants"})
    assert "l'usager ne verrait pas cette page" not in text(response)
    assert '<option value="ecole-des-tilleuls">École des Tilleuls</option>' in text(response)
    response = admin_client_org.post(f"{url}/apercu/?page=enfants", {"reset": "1"}, follow=True)
    assert "Les réponses d'essai sont effacées." in text(response)
    assert "l'usager ne verrait pas cette page" in text(response)
    # The whole thing publishes.
    response = admin_client_org.post(f"{BASE}/{procedure.pk}/publier/")
    assert response.status_code == 302
    procedure.refresh_from_db()
    assert procedure.current_version.form == defn


def test_edit_a_field(admin_client_org, procedure):
    url = f"{BASE}/{procedure.pk}/formulaire/champs/nom/"
    response = admin_client_org.get(url)
    assert response.status_code == 200
    assert 'value="Nom"' in text(response)
    response = admin_client_org.post(url, {
        "label": "Nom de naissance", "help": "Tel qu'il figure sur l'acte.", "required": "on",
        "min_length": "2", "max_length": "60", "format": "", "pattern": "", "default": "",
        "prefill": "profile.last_name", "cond_mode": "all",
    })
    assert response.status_code == 302, text(response)
    field = form_of(procedure)["pages"][0]["fields"][0]
    assert field["label"] == "Nom de naissance" and field["help"] == "Tel qu'il figure sur l'acte."
    assert field["validation"]["min_length"] == 2 and field["validation"]["max_length"] == 60
    assert field["prefill"] == "profile.last_name"
    assert field["required"] is True


@pytest.mark.parametrize(("path", "data", "message"), [
    ("champs/nom/", {"label": "", "cond_mode": "all"}, "Ce champ est obligatoire."),
    ("champs/nom/", {"label": "Nom", "min_length": "50", "max_length": "10", "cond_mode": "all"},
     "Le maximum doit être supérieur ou égal au minimum."),
    ("champs/nom/", {"label": "Nom", "pattern": "([a-z", "cond_mode": "all"}, None),
    ("champs/motif/", {"label": "Motif", "widget": "radio", "choices": "a|A\na|Autre", "cond_mode": "all"},
     "la valeur « a » est déjà utilisée"),
    ("champs/motif/", {"label": "Motif", "widget": "radio", "choices": "", "cond_mode": "all"},
     "Ce champ est obligatoire."),
    ("champs/motif/", {"label": "Motif", "widget": "radio", "choices": "a|A", "cond_field_1": "nom",
                       "cond_op_1": "eq", "cond_value_1": ""}, "Indiquez la valeur à comparer."),
    ("champs/motif/", {"label": "Motif", "widget": "radio", "choices": "a|A", "cond_field_1": "",
                       "cond_op_1": "eq", "cond_value_1": "x"}, "Choisissez le champ testé par cette condition."),
    ("champs/motif/", {"label": "Motif", "widget": "radio", "choices": "a|A", "cond_field_1": "inconnu",
                       "cond_op_1": "eq", "cond_value_1": "x"}, "Sélectionnez un choix valide"),
    ("pages/demandeur/ajouter/", {"type": "text", "label": "Doublon", "field_id": "nom", "cond_mode": "all"},
     "Cet identifiant est déjà utilisé dans le formulaire."),
    ("pages/demandeur/ajouter/", {"type": "text", "label": "Mauvais", "field_id": "Mauvais Id!", "cond_mode": "all"},
     "L'identifiant commence par une lettre"),
    ("pages/demandeur/ajouter/", {"type": "number", "label": "Âge", "min": "dix", "cond_mode": "all"},
     "Saisissez un nombre."),
    ("pages/demandeur/ajouter/", {"type": "date", "label": "Date", "date_min": "32/13/2020", "cond_mode": "all"},
     "Indiquez une date"),
    ("pages/ajouter/", {"title": "", "cond_mode": "all"}, "Ce champ est obligatoire."),
    ("pages/ajouter/", {"title": "Autre", "page_id": "demandeur", "cond_mode": "all"},
     "Cet identifiant est déjà utilisé dans le formulaire."),
])
def test_bad_builder_input_changes_nothing(admin_client_org, procedure, path, data, message):
    before = copy.deepcopy(form_of(procedure))
    response = admin_client_org.post(f"{BASE}/{procedure.pk}/formulaire/{path}", data)
    assert response.status_code == 200
    html = text(response)
    assert "error-summary" in html
    if message:
        assert message in html
    assert form_of(procedure) == before


def test_unknown_field_type_shows_the_type_chooser(admin_client_org, procedure):
    response = admin_client_org.get(f"{BASE}/{procedure.pk}/formulaire/pages/demandeur/ajouter/",
                                    {"type": "hologramme"})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in text(response)
    response = admin_client_org.get(f"{BASE}/{procedure.pk}/formulaire/blocs/nom/ajouter/", {"type": "text"})
    assert response.status_code == 404  # "nom" is not a block


def test_move_and_delete(admin_client_org, procedure):
    url = f"{BASE}/{procedure.pk}/formulaire"
    response = admin_client_org.post(f"{url}/deplacer/", {"item": "motif", "direction": "up"})
    assert response.status_code == 302
    assert field_ids(form_of(procedure)) == [["motif", "nom"]]
    response = admin_client_org.post(f"{url}/deplacer/", {"item": "motif", "direction": "sideways"}, follow=True)
    assert "Déplacement impossible" in text(response)
    assert admin_client_org.get(f"{url}/supprimer/", {"item": "nom"}).status_code == 200
    assert admin_client_org.get(f"{url}/supprimer/", {"item": "inconnu"}).status_code == 404
    response = admin_client_org.post(f"{url}/supprimer/", {"item": "nom"})
    assert response.status_code == 302
    assert field_ids(form_of(procedure)) == [["motif"]]


def test_refused_operation_shows_the_french_error(admin_client_org, procedure):
    defn = form_of(procedure)
    defn["pages"].append({"id": "suite", "title": "Suite", "condition": {"field": "motif", "op": "eq",
                                                                         "value": "mariage"}, "fields": []})
    procedure.draft_form = defn
    procedure.save()
    before = copy.deepcopy(defn)
    # Deleting a field a condition reads is refused.
    response = admin_client_org.post(f"{BASE}/{procedure.pk}/formulaire/supprimer/", {"item": "motif"})
    assert response.status_code == 200
    assert "message-error" in text(response)
    assert form_of(procedure) == before


def test_editing_a_published_procedure_edits_a_working_copy(admin_client_org, published):
    response = admin_client_org.post(f"{BASE}/{published.pk}/formulaire/pages/demandeur/ajouter/", {
        "type": "email", "label": "Courriel", "prefill": "profile.email", "cond_mode": "all",
    })
    assert response.status_code == 302
    published.refresh_from_db()
    assert len(published.draft_form["pages"][0]["fields"]) == 3
    assert len(published.current_version.form["pages"][0]["fields"]) == 2
    response = admin_client_org.get(f"{BASE}/{published.pk}/publier/")
    assert "Une nouvelle version (2) sera mise en ligne." in text(response)
    admin_client_org.post(f"{BASE}/{published.pk}/publier/")
    published.refresh_from_db()
    assert published.current_version.number == 2
    html = admin_client_org.get(f"{BASE}/{published.pk}/versions/").content.decode()
    assert "Version 2" in html and "Version 1" in html
    html = admin_client_org.get(f"{BASE}/{published.pk}/versions/1/").content.decode()
    assert "Courriel" not in html and "Motif" in html


def test_publish_page_lists_problems(admin_client_org, organisation):
    procedure = make_procedure(organisation, form={"pages": [{"id": "p", "title": "P", "condition": None,
                                                               "fields": [{"id": "x", "type": "choice",
                                                                           "label": "X", "choices": []}]}]})
    procedure.workflow = None
    procedure.save()
    response = admin_client_org.get(f"{BASE}/{procedure.pk}/publier/")
    html = text(response)
    assert "Choisissez le circuit de traitement de la démarche." in html
    assert "pages[0].fields[0]" in html
    response = admin_client_org.post(f"{BASE}/{procedure.pk}/publier/")
    assert response.status_code == 400
    assert not ProcedureVersion.objects.exists()


def test_archive_and_delete(admin_client_org, published, organisation):
    response = admin_client_org.post(f"{BASE}/{published.pk}/archiver/")
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.state == "archived"
    response = admin_client_org.post(f"{BASE}/{published.pk}/supprimer/")
    assert Procedure.objects.filter(pk=published.pk).exists()
    draft = make_procedure(organisation, slug="jetable")
    assert admin_client_org.get(f"{BASE}/{draft.pk}/supprimer/").status_code == 200
    admin_client_org.post(f"{BASE}/{draft.pk}/supprimer/")
    assert not Procedure.objects.filter(pk=draft.pk).exists()


# --- export and import -------------------------------------------------------------------------------------------


def test_export_download(admin_client_org, published):
    response = admin_client_org.get(f"{BASE}/{published.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="demarche-acte-etat-civil.json"'
    data = json.loads(response.content)
    assert data["format"] == "guichet-procedure/1" and data["procedure"]["slug"] == published.slug
    assert admin_client_org.get(f"{BASE}/{published.pk}/export/", {"version": "1"}).status_code == 200
    assert admin_client_org.get(f"{BASE}/{published.pk}/export/", {"version": "7"}).status_code == 404
    assert admin_client_org.get(f"{BASE}/{published.pk}/export/", {"version": "x"}).status_code == 404


def test_import_upload(admin_client_org, published, other_organisation):
    exported = exchange.export_json(published).encode()
    # Same collectivité: the slug is taken, every problem is shown, nothing is created.
    response = admin_client_org.post(f"{BASE}/importer/", {
        "file": SimpleUploadedFile("demarche.json", exported, "application/json")})
    assert response.status_code == 400
    assert "procedure.slug" in text(response)
    assert Procedure.objects.count() == 1
    # With another identifier it is created, as a draft.
    response = admin_client_org.post(f"{BASE}/importer/", {
        "file": SimpleUploadedFile("demarche.json", exported, "application/json"), "slug": "copie"})
    copy_ = Procedure.objects.get(slug="copie")
    assert response.status_code == 302 and response["Location"] == f"{BASE}/{copy_.pk}/"
    assert copy_.state == "draft" and copy_.workflow == published.workflow  # identical workflow reused


def test_import_upload_errors(admin_client_org):
    response = admin_client_org.post(f"{BASE}/importer/", {
        "file": SimpleUploadedFile("demarche.json", b"{pas du json", "application/json")})
    assert response.status_code == 400
    assert "Le fichier n'est pas un JSON valide (ligne 1, colonne 2)." in text(response)
    response = admin_client_org.post(f"{BASE}/importer/", {})
    assert response.status_code == 200 and "Ce champ est obligatoire." in text(response)
    assert not Procedure.objects.exists()


def test_import_from_the_catalogue_page(admin_client_org, organisation):
    entries = exchange.catalogue_entries()
    response = admin_client_org.get(f"{BASE}/catalogue/")
    assert response.status_code == 200
    assert entries[0].title in text(response)
    response = admin_client_org.post(f"{BASE}/catalogue/", {"key": entries[0].key, "publish": "on"})
    procedure = Procedure.objects.get(organisation=organisation, slug=entries[0].slug)
    assert response.status_code == 302 and procedure.state == "published"
    response = admin_client_org.post(f"{BASE}/catalogue/", {"key": entries[1].key})
    assert Procedure.objects.get(organisation=organisation, slug=entries[1].slug).state == "draft"
    assert "Déjà dans votre collectivité" in admin_client_org.get(f"{BASE}/catalogue/").content.decode()
    response = admin_client_org.post(f"{BASE}/catalogue/", {"key": entries[0].key, "publish": "on"})
    assert response.status_code == 400 and "déjà l'identifiant" in text(response)
    response = admin_client_org.post(f"{BASE}/catalogue/", {"key": "../../settings"}, follow=True)
    assert "n'existe pas dans le catalogue" in text(response)
    assert Procedure.objects.filter(organisation=organisation).count() == 2


# --- permissions and tenant isolation ----------------------------------------------------------------------------


def admin_urls(procedure):
    pk = procedure.pk
    return [
        f"{BASE}/", f"{BASE}/nouvelle/", f"{BASE}/importer/", f"{BASE}/catalogue/", f"{BASE}/{pk}/",
        f"{BASE}/{pk}/reglages/", f"{BASE}/{pk}/formulaire/", f"{BASE}/{pk}/formulaire/apercu/",
        f"{BASE}/{pk}/formulaire/pages/ajouter/", f"{BASE}/{pk}/formulaire/pages/demandeur/",
        f"{BASE}/{pk}/formulaire/pages/demandeur/ajouter/?type=text", f"{BASE}/{pk}/formulaire/champs/nom/",
        f"{BASE}/{pk}/formulaire/supprimer/?item=nom", f"{BASE}/{pk}/publier/", f"{BASE}/{pk}/versions/",
        f"{BASE}/{pk}/versions/1/", f"{BASE}/{pk}/export/", f"{BASE}/{pk}/supprimer/",
    ]


def test_only_administrators(published, organisation, citizen_client, agent_client, anonymous_client):
    manager = make_agent(organisation, email="chef@example.org", role="manager")
    manager_client = client_for(organisation, manager)
    for url in admin_urls(published):
        assert citizen_client.get(url).status_code == 403, url
        assert agent_client.get(url).status_code == 403, url
        assert manager_client.get(url).status_code == 403, url
        response = anonymous_client.get(url)
        assert response.status_code == 302 and "/agents/connexion/" in response["Location"], url
    for url in (f"{BASE}/{published.pk}/publier/", f"{BASE}/{published.pk}/formulaire/deplacer/",
                f"{BASE}/{published.pk}/archiver/"):
        assert agent_client.post(url, {"item": "nom", "direction": "down"}).status_code == 403
    published.refresh_from_db()
    assert published.state == "published"
    assert [field["id"] for field in published.draft_form["pages"][0]["fields"]] == ["nom", "motif"]


def test_all_pages_render_for_the_administrator(admin_client_org, published):
    for url in admin_urls(published):
        response = admin_client_org.get(url)
        assert response.status_code == 200, url
        if "export" not in url:
            assert "<title>" in text(response) and "<h1>" in text(response), url


def test_another_collectivites_procedures_give_404(published, other_organisation):
    admin = make_agent(other_organisation, email="admin@montclair.example.org", is_org_admin=True)
    client = client_for(other_organisation, admin)
    assert published.title not in client.get(f"{BASE}/").content.decode()
    for url in admin_urls(published)[4:]:
        assert client.get(url).status_code == 404, url
    for url in (f"{BASE}/{published.pk}/publier/", f"{BASE}/{published.pk}/archiver/",
                f"{BASE}/{published.pk}/formulaire/deplacer/", f"{BASE}/{published.pk}/formulaire/supprimer/",
                f"{BASE}/{published.pk}/reglages/"):
        assert client.post(url, {"item": "nom", "direction": "down", "title": "Piraté"}).status_code == 404, url
    published.refresh_from_db()
    assert published.title == "Demande d'acte d'état civil"
    assert published.state == "published"


def test_another_collectivites_workflow_and_service_cannot_be_chosen(admin_client_org, procedure,
                                                                     other_organisation):
    from tests.conftest import make_service

    foreign_service = make_service(other_organisation, name="Urbanisme", slug="urbanisme")
    foreign_workflow = make_workflow(other_organisation, slug="etranger")
    response = admin_client_org.post(f"{BASE}/{procedure.pk}/reglages/", {
        "title": "X", "slug": procedure.slug, "theme": "autre", "short_description": "X",
        "who_may_submit": "anyone", "service": foreign_service.pk, "deadline_amount": "1",
        "deadline_unit": "calendar_days", "silence_means": "none", "workflow": foreign_workflow.pk,
    })
    assert response.status_code == 200
    assert 'id="id_service_error">Sélectionnez un choix valide' in text(response)
    assert 'id="id_workflow_error">Sélectionnez un choix valide' in text(response)
    procedure.refresh_from_db()
    assert procedure.title == "Demande d'acte d'état civil"
    assert Workflow.objects.filter(organisation=procedure.organisation).count() == 1


def test_an_other_collectivites_admin_session_on_this_host_is_anonymous(published, organisation,
                                                                         other_organisation):
    admin = make_agent(other_organisation, email="admin@montclair.example.org", is_org_admin=True)
    client = client_for(other_organisation, admin)
    client.defaults["HTTP_HOST"] = f"{organisation.slug}.localhost"
    response = client.get(f"{BASE}/{published.pk}/")
    assert response.status_code == 302 and "/agents/connexion/" in response["Location"]
    assert services.publication_problems(published) == []
