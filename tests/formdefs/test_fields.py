"""Every field type: good and bad input, French messages, forged input."""

import datetime

import pytest
from django.http import QueryDict
from django.utils import timezone

from guichet.formdefs import clean_page, file_field_rules, reused_documents
from guichet.formdefs import formats

from .conftest import form_with


def clean(field, data, files=None, **kwargs):
    return clean_page(form_with(field), "page", data, files or {}, {}, **kwargs)


def ok(field, data, **kwargs):
    answers, errors = clean(field, data, **kwargs)
    assert errors == {}, errors
    return answers.get(field["id"])


def error(field, data, **kwargs):
    answers, errors = clean(field, data, **kwargs)
    assert answers == {}
    return errors


def test_text_lengths_pattern_and_required():
    field = {"id": "nom", "type": "text", "label": "Nom", "required": True,
             "validation": {"min_length": 2, "max_length": 5, "pattern": "[A-Z][a-z]+"}}
    assert error(field, {"nom": "Léo"}) == {"nom": ["Le format de la réponse n'est pas celui attendu."]}
    assert ok(field, {"nom": " Luc "}) == "Luc"
    assert error(field, {"nom": ""}) == {"nom": ["Ce champ est obligatoire."]}
    assert error(field, {"nom": "L"}) == {"nom": ["Ce texte est trop court : 2 caractères au moins."]}
    assert "trop long" in error(field, {"nom": "Lucienne"})["nom"][0]
    assert error(field, {"nom": "luc"}) == {"nom": ["Le format de la réponse n'est pas celui attendu."]}
    field["validation"]["pattern_message"] = "Une majuscule puis des minuscules."
    assert error(field, {"nom": "luc"}) == {"nom": ["Une majuscule puis des minuscules."]}


def test_text_refuses_nul_and_huge_input_quickly():
    field = {"id": "t", "type": "text", "label": "T", "validation": {"pattern": "[a-z]+-[0-9]+"}}
    assert "non autorisé" in error(field, {"t": "a\x00b"})["t"][0]
    assert "trop long" in error(field, {"t": "a" * 100_000})["t"][0]
    assert error(field, {"t": "a" * 999 + "!"}) == {"t": ["Le format de la réponse n'est pas celui attendu."]}


def test_textarea_keeps_lines():
    field = {"id": "t", "type": "textarea", "label": "T", "validation": {"max_length": 20}}
    assert ok(field, {"t": "un\r\ndeux\r\n"}) == "un\ndeux"
    assert "20 caractères" in error(field, {"t": "x" * 21})["t"][0]


