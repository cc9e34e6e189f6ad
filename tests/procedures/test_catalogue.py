"""The catalogue of ready procedures shipped with Guichet (`procedures/catalogue/*.json`).

Every file is checked the way a collectivité uses it: it imports and is published, every page renders, a valid
submission (answers built from the definition itself, conditions respected) is accepted page after page, and
an invalid one (a required answer missing, a choice not offered) is refused with a French message.
"""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.utils import timezone

from guichet import formdefs
from guichet.formdefs.conditions import evaluate, visible_answers
from guichet.households.services import CitizenData, MemberData
from guichet.notifications.catalogue import KINDS
from guichet.procedures import exchange
from guichet.procedures.models import DeadlineUnit, Procedure, SilenceMeans, Theme, WhoMaySubmit
from guichet.service_requests.services import CONTACT_STEP
from guichet.workflows.validation import validate_workflow
from tests.conftest import make_service

CATALOGUE = Path(exchange.__file__).resolve().parent / "catalogue"
FILES = sorted(CATALOGUE.glob("*.json"))
KEYS = [path.stem for path in FILES]

# The requests named by the towns of the field studies (issue 4, point 6), by slug.
REQUIRED = {
    "demande-acte-etat-civil": "birth/marriage/death certificate",
    "inscription-scolaire": "school registration",
    "preinscription-restauration-periscolaire": "canteen and after-school pre-registration",
    "annulation-repas-cantine": "cancel a canteen meal",
    "preinscription-creche": "crèche pre-registration",
    "contact-ccas": "CCAS contact",
    "reservation-bibliotheque-spectacle": "library/show reservation request",
    "demande-travaux": "work request to the technical services",
    "nettoyage-espaces-verts": "green-space cleaning",
    "enlevement-graffitis": "graffiti removal",
    "signalement-voirie": "street problem report (with map)",
    "operation-tranquillite-vacances": "Opération tranquillité vacances",
    "pret-salle-materiel": "room or equipment loan for an association",
    "demande-subvention-association": "association subsidy request",
    "declaration-manifestation": "events declaration",
    "inscription-listes-electorales": "electoral-list registration",
    "pre-rendez-vous-permis-construire": "pre-appointment for a building permit",
    "candidature-stage": "internship application",
    "suggestion": "suggestion to the town",
    "reclamation": "general complaint (réclamation)",
}

# The services of the demo communes (guichet.demo.data.COMMUNE_SERVICES), by slug.
DEMO_SERVICES = {
    "etat-civil": "État civil", "scolaire": "Scolaire", "services-techniques": "Services techniques",
    "ccas": "CCAS", "urbanisme": "Urbanisme", "police-municipale": "Police municipale",
}

# A value for every validation pattern used by the catalogue (a new pattern needs its sample here).
PATTERN_SAMPLES = {
    r"^W[0-9]{9}$": "W543001234",
    r"^[0-9]{7}$": "1234567",
    r"^[A-Za-z]{2}-?[0-9]{3}-?[A-Za-z]{2}$": "AB-123-CD",
    r"^[0-9]{0,3} ?[A-Za-z]{1,2} ?[0-9]{1,4}$": "AB 123",
    r"^[0-9]{6,12}$": "12345678",
    r"^([01]?[0-9]|2[0-3]) ?h ?[0-5]?[0-9]?$": "23 h",
}
FORMAT_SAMPLES = {"siret": "73282932000074", "siren": "732829320", "iban": "FR76 3000 6000 0112 3456 7890 189",
                  "postcode": "54470"}

# The household of the citizen who fills the forms in: two children and a spouse.
MEMBERS = [
    {"id": 11, "relationship": "child", "first_name": "Léa", "last_name": "Martin"},
    {"id": 12, "relationship": "child", "first_name": "Hugo", "last_name": "Martin"},
    {"id": 13, "relationship": "spouse", "first_name": "Karim", "last_name": "Martin"},
]


def load(key):
    return json.loads((CATALOGUE / f"{key}.json").read_text(encoding="utf-8"))


def citizen_data():
    today = timezone.localdate()
    return CitizenData(
        civility="mme", first_name="Camille", last_name="Martin", email="camille.martin@example.org",
        birth_date=datetime.date(1985, 4, 12), age=40, phone="06 12 34 56 78", address_line="3 rue des Lilas",
        address_complement="", postcode="54470", city="Saint-Aubin",
        postal_address="3 rue des Lilas\n54470 Saint-Aubin", preferred_channel="email",
        members=tuple(
            MemberData(relationship=member["relationship"], relationship_label="", civility="",
                       first_name=member["first_name"], last_name=member["last_name"],
                       birth_date=today.replace(year=today.year - 7), age=7)
            for member in MEMBERS
        ),
    )


