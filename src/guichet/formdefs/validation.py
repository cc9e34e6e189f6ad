"""Validation of form definitions: every problem, with its location (``pages[1].fields[3].choices``) and a
French message. A definition without problems can be published, rendered and cleaned safely."""

import datetime
import re
from re import _constants as sre_constants  # the stdlib parser: sre_parse is deprecated
from re import _parser as sre_parse
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext as _

from .computed import check_expression
from .conditions import MAX_DEPTH
from .schema import (
    BLOCK_SUBFIELD_TYPES, CONDITION_OPS, DISPLAY_TYPES, FIELD_TYPES, FILE_KINDS, FORMATS, ID_PATTERN, MAX_BLOCK_ITEMS,
    MAX_CHOICES, MAX_FILE_SIZE_MB, MAX_FILES, MAX_PATTERN_LENGTH, MAX_SHORT_TEXT_LENGTH, MAX_TEXT_LENGTH,
    PREFILL_SOURCES, PROFILE_FIELDS, RELATIONSHIPS, RESERVED_IDS, UNARY_OPS,
)

MEMBER_SOURCES = ("member.civility", "member.first_name", "member.last_name", "member.birth_date")
MAX_UNBOUNDED_REPEATS = 2
MAX_PAGES = 50
MAX_FIELDS_PER_PAGE = 100


@dataclass(frozen=True)
class DefinitionProblem:
    """One problem of a definition: `path` like ``pages[1].fields[3].choices`` and a French `message`."""

    path: str
    message: str

    def __str__(self):
        return f"{self.path} : {self.message}" if self.path else self.message


# --- patterns -----------------------------------------------------------------------------------------------------

def _walk(parsed, depth=0):
    """Problems of a parsed regular expression: nested repeats, back-references, too many unbounded repeats."""
    unbounded = 0
    for op, arg in parsed:
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, getattr(sre_constants, "POSSESSIVE_REPEAT", None)):
            low, high, body = arg
            if high == sre_constants.MAXREPEAT or high > 50:
                unbounded += 1
            if depth > 0 and high > 1:
                raise ValueError("nested")
            unbounded += _walk(body, depth + (1 if high > 1 else 0))
        elif op == sre_constants.SUBPATTERN:
            unbounded += _walk(arg[-1], depth)
        elif op == sre_constants.BRANCH:
            if depth > 0:
                raise ValueError("alternation under a repeat")
            for branch in arg[1]:
                unbounded += _walk(branch, depth)
        elif op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS, sre_constants.ASSERT,
                    sre_constants.ASSERT_NOT):
            raise ValueError("construct")
    return unbounded


def pattern_problem(pattern):
    """The French problem of a validation pattern, or None when it may be used."""
    if not isinstance(pattern, str) or not pattern:
        return _("Le motif doit être un texte.")
    if len(pattern) > MAX_PATTERN_LENGTH:
        return _("Le motif est trop long : %(max)s caractères au plus.") % {"max": MAX_PATTERN_LENGTH}
    try:
        parsed = sre_parse.parse(pattern)
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as error:
        return _("Le motif n'est pas une expression régulière valide : %(error)s.") % {"error": error}
    try:
        if _walk(parsed) > MAX_UNBOUNDED_REPEATS:
            return _("Le motif est trop complexe : au plus %(n)s répétitions illimitées (*, +, {n,}).") % {
                "n": MAX_UNBOUNDED_REPEATS}
    except ValueError:
        return _("Le motif est trop complexe : pas de répétition imbriquée (comme (a+)+ ou (a|b)+), de référence arrière "
                 "ni d'assertion (?=, ?!).")
    except RecursionError:
        return _("Le motif est trop complexe.")
    return None


@lru_cache(maxsize=256)
def compile_pattern(pattern):
    """The compiled pattern when it is acceptable, None otherwise."""
    if pattern_problem(pattern) is not None:
        return None
    return re.compile(pattern)


# --- helpers ------------------------------------------------------------------------------------------------------

