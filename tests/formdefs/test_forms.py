"""Rendering of a page, pre-fill, summary and the builder's operations."""

import copy
import datetime

import pytest

from guichet.formdefs import build_page_form, prefill_values, summary
from guichet.formdefs import editing
from guichet.formdefs.computed import profile_context
from guichet.formdefs.schema import DefinitionError
from guichet.households.services import add_member, citizen_data

from .test_validation import BRIEF_EXAMPLE

DEFN = {"pages": [
    {"id": "vous", "title": "Vous", "fields": [
        {"id": "intro", "type": "comment", "text": "<p>Bonjour <script>alert(1)</script><strong>!</strong></p>"},
        {"id": "titre", "type": "title", "label": "Votre identité"},
        {"id": "prenom", "type": "text", "label": "Prénom", "required": True, "prefill": "profile.first_name"},
        {"id": "cp", "type": "text", "label": "Code postal", "validation": {"format": "postcode"},
         "prefill": "profile.postcode"},
        {"id": "age", "type": "number", "label": "Âge"},
        {"id": "naissance", "type": "date", "label": "Date de naissance", "prefill": "profile.birth_date"},
        {"id": "majeur", "type": "boolean", "label": "Êtes-vous majeur ?", "required": True, "help": "Au jour de la demande."},
        {"id": "detail", "type": "textarea", "label": "Précisez",
         "condition": {"field": "majeur", "op": "false"}},
        {"id": "adresse", "type": "address", "label": "Adresse", "prefill": "profile.full_address"},
        {"id": "enfants", "type": "block", "label": "Enfants", "max_items": 2, "prefill": "household.children",
         "fields": [{"id": "prenom", "type": "text", "label": "Prénom", "prefill": "member.first_name"},
                    {"id": "naissance", "type": "date", "label": "Naissance", "prefill": "member.birth_date"}]},
        {"id": "pj", "type": "file", "label": "Justificatif", "accept": ["pdf", "png"], "max_files": 2},
        {"id": "commune", "type": "computed", "label": "Commune", "expression": "{{ profile.city }}"},
    ]},
    {"id": "suite", "title": "Suite", "fields": [
        {"id": "jamais", "type": "text", "label": "Jamais", "condition": {"field": "majeur", "op": "true"}},
        {"id": "raison", "type": "choice", "widget": "select", "label": "Raison",
         "choices": [{"value": "a", "label": "A"}]},
    ]},
]}


@pytest.fixture
def data_of_citizen(db, citizen):
    citizen.first_name, citizen.postcode, citizen.city = "Léa", "54000", "Nancy"
    citizen.address_line, citizen.birth_date = "1 place Stanislas", datetime.date(1990, 5, 4)
    citizen.save()
    add_member(citizen, relationship="child", first_name="Tom", last_name="Martin",
               birth_date=datetime.date(2018, 3, 1))
    return citizen_data(citizen)


def test_page_renders_accessibly(data_of_citizen):
    form = build_page_form(DEFN, "vous", answers={}, prefill=prefill_values(DEFN, data_of_citizen),
                           files_offered={"pj": [(3, "Justificatif vérifié (2025)")]})
    html = str(form)
    assert "<script>alert" not in html and "<strong>!</strong>" in html
    assert '<h2 data-formdefs-item="titre">Votre identité</h2>' in html
    assert 'autocomplete="given-name"' in html and 'value="Léa"' in html
    assert 'inputmode="numeric"' in html and 'type="date"' in html and 'value="1990-05-04"' in html
    assert "<legend>Êtes-vous majeur ? <span" in html  # yes/no as a fieldset of radios
    assert 'data-condition="{&quot;field&quot;: &quot;majeur&quot;' in html
    assert 'name="adresse__street"' in html and 'value="1 place Stanislas"' in html
    assert 'name="enfants__0__prenom"' in html and 'value="Tom"' in html and 'name="enfants__1__prenom"' in html
    assert 'accept=".pdf,application/pdf,.png,image/png"' in html and "multiple" in html
    assert "Justificatif vérifié (2025)" in html and 'name="pj__reuse"' in html
    assert "Formats acceptés : PDF, PNG." in html
    assert "commune" not in form.fields  # computed values are never inputs
    assert ' required' not in html  # hidden fields must not block the browser
    assert "formdefs/conditions.js" in html and form.has_file_fields()


def test_errors_carry_french_messages_and_summary_links():
    form = build_page_form(DEFN, "vous", data={"cp": "123", "majeur": "peut-être"})
    assert not form.is_valid()
    html = str(form)
    assert 'href="#id_prenom"' in html and "Ce champ est obligatoire." in html
    assert "Le code postal compte 5 chiffres" in html and "Répondez par oui ou par non." in html