# --- valid answers built from a definition -------------------------------------------------------------------

def text_value(field):
    rules = field.get("validation") or {}
    if rules.get("format"):
        return FORMAT_SAMPLES[rules["format"]]
    if rules.get("pattern"):
        assert rules["pattern"] in PATTERN_SAMPLES, f"Ajoutez un exemple pour le motif {rules['pattern']}"
        return PATTERN_SAMPLES[rules["pattern"]]
    value = "Réponse d'essai pour vérifier le formulaire de la démarche."
    if field["type"] == "text":
        value = "Réponse d'essai"
    minimum, maximum = rules.get("min_length") or 0, rules.get("max_length") or 1000
    value = (value * (1 + minimum // len(value)))[:maximum]
    return value


def date_value(field):
    today = timezone.localdate()
    if field.get("min") == "today":
        return (today + datetime.timedelta(days=30)).isoformat()
    if field.get("max") == "today":
        return (today - datetime.timedelta(days=400)).isoformat()
    return today.isoformat()


def number_value(field):
    low, high = field.get("min"), field.get("max")
    value = 1 if low is None else max(low, 1)
    if high is not None and value > high:
        value = low
    return str(value)


def pick(values, strategy, count=1):
    return values[:count] if strategy == "first" else values[-count:]


def simple_value(field, strategy, members=MEMBERS):
    """(POST value, JSON answer) of a field that is neither an address, a block nor a file."""
    kind = field["type"]
    if kind in ("text", "textarea"):
        return text_value(field), None
    if kind == "email":
        return "camille.martin@example.org", None
    if kind == "phone":
        return "06 12 34 56 78", None
    if kind == "number":
        return number_value(field), None
    if kind == "date":
        return date_value(field), None
    if kind == "boolean":
        return ("oui", True) if strategy == "first" else ("non", False)
    if kind == "household_member":
        wanted = field.get("relationship")
        offered = [member["id"] for member in members if not wanted or member["relationship"] == wanted]
        chosen = offered if field.get("multiple") else pick(offered, strategy)
        return [str(item) for item in chosen], chosen
    values = [choice["value"] for choice in field["choices"]]
    if kind == "choice":
        value = pick(values, strategy)[0]
        return value, value
    if kind == "multichoice":
        chosen = pick(values, strategy, max(1, field.get("min_choices") or 1))
        return chosen, chosen
    raise AssertionError(kind)


def fill_page(defn, page, answers, strategy, members=MEMBERS):
    """(POST data, files) of a valid answer to every visible field of the page."""
    data, files = {}, {}
    kept = visible_answers(defn, answers)
    for field in page["fields"]:
        kind, field_id = field["type"], field["id"]
        if kind in ("title", "comment", "computed") or not evaluate(field.get("condition"), kept):
            continue
        if kind == "file":
            files[field_id] = [1]
            continue
        if kind == "address":
            data.update({f"{field_id}__street": "3 rue des Lilas", f"{field_id}__postcode": "54470",
                         f"{field_id}__city": "Saint-Aubin"})
            if field.get("map"):
                data.update({f"{field_id}__lat": "48.6921", f"{field_id}__lon": "6.1844"})
            kept[field_id] = {"street": "3 rue des Lilas"}
            continue
        if kind == "block":
            for index in range(max(1, field.get("min_items") or 0)):
                for sub in field["fields"]:
                    if sub["type"] in ("title", "comment"):
                        continue
                    data[f"{field_id}__{index}__{sub['id']}"] = simple_value(sub, strategy)[0]
            kept[field_id] = [{}]
            continue
        raw, answer = simple_value(field, strategy, members)
        data[field_id] = raw
        kept[field_id] = raw if answer is None else answer
    return data, files


def submit_everything(defn, strategy):
    """Fill in every page shown, in order, as the citizen would: returns (answers, pages filled)."""
    answers, filled = {}, []
    for page in defn["pages"]:
        if not evaluate(page.get("condition"), visible_answers(defn, answers)):
            continue
        data, files = fill_page(defn, page, answers, strategy)
        page_answers, errors = formdefs.clean_page(defn, page["id"], data, files, answers, members=MEMBERS)
        assert errors == {}, f"page {page['id']} ({strategy}) : {errors}"
        answers.update(page_answers)
        filled.append((page, data, files, dict(answers)))
    return answers, filled


# --- the tests -----------------------------------------------------------------------------------------------

def test_the_twenty_procedures_of_the_field_studies_are_shipped():
    missing = sorted(set(REQUIRED) - set(KEYS))
    assert not missing, f"Démarches manquantes : {missing}"
    assert len(KEYS) >= 20
    for key in KEYS:
        assert load(key)["procedure"]["slug"] == key, "le fichier porte le nom de la démarche"


@pytest.mark.parametrize("key", KEYS)
def test_file_is_a_valid_procedure(key):
    data = load(key)
    assert data["format"] == exchange.FORMAT
    procedure = data["procedure"]
    assert procedure["theme"] in Theme.values
    assert procedure["who_may_submit"] in WhoMaySubmit.values
    assert procedure["deadline_unit"] in DeadlineUnit.values
    assert procedure["silence_means"] in SilenceMeans.values
    assert procedure["title"] and procedure["short_description"] and procedure["documents_needed"]
    assert procedure["keywords"]
    assert formdefs.validate_definition(data["form"]) == []
    # "coordonnees" is the citizen's journey step for the contact details of a request made without account.
    assert all(page["id"] != CONTACT_STEP for page in data["form"]["pages"])
    assert validate_workflow(data["workflow"]["definition"]) == []


@pytest.mark.parametrize("key", KEYS)
def test_workflow_is_realistic(key):
    """French labels, colours readable with white text (AA), messages that exist, an end and a retention."""
    definition = load(key)["workflow"]["definition"]
    statuses = definition["statuses"]
    assert any(status["final"] for status in statuses)
    assert any(status.get("buttons") for status in statuses)
    for status in statuses:
        assert status["label"][0].isupper()
        assert contrast_with_white(status["colour"]) >= 4.5, status["id"]
        for action in all_actions(status):
            if action["type"] == "notify":
                assert action["message"] in KINDS
                if action["message"] == "message.free":  # its whole body is the text
                    assert action.get("text"), "chaque message dit ce que signifie le nouveau statut"
        if status["final"]:
            assert any(action["type"] == "anonymise_after" for action in status["on_enter"]), status["id"]
    who = load(key)["procedure"]["who_may_submit"]
    if who != "agents":
        assert any(status["visible"] for status in statuses)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("strategy", ["first", "last"])
def test_valid_submission_is_accepted_on_every_visible_page(key, strategy):
    defn = load(key)["form"]
    answers, filled = submit_everything(defn, strategy)
    assert filled, "au moins une page est affichée"
    shown = [page["id"] for page in formdefs.visible_pages(defn, answers)]
    assert shown == [page["id"] for page, *_rest in filled]
    assert formdefs.summary(defn, answers, members=MEMBERS)


@pytest.mark.parametrize("key", KEYS)
def test_every_page_renders(key):
    defn = load(key)["form"]
    prefill = formdefs.prefill_values(defn, citizen_data())
    for strategy in ("first", "last"):
        answers, _filled = submit_everything(defn, strategy)
        for page in defn["pages"]:
            form = formdefs.build_page_form(defn, page["id"], answers=answers, prefill=prefill, files_offered={},
                                            members=MEMBERS)
            html = form.render()
            assert html.strip(), page["id"]
            for field in page["fields"]:
                if field["type"] not in ("computed", "comment") and evaluate(field.get("condition"), answers) \
                        and evaluate(page.get("condition"), answers) and field["type"] != "block":
                    assert escape_like(field["label"]) in html, (page["id"], field["id"])


@pytest.mark.parametrize("key", KEYS)
def test_prefill_reads_the_profile(key):
    defn = load(key)["form"]
    prefill = formdefs.prefill_values(defn, citizen_data())
    for _page, field in formdefs.iter_fields(defn):
        if field.get("prefill") == "profile.last_name":
            assert prefill.get(field["id"]) == "Martin"
        if field.get("prefill") == "profile.email":
            assert prefill.get(field["id"]) == "camille.martin@example.org"


def test_prefill_from_the_household_and_the_address():
    prefill = formdefs.prefill_values(load("preinscription-restauration-periscolaire")["form"], citizen_data())
    assert [item["prenom"] for item in prefill["enfants_inscrits"]] == ["Léa", "Hugo"]
    assert prefill["payeur_adresse"]["postcode"] == "54470"
    assert prefill["payeur_nom"] == "Martin" and prefill["payeur_civilite"] == "mme"


def test_computed_value_is_computed_not_read():
    from guichet.formdefs.computed import profile_context

    defn = load("inscription-listes-electorales")["form"]
    answers, filled = submit_everything(defn, "first")
    page, data, files, _after = next(item for item in filled if item[0]["id"] == "identite")
    before = {key: value for key, value in answers.items() if key not in {f["id"] for f in page["fields"]}}
    page_answers, errors = formdefs.clean_page(defn, "identite", {**data, "commune_profil": "Ailleurs"}, files,
                                               before, members=MEMBERS, context=profile_context(citizen_data()))
    assert errors == {} and page_answers["commune_profil"] == "Saint-Aubin"


def shown_pages(key, **answers):
    return [page["id"] for page in formdefs.visible_pages(load(key)["form"], answers)]


def test_certificate_pages_follow_the_answers():
    key = "demande-acte-etat-civil"
    assert "titulaire" not in shown_pages(key, type_acte="naissance", pour_qui="moi-meme")
    assert "titulaire" in shown_pages(key, type_acte="naissance", pour_qui="tiers")
    # A death certificate always concerns someone else, and has only one form (copie intégrale).
    assert "concerne" not in shown_pages(key, type_acte="deces")
    assert "titulaire" in shown_pages(key, type_acte="deces")
    defn = load(key)["form"]
    format_field = formdefs.find_field(defn, "format_acte")
    assert not formdefs.is_visible(format_field, {"type_acte": "deces"})
    assert [choice["value"] for choice in format_field["choices"]][:3] == [
        "copie-integrale", "extrait-filiation", "extrait-sans-filiation"]


def test_graffiti_owner_page_only_for_a_private_wall():
    key = "enlevement-graffitis"
    assert "proprietaire" in shown_pages(key, support="mur-prive")
    assert "proprietaire" not in shown_pages(key, support="mur-public")
    lieu = formdefs.find_field(load(key)["form"], "lieu")
    assert lieu["type"] == "address" and lieu["map"] is True


def test_rules_are_stated_where_citizens_read_them():
    comments = {key: " ".join(field.get("text", "") for _page, field in formdefs.iter_fields(load(key)["form"])
                               if field["type"] == "comment") for key in KEYS}
    assert "9 heures" in comments["annulation-repas-cantine"]
    assert "6e vendredi" in comments["inscription-listes-electorales"]
    assert "gratuite" in comments["demande-acte-etat-civil"]
    assert "48 heures" in comments["operation-tranquillite-vacances"]
    electoral = load("inscription-listes-electorales")["form"]
    assert formdefs.is_visible(formdefs.find_field(electoral, "pays_ue"), {"nationalite": "ue"})
    assert not formdefs.is_visible(formdefs.find_field(electoral, "pays_ue"), {"nationalite": "francaise"})
    subsidy = load("demande-subvention-association")["form"]
    assert formdefs.find_field(subsidy, "association_siret")["validation"]["format"] == "siret"
    assert formdefs.find_field(subsidy, "association_rna")["validation"]["pattern"] == r"^W[0-9]{9}$"
    answers, filled = submit_everything(subsidy, "first")
    page, data, files, _after = filled[0]
    for bad in ({"association_rna": "W12345"}, {"association_siret": "73282932000075"}):
        page_answers, errors = formdefs.clean_page(subsidy, page["id"], {**data, **bad}, files, {})
        assert set(errors) == set(bad) and page_answers == {}


@pytest.mark.parametrize("key", KEYS)
def test_missing_required_answer_is_refused(key):
    defn = load(key)["form"]
    _answers, filled = submit_everything(defn, "first")
    checked = 0
    for page, data, files, answers_after in filled:
        answers_before = {k: v for k, v in answers_after.items()
                          if k not in {field["id"] for field in page["fields"]}}
        for field in page["fields"]:
            if not field.get("required") or field["type"] in ("computed", "block", "address"):
                continue
            if field["id"] not in data and field["id"] not in files:
                continue
            forged = {name: value for name, value in data.items() if name != field["id"]}
            forged_files = {name: value for name, value in files.items() if name != field["id"]}
            page_answers, errors = formdefs.clean_page(defn, page["id"], forged, forged_files, answers_before,
                                                       members=MEMBERS)
            assert field["id"] in errors, (page["id"], field["id"])
            assert page_answers == {}
            assert errors[field["id"]][0]
            checked += 1
    assert checked, "la démarche a au moins un champ obligatoire"


@pytest.mark.parametrize("key", KEYS)
def test_choice_not_offered_is_refused(key):
    defn = load(key)["form"]
    _answers, filled = submit_everything(defn, "first")
    checked = 0
    for page, data, files, answers_after in filled:
        answers_before = {k: v for k, v in answers_after.items()
                          if k not in {field["id"] for field in page["fields"]}}
        for field in page["fields"]:
            if field["type"] not in ("choice", "multichoice") or field["id"] not in data:
                continue
            forged = {**data, field["id"]: ["inventee"] if field["type"] == "multichoice" else "inventee"}
            page_answers, errors = formdefs.clean_page(defn, page["id"], forged, files, answers_before,
                                                       members=MEMBERS)
            assert field["id"] in errors and page_answers == {}, (page["id"], field["id"])
            checked += 1
    assert checked, "la démarche propose au moins un choix"


@pytest.mark.parametrize("key", KEYS)
def test_hidden_fields_are_not_required_and_forged_answers_are_dropped(key):
    """A field hidden by a condition is not required, and an answer sent for it anyway is discarded."""
    defn = load(key)["form"]
    answers, filled = submit_everything(defn, "first")
    for page, data, files, answers_after in filled:
        answers_before = {k: v for k, v in answers_after.items()
                          if k not in {field["id"] for field in page["fields"]}}
        forged = {**data, "champ_inexistant": "valeur", "commune_profil": "Ailleurs"}
        page_answers, errors = formdefs.clean_page(defn, page["id"], forged, files, answers_before, members=MEMBERS)
        assert errors == {}
        assert "champ_inexistant" not in page_answers
        assert page_answers.get("commune_profil", "") != "Ailleurs"


# --- import into a collectivité ---------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("key", KEYS)
def test_imports_published_with_the_suggested_service(key, organisation):
    for slug, name in DEMO_SERVICES.items():
        make_service(organisation, name=name, slug=slug)
    data = load(key)
    result = exchange.import_catalogue_procedure(organisation, key)
    procedure = Procedure.objects.of(organisation).get(slug=key)
    assert procedure.pk == result.procedure.pk
    assert procedure.state == Procedure.State.PUBLISHED
    version = procedure.current_version
    assert version is not None and version.number == 1
    assert version.form == data["form"]
    assert version.workflow == data["workflow"]["definition"]
    suggested = data["procedure"]["service"]
    if suggested in DEMO_SERVICES:
        assert procedure.service.slug == suggested
        assert result.notices == []
    else:
        assert procedure.service is None
        assert any(suggested in notice for notice in result.notices)


@pytest.mark.django_db
def test_whole_catalogue_loads_once_and_shares_identical_workflows(organisation, other_organisation):
    imported = exchange.load_catalogue(organisation)
    assert sorted(procedure.slug for procedure in imported) == sorted(KEYS)
    assert exchange.load_catalogue(organisation) == []
    assert Procedure.objects.of(organisation).filter(state=Procedure.State.PUBLISHED).count() == len(KEYS)
    voirie = Procedure.objects.of(organisation).get(slug="signalement-voirie")
    espaces_verts = Procedure.objects.of(organisation).get(slug="nettoyage-espaces-verts")
    assert voirie.workflow_id == espaces_verts.workflow_id
    # Another collectivité gets its own copies.
    exchange.load_catalogue(other_organisation)
    assert Procedure.objects.of(other_organisation).count() == len(KEYS)
    assert not Procedure.objects.of(other_organisation).filter(workflow__organisation=organisation).exists()


# --- helpers ------------------------------------------------------------------------------------------------

def all_actions(status):
    yield from status.get("on_enter") or []
    for button in status.get("buttons") or []:
        yield from button.get("actions") or []


def contrast_with_white(colour):
    def channel(value):
        value = value / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[index:index + 2], 16) for index in (1, 3, 5))
    luminance = 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
    return 1.05 / (luminance + 0.05)


def escape_like(text):
    """A label as Django escapes it in HTML (apostrophes and quotes)."""
    return re.sub("'", "&#x27;", text.replace("&", "&amp;").replace('"', "&quot;"))
