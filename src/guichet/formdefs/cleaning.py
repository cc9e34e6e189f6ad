"""Cleaning a page's answers (server side): the only way answers enter a request.

Every value is read from the POST by the HTML name of its input (see ``names``), checked against the
definition and turned into its JSON answer (README.md, "Answers"). Keys of the POST outside the page's
fields are never read; computed fields are computed, never read; hidden fields are skipped.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guichet.accounts.validators import parse_french_phone

from . import formats
from .computed import compute
from .conditions import evaluate, visible_answers
from .schema import (
    MAX_BLOCK_ITEMS, MAX_SHORT_TEXT_LENGTH, MAX_TEXT_LENGTH, find_page, holds_value, page_fields,
)

NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)$")
FRENCH_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
MAX_NUMBER_LENGTH = 30
MAX_ADDRESS_PART = 200


class FieldError(Exception):
    def __init__(self, message, name=None):
        super().__init__(message)
        self.message = str(message)
        self.name = name


# --- HTML names ------------------------------------------------------------------------------------------------

def part_name(field_id, part):
    return f"{field_id}__{part}"


def item_name(block_id, index, sub_id):
    return f"{block_id}__{index}__{sub_id}"


def reuse_name(field_id):
    return f"{field_id}__reuse"


ADDRESS_PARTS = ("street", "postcode", "city", "lat", "lon")


# --- reading the POST ---------------------------------------------------------------------------------------------

def _as_text(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return str(value)


def get_one(data, name):
    """One value of the POST as a string ("" when absent); for several values, the last one (as Django)."""
    if data is None:
        return ""
    if hasattr(data, "getlist"):
        values = data.getlist(name)
    else:
        values = data.get(name) if isinstance(data, dict) else None
        values = values if isinstance(values, (list, tuple)) else ([] if values is None else [values])
    return _as_text(values[-1]) if values else ""


def get_many(data, name):
    if data is None:
        return []
    if hasattr(data, "getlist"):
        values = data.getlist(name)
    else:
        values = data.get(name) if isinstance(data, dict) else None
        values = list(values) if isinstance(values, (list, tuple)) else ([] if values is None else [values])
    return [_as_text(value) for value in values]


def safe_text(value, *, multiline=False):
    """The text trimmed; refuses characters that cannot be stored (NUL, lone surrogates)."""
    if "\x00" in value:
        raise FieldError(_("Le texte contient un caractère non autorisé."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise FieldError(_("Le texte contient un caractère non autorisé.")) from error
    if multiline:
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return " ".join(value.split()) if any(char in value for char in "\r\n\t") else value.strip()


# --- one value per type -------------------------------------------------------------------------------------------

def _required():
    return FieldError(_("Ce champ est obligatoire."))


def today():
    return timezone.localdate()


def parse_date(text):
    text = text.strip()
    match = FRENCH_DATE.match(text)
    try:
        if match:
            return datetime.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        if re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", text):
            return datetime.date.fromisoformat(text)
    except ValueError:
        return None
    return None


def date_bound(value):
    """A date from a definition's min/max ("today" or ISO), or None."""
    if value == "today":
        return today()
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def parse_number(text):
    text = re.sub(r"[\s\u00a0\u202f]", "", text)
    if len(text) > MAX_NUMBER_LENGTH or not NUMBER.match(text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def number_text(number):
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def clean_text(field, raw):
    kind = field.get("type")
    value = safe_text(raw, multiline=kind == "textarea")
    if not value:
        return None
    rules = field.get("validation") if isinstance(field.get("validation"), dict) else {}
    limit = MAX_TEXT_LENGTH if kind == "textarea" else MAX_SHORT_TEXT_LENGTH
    max_length = min(int(rules.get("max_length") or limit), limit)
    min_length = rules.get("min_length") or 0
    if len(value) > max_length:
        raise FieldError(ngettext("Ce texte est trop long : %(max)s caractère au plus (vous en avez saisi %(n)s).",
                                  "Ce texte est trop long : %(max)s caractères au plus (vous en avez saisi %(n)s).",
                                  max_length) % {"max": max_length, "n": len(value)})
    if len(value) < min_length:
        raise FieldError(ngettext("Ce texte est trop court : %(min)s caractère au moins.",
                                  "Ce texte est trop court : %(min)s caractères au moins.",
                                  min_length) % {"min": min_length})
    fmt = rules.get("format")
    if fmt in formats.CHECKS:
        checked = formats.check(fmt, value)
        if checked is None:
            raise FieldError(formats.MESSAGES[fmt])
        value = checked
    pattern = rules.get("pattern")
    if pattern:
        from .validation import compile_pattern

        compiled = compile_pattern(pattern)
        if compiled is None or not compiled.fullmatch(value):
            message = rules.get("pattern_message")
            raise FieldError(message if isinstance(message, str) and message.strip()
                             else _("Le format de la réponse n'est pas celui attendu."))
    return value


def clean_email(field, raw):
    value = safe_text(raw)
    if not value:
        return None
    if len(value) > 254:
        raise FieldError(_("L'adresse électronique est trop longue."))
    try:
        validate_email(value)
    except ValidationError as error:
        raise FieldError(_("Indiquez une adresse électronique valide, par exemple nom@exemple.fr.")) from error
    return value


def clean_phone(field, raw):
    value = safe_text(raw)
    if not value:
        return None
    number = parse_french_phone(value[:40]) if len(value) <= 40 else None
    if number is None:
        raise FieldError(_("Indiquez un numéro de téléphone français valide, par exemple 06 12 34 56 78."))
    return number.as_e164


def clean_number(field, raw):
    value = safe_text(raw)
    if not value:
        return None
    number = parse_number(value)
    if number is None:
        raise FieldError(_("Indiquez un nombre, par exemple 12 ou 12,5."))
    decimals = int(field.get("decimals") or 0)
    exponent = number.normalize().as_tuple().exponent if number != 0 else 0
    if isinstance(exponent, int) and -exponent > decimals:
        if decimals == 0:
            raise FieldError(_("Indiquez un nombre entier."))
        raise FieldError(ngettext("Indiquez un nombre avec au plus %(n)s décimale.",
                                  "Indiquez un nombre avec au plus %(n)s décimales.", decimals) % {"n": decimals})
    minimum, maximum = field.get("min"), field.get("max")
    if minimum is not None and number < Decimal(str(minimum)):
        raise FieldError(_("Le nombre doit être supérieur ou égal à %(min)s.") % {"min": minimum})
    if maximum is not None and number > Decimal(str(maximum)):
        raise FieldError(_("Le nombre doit être inférieur ou égal à %(max)s.") % {"max": maximum})
    return number_text(number)


def clean_date(field, raw):
    value = safe_text(raw)
    if not value:
        return None
    date = parse_date(value[:20])
    if date is None:
        raise FieldError(_("Indiquez une date valide, par exemple 14/07/2025."))
    minimum, maximum = date_bound(field.get("min")), date_bound(field.get("max"))
    if minimum and date < minimum:
        raise FieldError(_("La date doit être le %(date)s ou après.") % {"date": date_format(minimum, "d/m/Y")})
    if maximum and date > maximum:
        raise FieldError(_("La date doit être le %(date)s ou avant.") % {"date": date_format(maximum, "d/m/Y")})
    return date.isoformat()


def clean_boolean(field, raw):
    value = raw.strip().lower()
    if not value:
        return None
    if value in ("oui", "true", "1", "on"):
        return True
    if value in ("non", "false", "0"):
        return False
    raise FieldError(_("Répondez par oui ou par non."))


def choice_values(field):
    return [str(choice.get("value")) for choice in field.get("choices") or [] if isinstance(choice, dict)]


def clean_choice(field, raw):
    value = raw.strip()
    if not value:
        return None
    if value not in choice_values(field):
        raise FieldError(_("Choisissez une des réponses proposées."))
    return value


def clean_multichoice(field, raws):
    values = {raw.strip() for raw in raws if raw.strip()}
    allowed = choice_values(field)
    if values - set(allowed):
        raise FieldError(_("Choisissez parmi les réponses proposées."))
    chosen = [value for value in allowed if value in values]
    if not chosen:
        return None
    minimum, maximum = field.get("min_choices"), field.get("max_choices")
    if minimum and len(chosen) < minimum:
        raise FieldError(ngettext("Cochez au moins %(n)s réponse.", "Cochez au moins %(n)s réponses.",
                                  minimum) % {"n": minimum})
    if maximum and len(chosen) > maximum:
        raise FieldError(ngettext("Cochez au plus %(n)s réponse.", "Cochez au plus %(n)s réponses.",
                                  maximum) % {"n": maximum})
    return chosen


CLEANERS = {
    "text": clean_text, "textarea": clean_text, "email": clean_email, "phone": clean_phone,
    "number": clean_number, "date": clean_date, "boolean": clean_boolean, "choice": clean_choice,
}


def member_id(member):
    return member.get("id") if isinstance(member, dict) else getattr(member, "id", None)


def member_relationship(member):
    return member.get("relationship") if isinstance(member, dict) else getattr(member, "relationship", None)


def members_for(field, members):
    """The household members a household_member field offers (its `relationship` filter applied)."""
    wanted = field.get("relationship")
    return [member for member in members or () if member_id(member) is not None
            and (not wanted or member_relationship(member) == wanted)]


def clean_household_member(field, raws, members):
    offered = {str(member_id(member)): member_id(member) for member in members_for(field, members)}
    values = [raw.strip() for raw in raws if raw.strip()]
    if not values:
        return None
    if any(value not in offered for value in values):
        raise FieldError(_("Choisissez une personne de votre foyer parmi celles proposées."))
    if not field.get("multiple") and len(set(values)) > 1:
        raise FieldError(_("Choisissez une seule personne."))
    chosen = []
    for value in values:
        if offered[value] not in chosen:
            chosen.append(offered[value])
    return chosen


def clean_address(field, data):
    field_id = field["id"]
    raws = {part: get_one(data, part_name(field_id, part)) for part in ADDRESS_PARTS}
    errors = {}
    values = {}
    for part in ("street", "postcode", "city"):
        try:
            values[part] = safe_text(raws[part])[:MAX_ADDRESS_PART + 1]
        except FieldError as error:
            errors[part_name(field_id, part)] = error.message
            values[part] = ""
    lat_lon = {}
    if field.get("map"):
        for part, limit in (("lat", 90), ("lon", 180)):
            text = raws[part].strip()
            if text:
                number = parse_number(text)
                if number is None or abs(number) > limit:
                    errors[part_name(field_id, part)] = _("Le point choisi sur la carte n'est pas valide.")
                else:
                    lat_lon[part] = float(number)
    if not any(values.values()) and not lat_lon and not errors:
        return None, {}
    messages = {
        "street": _("Indiquez le numéro et la voie."),
        "postcode": _("Indiquez le code postal."),
        "city": _("Indiquez la commune."),
    }
    for part in ("street", "postcode", "city"):
        name = part_name(field_id, part)
        if name in errors:
            continue
        if not values[part]:
            errors[name] = messages[part]
        elif len(values[part]) > MAX_ADDRESS_PART:
            errors[name] = _("Ce texte est trop long : %(max)s caractères au plus.") % {"max": MAX_ADDRESS_PART}
    if values["postcode"] and part_name(field_id, "postcode") not in errors:
        code = formats.postcode(values["postcode"])
        if code is None:
            errors[part_name(field_id, "postcode")] = formats.MESSAGES["postcode"]
        values["postcode"] = code or values["postcode"]
    if field.get("map") and ("lat" in lat_lon) != ("lon" in lat_lon):
        errors.setdefault(part_name(field_id, "lat"), _("Le point choisi sur la carte n'est pas valide."))
    if errors:
        return None, errors
    return {**values, "lat": lat_lon.get("lat"), "lon": lat_lon.get("lon")}, {}


def clean_simple(field, data, name, members=()):
    kind = field.get("type")
    if kind == "multichoice":
        return clean_multichoice(field, get_many(data, name))
    if kind == "household_member":
        return clean_household_member(field, get_many(data, name), members)
    return CLEANERS[kind](field, get_one(data, name))


def block_items(field):
    return max(0, min(int(field.get("max_items") or 1), MAX_BLOCK_ITEMS))


def clean_block(field, data, kept):
    field_id = field["id"]
    items, errors = [], {}
    subfields = [sub for sub in page_fields(field) if holds_value(sub)]
    for index in range(block_items(field)):
        raw_present = any(
            any(value.strip() for value in get_many(data, item_name(field_id, index, sub["id"])))
            for sub in subfields
        )
        if not raw_present:
            continue
        item, item_errors = {}, {}
        for sub in subfields:
            name = item_name(field_id, index, sub["id"])
            if not evaluate(sub.get("condition"), kept):
                continue
            try:
                value = clean_simple(sub, data, name)
            except FieldError as error:
                item_errors[name] = error.message
                continue
            if value is None:
                if sub.get("required"):
                    item_errors[name] = _("Ce champ est obligatoire.")
                continue
            item[sub["id"]] = value
        errors.update(item_errors)
        if not item_errors:
            items.append(item)
    first_name = item_name(field_id, 0, subfields[0]["id"]) if subfields else field_id
    minimum = max(int(field.get("min_items") or 0), 1 if field.get("required") else 0)
    if not errors and len(items) < minimum:
        errors[first_name] = ngettext("Remplissez au moins %(n)s élément.", "Remplissez au moins %(n)s éléments.",
                                      minimum) % {"n": minimum}
    return (items or None), errors


def clean_files(field, files):
    ids = files.get(field["id"]) if isinstance(files, dict) else None
    ids = [item for item in ids if isinstance(item, (int, str)) and not isinstance(item, bool)] \
        if isinstance(ids, (list, tuple)) else []
    maximum = int(field.get("max_files") or 1)
    if len(ids) > maximum:
        raise FieldError(ngettext("Vous pouvez joindre au plus %(n)s fichier.",
                                  "Vous pouvez joindre au plus %(n)s fichiers.", maximum) % {"n": maximum})
    return ids or None


# --- a page -------------------------------------------------------------------------------------------------------

def clean_page(defn, page_id, data, files, answers, *, members=(), context=None):
    """Validate the POST `data` of one page → ``(page_answers, errors)``.

    - `data`: the POST (QueryDict or dict); keys outside the page's fields are ignored;
    - `files`: ``{file field id: [attachment ids already stored for this request]}``: counts and required are
      checked here, the content of files by ``guichet.service_requests.files``;
    - `answers`: the answers of the request so far (other pages), used by the conditions;
    - `members`: the citizen's household members — objects or dicts with ``id``, ``relationship``,
      ``first_name`` and ``last_name`` — household_member answers must be among their ids;
    - `context`: what computed fields may read, from ``computed.profile_context(citizen_data)``.

    `page_answers` holds only the visible fields of the page (hidden ones are dropped, computed ones computed,
    unanswered optional ones absent); `errors` is ``{HTML field name: [French messages]}`` — empty when the
    page is valid. A hidden page (or an unknown one) gives ``({}, {})``.
    """
    page = find_page(defn, page_id)
    answers = answers if isinstance(answers, dict) else {}
    page_ids = {field.get("id") for field in page_fields(page)} if page else set()
    earlier = {key: value for key, value in answers.items() if key not in page_ids}
    kept = visible_answers(defn, earlier)
    if page is None or not evaluate(page.get("condition"), kept):
        return {}, {}
    page_answers, errors = {}, {}
    for field in page_fields(page):
        kind, field_id = field.get("type"), field.get("id")
        if not holds_value(field) or not isinstance(field_id, str):
            continue
        if not evaluate(field.get("condition"), kept):
            continue
        try:
            if kind == "computed":
                value = compute(defn, field, {**kept, **page_answers}, context) or None
            elif kind == "address":
                value, address_errors = clean_address(field, data)
                if address_errors:
                    errors.update({name: [message] for name, message in address_errors.items()})
                    continue
                if value is None and field.get("required"):
                    errors[part_name(field_id, "street")] = [_("Indiquez l'adresse.")]
                    continue
            elif kind == "block":
                value, block_errors = clean_block(field, data, kept)
                if block_errors:
                    errors.update({name: [message] for name, message in block_errors.items()})
                    continue
            elif kind == "file":
                value = clean_files(field, files)
                if value is None and field.get("required"):
                    raise FieldError(_("Joignez ce document."))
            else:
                value = clean_simple(field, data, field_id, members)
                if value is None and field.get("required"):
                    if kind == "boolean":
                        raise FieldError(_("Répondez par oui ou par non."))
                    if kind in ("choice", "multichoice", "household_member"):
                        raise FieldError(_("Choisissez une réponse."))
                    raise _required()
        except FieldError as error:
            errors[field_id] = [error.message]
            continue
        if value is not None:
            page_answers[field_id] = value
            kept[field_id] = value
    if errors:
        return {}, errors
    return page_answers, {}


def reused_documents(defn, page_id, data, files_offered):
    """The citizen's documents chosen for reuse on this page: ``{file field id: [document ids]}``, only among
    the offered ones (`files_offered` is ``{field id: [(document id, label), …]}``); forged ids are dropped."""
    page = find_page(defn, page_id)
    chosen = {}
    for field in page_fields(page) if page else []:
        if field.get("type") != "file" or not isinstance(files_offered, dict):
            continue
        offered = {str(document_id): document_id for document_id, _label in files_offered.get(field["id"]) or []}
        picked = []
        for value in get_many(data, reuse_name(field["id"])):
            if value in offered and offered[value] not in picked:
                picked.append(offered[value])
        if picked:
            chosen[field["id"]] = picked[: int(field.get("max_files") or 1)]
    return chosen


def merge_page_answers(defn, page_id, answers, page_answers):
    """The request's answers with this page's replaced by `page_answers`, then the answers of fields that are
    now hidden (a condition changed) dropped."""
    page = find_page(defn, page_id)
    ids = {field.get("id") for field in page_fields(page)} if page else set()
    merged = {key: value for key, value in (answers or {}).items() if key not in ids}
    merged.update(page_answers)
    return visible_answers(defn, merged)