class Checker:
    def __init__(self, prefix):
        self.prefix = prefix
        self.problems = []

    def add(self, path, message):
        full = f"{self.prefix}.{path}" if self.prefix and path else (self.prefix or path)
        self.problems.append(DefinitionProblem(full, str(message)))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_id(check, path, value, seen, what):
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        check.add(path, _("Identifiant %(what)s invalide : lettres minuscules sans accent, chiffres, « - » ou « _ » "
                          "(commençant par une lettre, 63 caractères au plus).") % {"what": what})
        return False
    if value in RESERVED_IDS:
        check.add(path, _("L'identifiant « %(id)s » est réservé : choisissez-en un autre.") % {"id": value})
        return False
    if value in seen:
        check.add(path, _("L'identifiant « %(id)s » est déjà utilisé.") % {"id": value})
        return False
    seen.add(value)
    return True


def _check_condition(check, path, condition, known, later, depth=0):
    """`known`: ids that a condition may read (earlier fields); `later`: ids of the form placed after."""
    if condition is None:
        return
    if not isinstance(condition, dict) or depth > MAX_DEPTH:
        check.add(path, _("Condition invalide."))
        return
    for combinator in ("all", "any"):
        if combinator in condition:
            parts = condition[combinator]
            if len(condition) != 1 or not isinstance(parts, list) or not parts:
                check.add(path, _("« %(c)s » attend une liste non vide de conditions.") % {"c": combinator})
                return
            for index, part in enumerate(parts):
                _check_condition(check, f"{path}.{combinator}[{index}]", part, known, later, depth + 1)
            return
    if "not" in condition:
        if len(condition) != 1 or not isinstance(condition["not"], dict):
            check.add(path, _("« not » attend une condition."))
            return
        _check_condition(check, f"{path}.not", condition["not"], known, later, depth + 1)
        return
    field, op = condition.get("field"), condition.get("op")
    if not isinstance(field, str) or not field:
        check.add(f"{path}.field", _("Indiquez le champ dont dépend la condition."))
    elif field not in known:
        if field in later:
            check.add(f"{path}.field", _("La condition dépend du champ « %(id)s », placé après : une condition ne "
                                         "peut dépendre que d'un champ d'une page précédente ou placé plus haut "
                                         "sur la même page.") % {"id": field})
        else:
            check.add(f"{path}.field", _("La condition dépend d'un champ inconnu : « %(id)s ».") % {"id": field})
    if op not in CONDITION_OPS:
        check.add(f"{path}.op", _("Opérateur inconnu : « %(op)s ». Opérateurs possibles : %(ops)s.") % {
            "op": op, "ops": ", ".join(CONDITION_OPS)})
        return
    extra = set(condition) - {"field", "op", "value"}
    if extra:
        check.add(path, _("Clés inconnues dans la condition : %(keys)s.") % {"keys": ", ".join(sorted(map(str, extra)))})
    value = condition.get("value")
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value or not all(isinstance(item, (str, int, float, bool))
                                                                for item in value):
            check.add(f"{path}.value", _("« %(op)s » attend une liste de valeurs.") % {"op": op})
    elif op in ("gt", "lt", "gte", "lte"):
        if not (_is_number(value) or (isinstance(value, str) and value.strip())):
            check.add(f"{path}.value", _("« %(op)s » attend un nombre ou une date.") % {"op": op})
    elif op not in UNARY_OPS:
        if not isinstance(value, (str, int, float, bool)):
            check.add(f"{path}.value", _("Indiquez la valeur à comparer."))


def _label(check, path, field, required=True):
    label = field.get("label")
    if required and (not isinstance(label, str) or not label.strip()):
        check.add(f"{path}.label", _("Indiquez un libellé."))
    elif label is not None and (not isinstance(label, str) or len(label) > 500):
        check.add(f"{path}.label", _("Le libellé doit être un texte de 500 caractères au plus."))
    help_text = field.get("help")
    if help_text is not None and (not isinstance(help_text, str) or len(help_text) > 2000):
        check.add(f"{path}.help", _("L'aide doit être un texte de 2 000 caractères au plus."))


def _check_choices(check, path, field):
    choices = field.get("choices")
    if not isinstance(choices, list) or not choices:
        check.add(f"{path}.choices", _("Indiquez au moins une réponse possible."))
        return 0
    if len(choices) > MAX_CHOICES:
        check.add(f"{path}.choices", _("Trop de réponses possibles : %(max)s au plus.") % {"max": MAX_CHOICES})
    seen = set()
    for index, choice in enumerate(choices):
        where = f"{path}.choices[{index}]"
        if not isinstance(choice, dict):
            check.add(where, _("Une réponse possible a une valeur et un libellé."))
            continue
        value = choice.get("value")
        if not isinstance(value, str) or not value.strip() or value != value.strip() or len(value) > 100:
            check.add(f"{where}.value", _("La valeur d'une réponse est un texte non vide de 100 caractères au plus, "
                                          "sans espace au début ni à la fin."))
        elif value in seen:
            check.add(f"{where}.value", _("La valeur « %(value)s » est en double.") % {"value": value})
        else:
            seen.add(value)
        label = choice.get("label")
        if not isinstance(label, str) or not label.strip():
            check.add(f"{where}.label", _("Indiquez le libellé de la réponse."))
    return len(choices)


