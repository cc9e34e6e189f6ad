"""Definition validation reports every problem with its location, in French."""

import copy

from guichet.formdefs import validate_definition

BRIEF_EXAMPLE = {"pages": [
    {"id": "demandeur", "title": "Vous", "condition": None, "fields": [
        {"id": "nom", "type": "text", "label": "Nom", "help": "", "required": True,
         "validation": {"min_length": 1, "max_length": 100, "pattern": None, "format": None},
         "default": None, "prefill": "profile.last_name", "condition": None},
        {"id": "motif", "type": "choice", "widget": "radio", "label": "Motif", "required": True,
         "choices": [{"value": "naissance", "label": "Acte de naissance"},
                     {"value": "mariage", "label": "Acte de mariage"}]},
        {"id": "enfants", "type": "block", "label": "Enfants", "min_items": 1, "max_items": 6,
         "fields": [{"id": "prenom", "type": "text", "label": "Prénom", "required": True}]},
        {"id": "justificatif", "type": "file", "label": "Justificatif de domicile", "required": True,
         "accept": ["pdf", "jpeg", "png"], "max_size_mb": 5, "max_files": 1, "document_type": "justificatif-domicile"},
    ]},
    {"id": "mariage", "title": "Mariage", "condition": {"field": "motif", "op": "eq", "value": "mariage"},
     "fields": [{"id": "date-mariage", "type": "date", "label": "Date du mariage", "max": "today"},
                {"id": "ville", "type": "computed", "label": "Ville", "expression": "{{ profile.city }}"}]},
]}


def problems(defn):
    return {problem.path: problem.message for problem in validate_definition(defn)}


def test_the_brief_example_is_valid():
    assert validate_definition(BRIEF_EXAMPLE) == []


def test_every_problem_is_reported_with_its_location():
    defn = copy.deepcopy(BRIEF_EXAMPLE)
    fields = defn["pages"][0]["fields"]
    fields[0]["type"] = "texte"
    fields[1]["choices"].append({"value": "naissance", "label": "Encore"})
    fields[2]["fields"].append({"id": "sous-bloc", "type": "block", "label": "X", "max_items": 2, "fields": []})
    fields[3]["accept"] = ["pdf", "exe"]
    fields.append({"id": "Nom Invalide", "type": "text", "label": "X"})
    fields.append({"id": "motif", "type": "text", "label": "Doublon"})
    fields.append({"id": "code", "type": "text", "label": "Code", "validation": {"pattern": "(a+)+$",
                                                                                 "min_length": 9, "max_length": 3}})
    fields.append({"id": "regle", "type": "text", "label": "Règle", "validation": {"pattern": "[a-"}})
    fields.append({"id": "avant", "type": "text", "label": "Avant",
                   "condition": {"field": "date-mariage", "op": "empty"}})
    fields.append({"id": "inconnu", "type": "text", "label": "I", "condition": {"field": "nope", "op": "zz"}})
    fields.append({"id": "pre", "type": "text", "label": "P", "prefill": "profile.shoe_size"})
    fields.append({"id": "nb", "type": "number", "label": "N", "min": 5, "max": 1})
    found = problems(defn)
    assert found["pages[0].fields[0].type"] == "Type de champ inconnu : « texte »."
    assert found["pages[0].fields[1].choices[2].value"] == "La valeur « naissance » est en double."
    assert found["pages[0].fields[2].fields[1].type"] == "Un bloc répétable ne peut pas contenir un autre bloc."
    assert found["pages[0].fields[3].accept[1]"].startswith("Type de fichier inconnu : « exe ».")
    assert found["pages[0].fields[4].id"].startswith("Identifiant de champ invalide")
    assert found["pages[0].fields[5].id"] == "L'identifiant « motif » est déjà utilisé."
    assert found["pages[0].fields[6].validation.pattern"].startswith("Le motif est trop complexe")
    assert found["pages[0].fields[6].validation.min_length"] == "Le minimum (9) est supérieur au maximum (3)."
    assert found["pages[0].fields[7].validation.pattern"].startswith("Le motif n'est pas une expression régulière")
    assert "placé après" in found["pages[0].fields[8].condition.field"]
    assert found["pages[0].fields[9].condition.field"] == "La condition dépend d'un champ inconnu : « nope »."
    assert found["pages[0].fields[9].condition.op"].startswith("Opérateur inconnu : « zz ».")
    assert found["pages[0].fields[10].prefill"].startswith("Source de pré-remplissage inconnue")
    assert found["pages[0].fields[11].min"] == "Le minimum (5) est supérieur au maximum (1)."
    assert len(found) == 14


def test_conditions_on_the_same_field_or_later_pages_are_refused():
    defn = copy.deepcopy(BRIEF_EXAMPLE)
    defn["pages"][0]["condition"] = {"field": "nom", "op": "not_empty"}
    defn["pages"][0]["fields"][0]["condition"] = {"all": [{"field": "nom", "op": "empty"}]}
    found = problems(defn)
    assert "placé après" in found["pages[0].condition.field"]
    assert "placé après" in found["pages[0].fields[0].condition.all[0].field"]


def test_prefix_and_garbage():
    assert [str(p) for p in validate_definition({"pages": []}, prefix="form")] == [
        "form.pages : Le formulaire contient au moins une page."]
    assert validate_definition("nope")[0].message.startswith("Le formulaire doit être un objet JSON")
    found = problems({"pages": [{"id": "p", "title": "", "fields": [
        {"id": "c", "type": "computed", "label": "C", "expression": "{% for x in y %}{% endfor %}"},
        {"id": "m", "type": "multichoice", "label": "M", "choices": [], "min_choices": 3},
        {"id": "d", "type": "date", "label": "D", "min": "2030-01-01", "max": "2020-01-01"},
        "texte",
    ]}]})
    assert found["pages[0].title"] == "Indiquez le titre de la page (200 caractères au plus)."
    assert "for" in found["pages[0].fields[0].expression"]
    assert found["pages[0].fields[1].choices"] == "Indiquez au moins une réponse possible."
    assert found["pages[0].fields[2].min"] == "La date minimale est après la date maximale."
    assert found["pages[0].fields[3]"] == "Un champ est décrit par un objet."
