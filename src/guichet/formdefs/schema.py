"""The vocabulary of form definitions: field types, formats, pre-fill sources, file kinds, and lookups."""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# Types that only show something (no answer).
DISPLAY_TYPES = ("title", "comment")
# Types that hold an answer typed or chosen by the citizen.
INPUT_TYPES = (
    "text", "textarea", "email", "phone", "number", "date", "boolean", "choice", "multichoice", "file",
    "address", "household_member", "block",
)
FIELD_TYPES = DISPLAY_TYPES + INPUT_TYPES + ("computed",)
# What a block may contain (no nested block, no file, no household picker, no computed value).
BLOCK_SUBFIELD_TYPES = (
    "title", "comment", "text", "textarea", "email", "phone", "number", "date", "boolean", "choice",
    "multichoice",
)
TYPE_LABELS = {
    "title": _("Titre de section"), "comment": _("Commentaire"), "text": _("Texte court"),
    "textarea": _("Texte long"), "email": _("Adresse électronique"), "phone": _("Téléphone"),
    "number": _("Nombre"), "date": _("Date"), "boolean": _("Oui / non"), "choice": _("Choix unique"),
    "multichoice": _("Choix multiples"), "file": _("Pièce jointe"), "address": _("Adresse"),
    "household_member": _("Membre du foyer"), "block": _("Bloc répétable"), "computed": _("Valeur calculée"),
}
FORMATS = ("postcode", "siret", "siren", "iban")
FORMAT_LABELS = {
    "postcode": _("Code postal"), "siret": _("Numéro SIRET"), "siren": _("Numéro SIREN"), "iban": _("IBAN"),
}
PROFILE_FIELDS = (
    "civility", "first_name", "last_name", "birth_date", "email", "phone", "address_line", "postcode", "city",
    "full_address",
)
HOUSEHOLD_SOURCES = ("children", "spouse", "members")
PREFILL_SOURCES = tuple(f"profile.{name}" for name in PROFILE_FIELDS) + tuple(
    f"household.{name}" for name in HOUSEHOLD_SOURCES
)
FILE_KINDS = ("pdf", "jpeg", "png", "odt", "docx")
RELATIONSHIPS = ("spouse", "child", "adult")
CONDITION_OPS = ("eq", "ne", "in", "not_in", "empty", "not_empty", "gt", "lt", "gte", "lte", "true", "false")
# Operators that do not read `value`.
UNARY_OPS = ("empty", "not_empty", "true", "false")

# Ids: lowercase letters, digits, single "-" or "_" between them; "__" separates parts of HTML names.
ID_PATTERN = re.compile(r"^[a-z](?:[a-z0-9]|[-_](?=[a-z0-9])){0,62}$")
# Also the steps of the citizen's journey that are not form pages (contact details, summary).
RESERVED_IDS = frozenset({"csrfmiddlewaretoken", "action", "submit", "page", "next", "coordonnees", "recapitulatif"})

# Limits that keep a definition (and the server) reasonable.
MAX_PATTERN_LENGTH = 200
MAX_TEXT_LENGTH = 10_000  # longest textarea answer; a text answer is at most 1,000 characters
MAX_SHORT_TEXT_LENGTH = 1_000
MAX_BLOCK_ITEMS = 20
MAX_CHOICES = 200
MAX_FILES = 10
MAX_FILE_SIZE_MB = 50


class DefinitionError(Exception):
    """A builder operation that cannot be done; `message` is French."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


@dataclass(frozen=True)
class FileRules:
    """What a file field accepts: kinds among FILE_KINDS, the size limit of one file and the number of files."""

    accept: tuple[str, ...]
    max_size_mb: float
    max_files: int
    document_type: str | None = None


def pages(defn):
    """The pages of a definition (an empty list when the definition is not a dict with a list of pages)."""
    if not isinstance(defn, dict) or not isinstance(defn.get("pages"), list):
        return []
    return [page for page in defn["pages"] if isinstance(page, dict)]


def page_fields(page):
    fields = page.get("fields") if isinstance(page, dict) else None
    return [field for field in fields if isinstance(field, dict)] if isinstance(fields, list) else []


def iter_fields(defn):
    """Every top-level field of the form as (page, field), in order (block sub-fields are not listed)."""
    for page in pages(defn):
        for field in page_fields(page):
            yield page, field


def holds_value(field):
    return field.get("type") in INPUT_TYPES or field.get("type") == "computed"


def field_ids(defn):
    """Ids of every top-level field that holds an answer (not titles nor comments), in the form's order."""
    return [field.get("id") for _page, field in iter_fields(defn) if holds_value(field)]


def find_page(defn, page_id):
    """The page with this id, or None."""
    return next((page for page in pages(defn) if page.get("id") == page_id), None)


def find_field(defn, field_id):
    """The top-level field with this id, or None."""
    return next((field for _page, field in iter_fields(defn) if field.get("id") == field_id), None)


def file_field_rules(defn, field_id):
    """FileRules of a file field (raises DefinitionError when the field is not a file field of the form)."""
    field = find_field(defn, field_id)
    if field is None or field.get("type") != "file":
        raise DefinitionError(_("Le champ « %(id)s » n'est pas une pièce jointe du formulaire.") % {"id": field_id})
    accept = tuple(kind for kind in field.get("accept") or FILE_KINDS if kind in FILE_KINDS) or FILE_KINDS
    return FileRules(
        accept=accept,
        max_size_mb=float(field.get("max_size_mb") or 5),
        max_files=int(field.get("max_files") or 1),
        document_type=field.get("document_type") or None,
    )