def _min_max(check, path, field, low_key, high_key, *, integer=True, low=0, high=None):
    values = {}
    for key in (low_key, high_key):
        value = field.get(key)
        if value is None:
            continue
        if not (_is_int(value) if integer else _is_number(value)) or value < low or (high is not None and value > high):
            limit = f" (≤ {high})" if high is not None else ""
            check.add(f"{path}.{key}", _("Doit être un nombre %(kind)s positif%(limit)s.") % {
                "kind": _("entier") if integer else "", "limit": limit})
            continue
        values[key] = value
    if low_key in values and high_key in values and values[low_key] > values[high_key]:
        check.add(f"{path}.{low_key}", _("Le minimum (%(min)s) est supérieur au maximum (%(max)s).") % {
            "min": values[low_key], "max": values[high_key]})
    return values


def _check_validation(check, path, field):
    rules = field.get("validation")
    if rules is None:
        return
    if not isinstance(rules, dict):
        check.add(f"{path}.validation", _("Les règles de validation sont invalides."))
        return
    where = f"{path}.validation"
    unknown = set(rules) - {"min_length", "max_length", "pattern", "pattern_message", "format"}
    if unknown:
        check.add(where, _("Règles inconnues : %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))})
    limit = MAX_TEXT_LENGTH if field.get("type") == "textarea" else MAX_SHORT_TEXT_LENGTH
    _min_max(check, where, rules, "min_length", "max_length", high=limit)
    pattern = rules.get("pattern")
    if pattern is not None:
        if field.get("type") != "text":
            check.add(f"{where}.pattern", _("Un motif ne s'applique qu'à un texte court."))
        else:
            problem = pattern_problem(pattern)
            if problem:
                check.add(f"{where}.pattern", problem)
    fmt = rules.get("format")
    if fmt is not None:
        if fmt not in FORMATS:
            check.add(f"{where}.format", _("Format inconnu : « %(format)s ». Formats possibles : %(formats)s.") % {
                "format": fmt, "formats": ", ".join(FORMATS)})
        elif field.get("type") != "text":
            check.add(f"{where}.format", _("Un format ne s'applique qu'à un texte court."))


def _date_value(value):
    if value == "today":
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _check_field(check, defn, path, field, *, ids, known, later, in_block=False):
    if not isinstance(field, dict):
        check.add(path, _("Un champ est décrit par un objet."))
        return
    kind = field.get("type")
    allowed = BLOCK_SUBFIELD_TYPES if in_block else FIELD_TYPES
    if kind not in FIELD_TYPES:
        check.add(f"{path}.type", _("Type de champ inconnu : « %(type)s ».") % {"type": kind})
        return
    if kind not in allowed:
        if kind == "block":
            check.add(f"{path}.type", _("Un bloc répétable ne peut pas contenir un autre bloc."))
        else:
            check.add(f"{path}.type", _("Un bloc répétable ne peut pas contenir ce type de champ : « %(type)s ».")
                      % {"type": kind})
        return
    _check_id(check, f"{path}.id", field.get("id"), ids, _("de champ"))
    _label(check, path, field, required=kind != "comment")
    for key in ("required", "multiple", "map"):
        if key in field and not isinstance(field[key], bool):
            check.add(f"{path}.{key}", _("Doit valoir true ou false."))
    if kind in DISPLAY_TYPES and field.get("required"):
        check.add(f"{path}.required", _("Un titre ou un commentaire ne peut pas être obligatoire."))
    if kind == "comment" and (not isinstance(field.get("text"), str) or len(field.get("text")) > 20_000):
        check.add(f"{path}.text", _("Indiquez le texte du commentaire (20 000 caractères au plus)."))
    if kind in ("text", "textarea"):
        _check_validation(check, path, field)
    elif field.get("validation") not in (None, {}):
        rules = field.get("validation")
        if isinstance(rules, dict) and any(rules.get(key) is not None for key in rules):
            check.add(f"{path}.validation", _("Ces règles ne s'appliquent qu'aux textes."))
    if kind == "number":
        _min_max(check, path, field, "min", "max", integer=False, low=-10**12, high=10**12)
        decimals = field.get("decimals")
        if decimals is not None and (not _is_int(decimals) or not 0 <= decimals <= 6):
            check.add(f"{path}.decimals", _("Le nombre de décimales va de 0 à 6."))
    if kind == "date":
        bounds = {}
        for key in ("min", "max"):
            if field.get(key) is not None:
                bounds[key] = _date_value(field[key])
                if bounds[key] is None:
                    check.add(f"{path}.{key}", _("Indiquez une date AAAA-MM-JJ ou « today »."))
        if bounds.get("min") and bounds.get("max") and bounds["min"] > bounds["max"]:
            check.add(f"{path}.min", _("La date minimale est après la date maximale."))
    if kind == "choice":
        _check_choices(check, path, field)
        if field.get("widget", "radio") not in ("radio", "select"):
            check.add(f"{path}.widget", _("Affichage inconnu : « radio » ou « select »."))
    if kind == "multichoice":
        count = _check_choices(check, path, field)
        values = _min_max(check, path, field, "min_choices", "max_choices")
        if count and values.get("min_choices", 0) > count:
            check.add(f"{path}.min_choices", _("Le minimum de réponses dépasse le nombre de réponses possibles."))
    if kind == "file":
        accept = field.get("accept")
        if accept is not None:
            if not isinstance(accept, list) or not accept:
                check.add(f"{path}.accept", _("Indiquez la liste des types de fichiers acceptés."))
            else:
                for index, item in enumerate(accept):
                    if item not in FILE_KINDS:
                        check.add(f"{path}.accept[{index}]", _("Type de fichier inconnu : « %(kind)s ». Types "
                                                               "possibles : %(kinds)s.") % {
                            "kind": item, "kinds": ", ".join(FILE_KINDS)})
        size = field.get("max_size_mb")
        if size is not None and (not _is_number(size) or not 0 < size <= MAX_FILE_SIZE_MB):
            check.add(f"{path}.max_size_mb", _("La taille maximale va de 1 à %(max)s Mo.") % {"max": MAX_FILE_SIZE_MB})
        count = field.get("max_files")
        if count is not None and (not _is_int(count) or not 1 <= count <= MAX_FILES):
            check.add(f"{path}.max_files", _("Le nombre de fichiers va de 1 à %(max)s.") % {"max": MAX_FILES})
        document_type = field.get("document_type")
        if document_type is not None and (not isinstance(document_type, str) or not ID_PATTERN.match(document_type)):
            check.add(f"{path}.document_type", _("Type de document invalide."))
    if kind == "household_member" and field.get("relationship") not in (None, *RELATIONSHIPS):
        check.add(f"{path}.relationship", _("Lien inconnu : « %(value)s ». Liens possibles : %(values)s.") % {
            "value": field.get("relationship"), "values": ", ".join(RELATIONSHIPS)})
    if kind == "computed":
        problem = check_expression(defn, field)
        if problem:
            check.add(f"{path}.expression", problem)
    if kind == "block":
        values = _min_max(check, path, field, "min_items", "max_items", high=MAX_BLOCK_ITEMS)
        if field.get("max_items") is None:
            check.add(f"{path}.max_items", _("Indiquez le nombre maximal d'éléments (%(max)s au plus).") % {
                "max": MAX_BLOCK_ITEMS})
        elif values.get("max_items") == 0:
            check.add(f"{path}.max_items", _("Le nombre maximal d'éléments est d'au moins 1."))
        subfields = field.get("fields")
        if not isinstance(subfields, list) or not subfields:
            check.add(f"{path}.fields", _("Un bloc répétable contient au moins un champ."))
        else:
            sub_ids = set()
            for index, sub in enumerate(subfields):
                _check_field(check, defn, f"{path}.fields[{index}]", sub, ids=sub_ids, known=known, later=later,
                             in_block=True)
            if not any(isinstance(sub, dict) and sub.get("type") not in DISPLAY_TYPES for sub in subfields):
                check.add(f"{path}.fields", _("Un bloc répétable contient au moins un champ à remplir."))
    _check_prefill(check, path, field, in_block)
    _check_default(check, path, field)
    _check_condition(check, f"{path}.condition", field.get("condition"), known, later)


def _check_prefill(check, path, field, in_block):
    source = field.get("prefill")
    if source is None:
        return
    kind = field.get("type")
    allowed = MEMBER_SOURCES if in_block else PREFILL_SOURCES
    if source not in allowed:
        check.add(f"{path}.prefill", _("Source de pré-remplissage inconnue : « %(source)s ». Sources possibles : "
                                       "%(sources)s.") % {"source": source, "sources": ", ".join(allowed)})
        return
    household = source.startswith("household.")
    if household and kind not in ("block", "household_member"):
        check.add(f"{path}.prefill", _("Le foyer ne peut pré-remplir qu'un bloc répétable ou un choix de membres "
                                       "du foyer."))
    if not household and kind in ("block", "household_member", "file", "computed", "title", "comment"):
        check.add(f"{path}.prefill", _("Ce type de champ ne peut pas être pré-rempli depuis le profil."))
    if kind == "address" and source not in ("profile.full_address", "profile.address_line"):
        check.add(f"{path}.prefill", _("Une adresse se pré-remplit avec « profile.full_address »."))


def _check_default(check, path, field):
    default = field.get("default")
    if default is None:
        return
    kind = field.get("type")
    if kind in ("text", "textarea", "email", "phone", "number", "date", "choice"):
        ok = isinstance(default, str) or (kind == "number" and _is_number(default))
        if ok and kind == "choice":
            ok = default in [choice.get("value") for choice in field.get("choices") or [] if isinstance(choice, dict)]
    elif kind == "boolean":
        ok = isinstance(default, bool)
    elif kind == "multichoice":
        values = [choice.get("value") for choice in field.get("choices") or [] if isinstance(choice, dict)]
        ok = isinstance(default, list) and all(item in values for item in default)
    else:
        ok = False
    if not ok:
        check.add(f"{path}.default", _("Valeur par défaut invalide pour ce champ."))


def validate_definition(defn, *, prefix=""):
    """Every problem of this form definition (an empty list when it is valid). `prefix` is put before paths
    (the import of a procedure file passes "form")."""
    check = Checker(prefix)
    if not isinstance(defn, dict):
        check.add("", _("Le formulaire doit être un objet JSON avec une liste « pages »."))
        return check.problems
    unknown = set(defn) - {"pages"}
    if unknown:
        check.add("", _("Clés inconnues : %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))})
    pages = defn.get("pages")
    if not isinstance(pages, list) or not pages:
        check.add("pages", _("Le formulaire contient au moins une page."))
        return check.problems
    if len(pages) > MAX_PAGES:
        check.add("pages", _("Trop de pages : %(max)s au plus.") % {"max": MAX_PAGES})
    # Every field id of the form in order, to tell "later" from "unknown" in conditions.
    all_ids = []
    for page in pages:
        if isinstance(page, dict) and isinstance(page.get("fields"), list):
            all_ids += [field.get("id") for field in page["fields"] if isinstance(field, dict)
                        and isinstance(field.get("id"), str)]
    page_ids, field_ids, known = set(), set(), set()
    position = 0
    for page_index, page in enumerate(pages):
        path = f"pages[{page_index}]"
        if not isinstance(page, dict):
            check.add(path, _("Une page est décrite par un objet."))
            continue
        _check_id(check, f"{path}.id", page.get("id"), page_ids, _("de page"))
        title = page.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 200:
            check.add(f"{path}.title", _("Indiquez le titre de la page (200 caractères au plus)."))
        fields = page.get("fields")
        later = set(all_ids[position:])
        _check_condition(check, f"{path}.condition", page.get("condition"), set(known), later)
        if not isinstance(fields, list) or not fields:
            check.add(f"{path}.fields", _("La page ne contient aucun champ."))
            continue
        if len(fields) > MAX_FIELDS_PER_PAGE:
            check.add(f"{path}.fields", _("Trop de champs sur la page : %(max)s au plus.") % {"max": MAX_FIELDS_PER_PAGE})
        for field_index, field in enumerate(fields):
            field_path = f"{path}.fields[{field_index}]"
            later = set(all_ids[position:])
            _check_field(check, defn, field_path, field, ids=field_ids, known=set(known), later=later)
            if isinstance(field, dict) and isinstance(field.get("id"), str):
                known.add(field["id"])
                position += 1
    return check.problems