def test_fields_hidden_by_earlier_pages_are_left_out():
    form = build_page_form(DEFN, "suite", answers={"majeur": False})
    assert list(form.fields) == ["raison"]
    assert "— Choisissez —" in str(form)
    assert list(build_page_form(DEFN, "suite", answers={"majeur": True}).fields) == ["jamais", "raison"]
    assert build_page_form(DEFN, "nope") is None


def test_prefill_and_computed_from_the_citizen(data_of_citizen):
    values = prefill_values(DEFN, data_of_citizen)
    assert values["prenom"] == "Léa" and values["naissance"] == "1990-05-04"
    assert values["adresse"] == {"street": "1 place Stanislas", "postcode": "54000", "city": "Nancy",
                                 "lat": None, "lon": None}
    assert values["enfants"] == [{"prenom": "Tom", "naissance": "2018-03-01"}]
    assert prefill_values(DEFN, None) == {}
    form = build_page_form(DEFN, "vous", data={"prenom": "Léa", "majeur": "oui"},
                           context=profile_context(data_of_citizen))
    assert form.is_valid(), form.errors
    assert form.page_answers == {"prenom": "Léa", "majeur": True, "commune": "Nancy"}


def test_summary_in_french():
    answers = {"prenom": "Léa", "naissance": "1990-05-04", "majeur": False, "detail": "x", "age": "12.5",
               "enfants": [{"prenom": "Tom"}], "pj": [4], "raison": "a", "jamais": "caché", "forgé": 1}
    assert summary(DEFN, answers, attachments={4: "rib.pdf"}) == [
        ("Vous", [("Prénom", "Léa"), ("Âge", "12,5"), ("Date de naissance", "04/05/1990"),
                  ("Êtes-vous majeur ?", "Non"), ("Précisez", "x"), ("Enfants", "1. Prénom : Tom"),
                  ("Justificatif", "rib.pdf")]),
        ("Suite", [("Raison", "A")]),
    ]


def test_builder_operations_return_new_definitions_or_french_errors():
    original = copy.deepcopy(BRIEF_EXAMPLE)
    defn = editing.add_field(BRIEF_EXAMPLE, "demandeur", {"id": "tel", "type": "phone", "label": "Téléphone"},
                             position=1)
    assert BRIEF_EXAMPLE == original
    assert [f["id"] for f in defn["pages"][0]["fields"]][:2] == ["nom", "tel"]
    defn = editing.update_field(defn, "tel", {"required": True})
    assert defn["pages"][0]["fields"][1]["required"] is True
    defn = editing.add_field(defn, "demandeur", {"id": "age", "type": "number", "label": "Âge"}, block_id="enfants")
    assert defn["pages"][0]["fields"][3]["fields"][-1]["id"] == "age"
    defn = editing.add_page(defn, page_id="fin", title="Fin")
    defn = editing.move(defn, "tel", to_page="fin")
    assert defn["pages"][2]["fields"][0]["id"] == "tel"
    defn = editing.delete(defn, "tel")
    with pytest.raises(DefinitionError, match="déjà utilisé"):
        editing.add_field(defn, "fin", {"id": "nom", "type": "text", "label": "Nom"})
    with pytest.raises(DefinitionError, match="invalide"):
        editing.add_field(defn, "fin", {"id": "Mauvais Id", "type": "text", "label": "X"})
    with pytest.raises(DefinitionError, match="dépend de cet élément"):
        editing.delete(defn, "motif")  # the page "mariage" reads it
    with pytest.raises(DefinitionError, match="placé après"):
        editing.move(defn, "mariage", direction="up")
    with pytest.raises(DefinitionError, match="ne se modifient pas"):
        editing.update_field(defn, "nom", {"type": "email"})
    with pytest.raises(DefinitionError, match="Élément introuvable"):
        editing.delete(defn, "nope")
    with pytest.raises(DefinitionError, match="bloc répétable"):
        editing.add_field(defn, "demandeur", {"id": "b2", "type": "block", "label": "B"}, block_id="enfants")
    from guichet.formdefs import validate_definition

    # the builder may hold an empty page for a while; publication refuses it
    assert [str(p) for p in validate_definition(defn)] == ["pages[2].fields : La page ne contient aucun champ."]
    assert validate_definition(editing.add_field(editing.new_definition(), "page-1",
                                                 {"id": "choix", "type": "choice", "label": "Choix"})) == []
