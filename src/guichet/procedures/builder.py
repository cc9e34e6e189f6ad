"""The form builder's plumbing between HTML forms and form-definition dicts (no database, no request).

Which settings each field type offers, how "value|label" lines become choices, how the small structured
condition editor (rows of field / operator / value, combined with « toutes » or « au moins une ») maps to a
condition dict and back.
"""

from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.formdefs.schema import (
    BLOCK_SUBFIELD_TYPES, DISPLAY_TYPES, FIELD_TYPES, ID_PATTERN, RESERVED_IDS, TYPE_LABELS, holds_value, page_fields,
    pages,
)

# Settings offered for each type, in the order of the edit form (common ones — label, help, required,
# condition — are handled separately).
TYPE_SETTINGS = {
    "title": [],
    "comment": ["text"],
    "text": ["min_length", "max_length", "format", "pattern", "pattern_message", "default", "prefill"],
    "textarea": ["min_length", "max_length", "default", "prefill"],
    "email": ["default", "prefill"],
    "phone": ["default", "prefill"],
    "number": ["min", "max", "decimals", "default"],
    "date": ["date_min", "date_max", "prefill"],
    "boolean": [],
    "choice": ["widget", "choices", "default"],
    "multichoice": ["choices", "min_choices", "max_choices"],
    "file": ["accept", "max_size_mb", "max_files", "document_type"],
    "address": ["map", "prefill"],
    "household_member": ["multiple", "relationship"],
    "block": ["min_items", "max_items", "prefill"],
    "computed": ["expression"],
}
# Pre-fill sources that make sense for each type.
PREFILL_BY_TYPE = {
    "text": ["profile.civility", "profile.first_name", "profile.last_name", "profile.address_line", "profile.postcode",
             "profile.city", "profile.full_address", "profile.email", "profile.phone"],
    "textarea": ["profile.full_address"],
    "email": ["profile.email"],
    "phone": ["profile.phone"],
    "date": ["profile.birth_date"],
    "address": ["profile.full_address"],
    "block": ["household.children", "household.spouse", "household.members"],
}
PREFILL_LABELS = {
    "profile.civility": gettext_lazy("Civilité de l'usager"),
    "profile.first_name": gettext_lazy("Prénom de l'usager"),
    "profile.last_name": gettext_lazy("Nom de l'usager"),
    "profile.birth_date": gettext_lazy("Date de naissance de l'usager"),
    "profile.email": gettext_lazy("Adresse électronique de l'usager"),
    "profile.phone": gettext_lazy("Téléphone de l'usager"),
    "profile.address_line": gettext_lazy("Adresse (numéro et voie) de l'usager"),
    "profile.postcode": gettext_lazy("Code postal de l'usager"),
    "profile.city": gettext_lazy("Commune de l'usager"),
    "profile.full_address": gettext_lazy("Adresse complète de l'usager"),
    "household.children": gettext_lazy("Enfants du foyer (un bloc par enfant)"),
    "household.spouse": gettext_lazy("Conjoint (un bloc)"),
    "household.members": gettext_lazy("Membres du foyer (un bloc par membre)"),
}
OPERATOR_LABELS = {
    "eq": gettext_lazy("est égal à"),
    "ne": gettext_lazy("est différent de"),
    "in": gettext_lazy("fait partie de (valeurs séparées par des virgules)"),
    "not_in": gettext_lazy("ne fait pas partie de (valeurs séparées par des virgules)"),
    "empty": gettext_lazy("n'est pas renseigné"),
    "not_empty": gettext_lazy("est renseigné"),
    "gt": gettext_lazy("est supérieur à"),
    "lt": gettext_lazy("est inférieur à"),
    "gte": gettext_lazy("est supérieur ou égal à"),
    "lte": gettext_lazy("est inférieur ou égal à"),
    "true": gettext_lazy("est « oui »"),
    "false": gettext_lazy("est « non »"),
}
UNARY = ("empty", "not_empty", "true", "false")
LIST_OPS = ("in", "not_in")
CONDITION_ROWS = 3


def type_choices(in_block=False):
    allowed = BLOCK_SUBFIELD_TYPES if in_block else FIELD_TYPES
    return [(kind, TYPE_LABELS[kind]) for kind in allowed]


def type_label(kind):
    return TYPE_LABELS.get(kind, kind)


def takes_answer(kind):
    return kind not in DISPLAY_TYPES and kind != "computed"


# --- ids ---------------------------------------------------------------------------------------------------------


def all_ids(defn):
    """Every page id and top-level field id of the definition."""
    ids = set()
    for page in pages(defn):
        ids.add(page.get("id"))
        for field in page_fields(page):
            ids.add(field.get("id"))
    return ids


def block_ids(block):
    return {field.get("id") for field in page_fields(block)}