@pytest.mark.parametrize("fmt,good,stored,bad", [
    ("postcode", "54000", "54000", "5400"),
    ("siret", "732 829 320 00074", "73282932000074", "73282932000075"),
    ("siret", "35600000000048", "35600000000048", "35600000000049"),  # La Poste's head office: Luhn
    ("siret", "35600000012341", "35600000012341", "35600000012342"),  # La Poste's offices: digits sum % 5
    ("siren", "732 829 320", "732829320", "732829321"),
    ("iban", "fr76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189", "FR7630006000011234567890188"),
    ("iban", "DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "DE8937040044053201300"),
])
def test_french_formats(fmt, good, stored, bad):
    field = {"id": "x", "type": "text", "label": "X", "validation": {"format": fmt}}
    assert ok(field, {"x": good}) == stored
    assert error(field, {"x": bad}) == {"x": [str(formats.MESSAGES[fmt])]}


def test_la_poste_rule_and_iban_country_length():
    assert formats.siret("35600000012341") and not formats.luhn_ok("35600000012341")
    assert formats.iban("FR763000600001123456789018") is None  # 26 characters for France
    assert formats.postcode("٥٤٠٠٠") is None  # only ASCII digits


def test_email():
    field = {"id": "mel", "type": "email", "label": "Courriel", "required": True}
    assert ok(field, {"mel": " lea@exemple.fr "}) == "lea@exemple.fr"
    assert error(field, {"mel": "lea@"}) == {"mel": ["Indiquez une adresse électronique valide, par exemple "
                                                     "nom@exemple.fr."]}


def test_phone():
    field = {"id": "tel", "type": "phone", "label": "Téléphone"}
    assert ok(field, {"tel": "06 12 34 56 78"}) == "+33612345678"
    assert ok(field, {"tel": "0692 12 34 56"}) == "+262692123456"
    assert error(field, {"tel": "+44 20 7946 0958"}) == {
        "tel": ["Indiquez un numéro de téléphone français valide, par exemple 06 12 34 56 78."]}
    assert ok(field, {"tel": ""}) is None


def test_number():
    field = {"id": "n", "type": "number", "label": "N", "min": 1, "max": 10, "decimals": 1}
    assert ok(field, {"n": "2,5"}) == "2.5"
    assert ok(field, {"n": " 10 "}) == "10"
    assert error(field, {"n": "2,55"}) == {"n": ["Indiquez un nombre avec au plus 1 décimale."]}
    assert error(field, {"n": "0"}) == {"n": ["Le nombre doit être supérieur ou égal à 1."]}
    assert error(field, {"n": "11"}) == {"n": ["Le nombre doit être inférieur ou égal à 10."]}
    assert error(field, {"n": "1e3"}) == {"n": ["Indiquez un nombre, par exemple 12 ou 12,5."]}
    assert error({**field, "decimals": 0}, {"n": "2.5"}) == {"n": ["Indiquez un nombre entier."]}


def test_date_with_today_bounds():
    today = timezone.localdate()
    field = {"id": "d", "type": "date", "label": "D", "min": "today", "max": "2100-01-01"}
    assert ok(field, {"d": today.isoformat()}) == today.isoformat()
    later = today + datetime.timedelta(days=3)
    assert ok(field, {"d": later.strftime("%d/%m/%Y")}) == later.isoformat()
    yesterday = today - datetime.timedelta(days=1)
    assert error(field, {"d": yesterday.isoformat()}) == {
        "d": [f"La date doit être le {today.strftime('%d/%m/%Y')} ou après."]}
    assert error(field, {"d": "2025-02-30"}) == {"d": ["Indiquez une date valide, par exemple 14/07/2025."]}
    assert error(field, {"d": "2100-01-02"}) == {"d": ["La date doit être le 01/01/2100 ou avant."]}


def test_boolean():
    field = {"id": "b", "type": "boolean", "label": "B", "required": True}
    assert ok(field, {"b": "oui"}) is True
    assert ok(field, {"b": "non"}) is False
    assert error(field, {}) == {"b": ["Répondez par oui ou par non."]}
    assert error(field, {"b": "peut-être"}) == {"b": ["Répondez par oui ou par non."]}


CHOICES = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}, {"value": "c", "label": "C"}]


def test_choice_refuses_values_not_in_the_list():
    field = {"id": "c", "type": "choice", "label": "C", "required": True, "choices": CHOICES}
    assert ok(field, {"c": "b"}) == "b"
    assert error(field, {"c": "z"}) == {"c": ["Choisissez une des réponses proposées."]}
    assert error(field, {}) == {"c": ["Choisissez une réponse."]}


def test_multichoice_counts_and_order():
    field = {"id": "m", "type": "multichoice", "label": "M", "choices": CHOICES, "min_choices": 2,
             "max_choices": 2}
    assert ok(field, QueryDict("m=c&m=a&m=c")) == ["a", "c"]
    assert error(field, QueryDict("m=a")) == {"m": ["Cochez au moins 2 réponses."]}
    assert error(field, QueryDict("m=a&m=b&m=c")) == {"m": ["Cochez au plus 2 réponses."]}
    assert error(field, QueryDict("m=a&m=zz")) == {"m": ["Choisissez parmi les réponses proposées."]}


def test_household_member_among_the_citizens_members_only():
    members = [{"id": 7, "relationship": "child", "first_name": "Léa", "last_name": "Martin"},
               {"id": 8, "relationship": "spouse", "first_name": "Paul", "last_name": "Martin"}]
    field = {"id": "h", "type": "household_member", "label": "Enfant", "relationship": "child", "required": True}
    assert ok(field, {"h": "7"}, members=members) == [7]
    message = {"h": ["Choisissez une personne de votre foyer parmi celles proposées."]}
    assert error(field, {"h": "8"}, members=members) == message  # not a child
    assert error(field, {"h": "999"}, members=members) == message  # another citizen's member
    several = {"id": "h", "type": "household_member", "label": "Qui", "multiple": True}
    assert ok(several, QueryDict("h=8&h=7"), members=members) == [8, 7]
    assert error({**several, "multiple": False}, QueryDict("h=8&h=7"), members=members) == {
        "h": ["Choisissez une seule personne."]}