def new_id(text, taken, fallback="champ"):
    """An id made from a label, unique among `taken`: « Date de naissance » → date-de-naissance(-2…)."""
    base = slugify(text or "")[:50].strip("-_") or fallback
    if not base[0].isalpha():
        base = f"{fallback}-{base}"
    if base in RESERVED_IDS:
        base = f"{base}-1"
    candidate, counter = base, 2
    while candidate in taken or not ID_PATTERN.match(candidate):
        candidate = f"{base}-{counter}"
        counter += 1
        if counter > 999:
            raise ValueError("no free id")
    return candidate


def check_new_id(value, taken):
    """A French error message when `value` cannot be the id of a new page or field, else None."""
    if not ID_PATTERN.match(value):
        return _("L'identifiant commence par une lettre et ne contient que des lettres minuscules sans accent, "
                 "des chiffres, des tirets ou des soulignés (63 caractères au plus).")
    if value in RESERVED_IDS:
        return _("Cet identifiant est réservé : choisissez-en un autre.")
    if value in taken:
        return _("Cet identifiant est déjà utilisé dans le formulaire.")
    return None


# --- choices -------------------------------------------------------------------------------------------------------


def choices_to_lines(choices):
    lines = []
    for choice in choices or []:
        if isinstance(choice, dict):
            value, label = choice.get("value", ""), choice.get("label", "")
            lines.append(value if value == label else f"{value}|{label}")
    return "\n".join(lines)


def lines_to_choices(text):
    """"value|label" lines (or just a label: its value is made from it) → (choices, [French errors])."""
    choices, errors, seen = [], [], set()
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if "|" in line:
            value, label = (part.strip() for part in line.split("|", 1))
        else:
            label = line
            value = slugify(line) or line
        if not value or not label:
            errors.append(_("Ligne %(n)s : indiquez la valeur et le libellé, sous la forme « valeur|libellé ».")
                          % {"n": number})
            continue
        if value in seen:
            errors.append(_("Ligne %(n)s : la valeur « %(value)s » est déjà utilisée par un autre choix.")
                          % {"n": number, "value": value})
            continue
        seen.add(value)
        choices.append({"value": value, "label": label})
    return choices, errors


# --- conditions ----------------------------------------------------------------------------------------------------


def condition_to_rows(condition):
    """(mode, rows, representable) from a condition: rows are dicts field/op/value (value as text)."""
    if condition is None:
        return "all", [], True
    if not isinstance(condition, dict):
        return "all", [], False
    mode, parts = "all", [condition]
    if "all" in condition or "any" in condition:
        mode = "all" if "all" in condition else "any"
        parts = condition.get(mode)
        if not isinstance(parts, list):
            return mode, [], False
    rows = []
    for part in parts:
        if not isinstance(part, dict) or "field" not in part or "op" not in part:
            return mode, [], False
        value = part.get("value")
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = ""
        rows.append({"field": part["field"], "op": part["op"], "value": str(value)})
    return mode, rows, True


def rows_to_condition(mode, rows):
    """Rows (field, op, value text) → a condition dict (None without rows)."""
    parts = []
    for row in rows:
        part = {"field": row["field"], "op": row["op"]}
        if row["op"] in LIST_OPS:
            part["value"] = [item.strip() for item in row["value"].split(",") if item.strip()]
        elif row["op"] not in UNARY:
            part["value"] = row["value"].strip()
        parts.append(part)
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return {mode: parts}


def condition_fields(defn, exclude=()):
    """(id, "label (id)") of the fields a condition may test: top-level fields holding an answer."""
    result = []
    for page in pages(defn):
        for field in page_fields(page):
            field_id = field.get("id")
            if field_id in exclude or not holds_value(field) or field.get("type") == "block":
                continue
            result.append((field_id, f"{field.get('label') or field_id} ({field_id})"))
    return result


def describe_condition(condition, defn=None):
    """The condition in French words, for the builder's list: « Motif est égal à mariage »."""
    if condition is None:
        return ""
    labels = {}
    if defn is not None:
        for page in pages(defn):
            for field in page_fields(page):
                labels[field.get("id")] = field.get("label") or field.get("id")
    if not isinstance(condition, dict):
        return _("condition non valide")
    for mode, word in (("all", _(" et ")), ("any", _(" ou "))):
        if mode in condition and isinstance(condition[mode], list):
            return word.join(describe_condition(part, defn) for part in condition[mode])
    if "not" in condition:
        return _("non (%(inner)s)") % {"inner": describe_condition(condition["not"], defn)}
    field, op = condition.get("field"), condition.get("op")
    text = f"« {labels.get(field, field)} » {OPERATOR_LABELS.get(op, op)}"
    if op in UNARY:
        return text
    value = condition.get("value")
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    if op in LIST_OPS:
        text = f"« {labels.get(field, field)} » " + (_("fait partie de") if op == "in" else _("ne fait pas partie de"))
    return f"{text} « {value} »"