def test_address():
    field = {"id": "a", "type": "address", "label": "Adresse", "required": True, "map": True}
    assert ok(field, {"a__street": "1 place Stanislas", "a__postcode": "54000", "a__city": "Nancy",
                      "a__lat": "48,6937", "a__lon": "6.1834"}) == {
        "street": "1 place Stanislas", "postcode": "54000", "city": "Nancy", "lat": 48.6937, "lon": 6.1834}
    assert error(field, {}) == {"a__street": ["Indiquez l'adresse."]}
    assert error(field, {"a__street": "1 rue", "a__postcode": "540", "a__city": ""}) == {
        "a__postcode": ["Le code postal compte 5 chiffres, par exemple 54000."], "a__city": ["Indiquez la commune."]}
    assert error(field, {"a__street": "1 rue", "a__postcode": "54000", "a__city": "Nancy", "a__lat": "91",
                         "a__lon": "0"}) == {"a__lat": ["Le point choisi sur la carte n'est pas valide."]}


def test_block_items_min_and_max():
    field = {"id": "e", "type": "block", "label": "Enfants", "min_items": 2, "max_items": 3, "fields": [
        {"id": "prenom", "type": "text", "label": "Prénom", "required": True},
        {"id": "age", "type": "number", "label": "Âge"}]}
    data = {"e__0__prenom": "Léa", "e__1__age": "", "e__2__prenom": "Tom", "e__2__age": "4", "e__3__prenom": "X"}
    assert ok(field, data) == [{"prenom": "Léa"}, {"prenom": "Tom", "age": "4"}]  # index 3 > max: ignored
    assert error(field, {"e__0__prenom": "Léa"}) == {"e__0__prenom": ["Remplissez au moins 2 éléments."]}
    assert error(field, {"e__1__age": "3"}) == {"e__1__prenom": ["Ce champ est obligatoire."]}


def test_files_counts_and_rules():
    field = {"id": "f", "type": "file", "label": "Pièce", "required": True, "accept": ["pdf"], "max_files": 2,
             "max_size_mb": 3, "document_type": "rib"}
    assert ok(field, {}, files={"f": [4, 5]}) == [4, 5]
    assert error(field, {}, files={}) == {"f": ["Joignez ce document."]}
    assert error(field, {}, files={"f": [1, 2, 3]}) == {"f": ["Vous pouvez joindre au plus 2 fichiers."]}
    assert ok(field, {"f": "forged"}, files={"f": [9]}) == [9]  # the POST never names attachments
    rules = file_field_rules(form_with(field), "f")
    assert (rules.accept, rules.max_size_mb, rules.max_files, rules.document_type) == (("pdf",), 3.0, 2, "rib")
    offered = {"f": [(11, "RIB vérifié"), (12, "Autre RIB")]}
    assert reused_documents(form_with(field), "page", QueryDict("f__reuse=12&f__reuse=99"), offered) == {"f": [12]}


def test_computed_values_are_computed_never_read_from_the_post():
    field = {"id": "ville", "type": "computed", "label": "Commune", "expression": "{{ profile.city|upper }}"}
    context = {"profile": {"city": "Nancy"}, "household": {"children_count": 0, "members_count": 0}}
    answers, errors = clean_page(form_with(field), "page", {"ville": "Paris"}, {}, {}, context=context)
    assert answers == {"ville": "NANCY"} and errors == {}


def test_forged_keys_and_hidden_fields_are_dropped():
    defn = form_with(
        {"id": "motif", "type": "choice", "label": "Motif", "choices": CHOICES},
        {"id": "detail", "type": "text", "label": "Détail", "required": True,
         "condition": {"field": "motif", "op": "eq", "value": "a"}},
    )
    answers, errors = clean_page(defn, "page", {"motif": "b", "detail": "forgé", "admin": "1", "status": "x"},
                                 {}, {})
    assert answers == {"motif": "b"} and errors == {}
    answers, errors = clean_page(defn, "page", {"motif": "a"}, {}, {})
    assert errors == {"detail": ["Ce champ est obligatoire."]}
