"""CSV import and export of the directory.

    text, encoding = decode_file(data)           # ImportFileError (French) when the file cannot be read
    plan = plan_import(organisation, text)       # what each line would do, with its errors; nothing written
    result = apply_import(organisation, text, create_services=True)   # one transaction
    write_csv(organisation, file)                # the directory as a CSV the import reads back

The file: « ; » or « , » (or tab) separated, UTF-8 with or without BOM, Windows-1252 (what Excel saves as « CSV
(séparateur : point-virgule) ») or UTF-16 (Excel's « Texte Unicode »); first line the column names, in French,
accents and case as you like: nom, prénom, service, fonction, missions, bâtiment, bureau, téléphone, courriel,
horaires, poste (a few synonyms too, e.g. « e-mail », « tél. »). At most MAX_BYTES and MAX_ROWS lines.

A line with a name (nom, or prénom) is a person; a line with only a service is that service's entry. A person is
found again by e-mail address (that of the entry or of its agent account), else, without an e-mail, by their
name: importing the same file twice updates, never duplicates. An e-mail address of an agent account of the
collectivité links the entry to that account (its name, e-mail, job title and extension are then the account's).
A column present in the file sets its field (an empty cell empties it); a column absent leaves it as it is.

Lines with errors (bad phone or e-mail, text too long, service unknown when the administrator chose not to create
the unknown services, the same person twice) are left out; the others are imported. An unreadable file, one
without the needed columns or with too many lines writes nothing.
"""

import codecs
import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from guichet.accounts.models import User
from guichet.agents.models import Service
from guichet.exports.writers import FORMULA_TRIGGERS, safe_text
from guichet.search.text import fold

from .models import DirectoryEntry
from .phones import french_format, parse_phone

MAX_BYTES = 1024 * 1024
MAX_ROWS = 3000
# The columns, in the order of the export, with the names the import also accepts (folded: no accents, lower case,
# punctuation as spaces).
COLUMNS = {
    "nom": ("nom", "nom de famille"),
    "prenom": ("prenom",),
    "service": ("service", "direction"),
    "fonction": ("fonction", "intitule de poste", "titre"),
    "missions": ("missions", "mission", "attributions"),
    "batiment": ("batiment", "site", "lieu"),
    "bureau": ("bureau", "salle"),
    "telephone": ("telephone", "tel", "telephone direct", "numero de telephone"),
    "courriel": ("courriel", "email", "e mail", "mail", "adresse electronique", "adresse mail", "mel"),
    "horaires": ("horaires", "horaire", "heures d ouverture"),
    "poste": ("poste", "poste telephonique", "extension"),
}
HEADERS = ["nom", "prénom", "service", "fonction", "missions", "bâtiment", "bureau", "téléphone", "courriel",
           "horaires", "poste"]
# Column → model field, and its maximum length.
FIELDS = {"nom": "last_name", "prenom": "first_name", "fonction": "job_title", "missions": "missions",
          "batiment": "building", "bureau": "office", "horaires": "hours", "poste": "phone_extension"}
CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


class ImportFileError(Exception):
    """The file cannot be imported at all (French message); nothing is written."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# --- reading the file --------------------------------------------------------------------------------------


def decode_file(data):
    """(text, encoding name) of the uploaded bytes, or ImportFileError."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("Le fichier est trop gros : %(max)s Mo au plus. Découpez-le en plusieurs fichiers.")
                              % {"max": MAX_BYTES // (1024 * 1024)})
    if not data.strip():
        raise ImportFileError(_("Le fichier est vide."))
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ImportFileError(_(
            "Ce fichier est un classeur (Excel ou LibreOffice), pas un fichier CSV : ouvrez-le et enregistrez-le au "
            "format « CSV (séparateur : point-virgule) », puis déposez ce fichier-là."))
    attempts = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        attempts.append(("utf-16", "UTF-16"))
    elif b"\x00" not in data:
        attempts += [("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252")]
    for codec, name in attempts:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if text.startswith("\ufeff"):
            text = text[1:]
        if any(ord(char) < 32 and char not in "\t\r\n" for char in text):
            break  # control characters: not a text file
        return text, name
    raise ImportFileError(_(
        "Le fichier est illisible : ce n'est pas un texte en UTF-8 ou en Windows-1252. Enregistrez-le depuis votre "
        "tableur au format CSV (UTF-8 de préférence) et déposez-le à nouveau."))


def _delimiter(header_line):
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ";"


def _column_key(name):
    folded = " ".join("".join(char if char.isalnum() else " " for char in fold(name)).split())
    for key, names in COLUMNS.items():
        if folded in names:
            return key
    return None


def _cell(value):
    text = str(value or "").translate(CONTROL).strip()
    # A cell the export protected against formula injection (« '=… ») comes back as it was.
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_TRIGGERS:
        text = text[1:]
    return text


# --- the plan ----------------------------------------------------------------------------------------------


@dataclass
class Line:
    number: int  # line of the file (the header is line 1)
    values: dict  # column key → text
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    action: str = ""  # "create", "update" or "" (left out)
    kind: str = DirectoryEntry.Kind.PERSON
    entry: DirectoryEntry | None = None
    user: User | None = None
    service: Service | None = None
    service_name: str = ""  # the service named when it is unknown
    phone: object = None

    @property
    def label(self):
        if self.kind == DirectoryEntry.Kind.SERVICE:
            return self.values.get("service", "")
        name = " ".join(part for part in (self.values.get("prenom"), self.values.get("nom")) if part)
        return name or (self.user.get_full_name() if self.user else "")


@dataclass
class Plan:
    encoding: str
    delimiter: str
    columns: list  # column keys found, in the file's order
    ignored_columns: list  # names of the file's columns not understood
    lines: list
    unknown_services: list  # names, as first written

    @property
    def valid_lines(self):
        return [line for line in self.lines if not line.errors]

    @property
    def error_lines(self):
        return [line for line in self.lines if line.errors]

    def count(self, action):
        return sum(1 for line in self.lines if not line.errors and line.action == action)


def plan_import(organisation, text, encoding="UTF-8", create_services=None):
    """What importing `text` would do, line by line (nothing written), or ImportFileError.

    `create_services`: None (the preview: lines naming an unknown service are valid, the choice is asked),
    True (those services would be created) or False (those lines are left out, with an error)."""
    lines_of_text = text.splitlines()
    header_line = next((line for line in lines_of_text if line.strip()), "")
    delimiter = _delimiter(header_line)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:
        raise ImportFileError(_("Le fichier CSV est mal formé (%(error)s) : rien n'a été importé.")
                              % {"error": error}) from error
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not numbered:
        raise ImportFileError(_("Le fichier est vide."))
    header_number, header = numbered[0]
    keys, ignored = [], []
    for name in header:
        key = _column_key(name)
        if key is not None and key in keys:
            raise ImportFileError(_("La colonne « %(name)s » apparaît deux fois : rien n'a été importé.")
                                  % {"name": name.strip()})
        keys.append(key)
        if key is None and name.strip():
            ignored.append(name.strip())
    if "nom" not in keys and "service" not in keys:
        raise ImportFileError(_(
            "La première ligne doit nommer les colonnes, dont au moins « nom » (ou « service » pour un fichier de "
            "services). Colonnes attendues : %(columns)s.") % {"columns": ", ".join(HEADERS)})
    data_rows = numbered[1:]
    if not data_rows:
        raise ImportFileError(_("Le fichier ne contient que la ligne des noms de colonnes : aucune fiche à importer."))
    if len(data_rows) > MAX_ROWS:
        raise ImportFileError(_("Le fichier compte %(count)s lignes : %(max)s au plus. Découpez-le en plusieurs "
                                "fichiers.") % {"count": len(data_rows), "max": MAX_ROWS})

    context = _Context(organisation)
    lines = []
    for number, row in data_rows:
        values = {}
        extra = False
        for index, cell in enumerate(row):
            key = keys[index] if index < len(keys) else None
            if key is not None:
                values[key] = _cell(cell)
            elif index >= len(keys) and cell.strip():
                extra = True
        line = Line(number=number, values=values)
        if extra:
            line.errors.append(_("La ligne a plus de cellules que la ligne des noms de colonnes (un « %(sep)s » en "
                                 "trop ?).") % {"sep": delimiter if delimiter != "\t" else _("tabulation")})
        _check_line(context, line, create_services)
        lines.append(line)
    present = [key for key in keys if key is not None]
    return Plan(encoding=encoding, delimiter=delimiter, columns=present, ignored_columns=ignored, lines=lines,
                unknown_services=sorted(context.unknown.values(), key=fold))


class _Context:
    """What the lines are checked against, read once: the collectivité's services, agents and entries."""

    def __init__(self, organisation):
        self.organisation = organisation
        self.services = {}
        for service in Service.objects.of(organisation):
            self.services.setdefault(fold(service.name).strip(), service)
            self.services.setdefault(service.slug, service)
        self.agents = {user.email.lower(): user for user in User.objects.filter(
            organisation=organisation, kind=User.Kind.AGENT)}
        entries = list(DirectoryEntry.objects.of(organisation).select_related("user", "service"))
        self.by_email = {}
        self.by_user = {}
        self.by_name = {}
        self.by_service = {}
        for entry in entries:
            if entry.kind == DirectoryEntry.Kind.SERVICE:
                if entry.service_id:
                    self.by_service[entry.service_id] = entry
                continue
            if entry.email:
                self.by_email[entry.email.lower()] = entry
            if entry.user_id:
                self.by_user[entry.user_id] = entry
                self.by_email.setdefault(entry.user.email.lower(), entry)
            elif not entry.email:
                self.by_name.setdefault(_name_key(entry.first_name, entry.last_name), []).append(entry)
        self.unknown = {}  # folded name → name as written
        self.seen_emails = {}
        self.seen_names = {}
        self.seen_services = {}

    def service_named(self, name):
        folded = fold(name).strip()
        return self.services.get(folded) or self.services.get(slugify(name))


def _name_key(first, last):
    return (" ".join(fold(first).split()), " ".join(fold(last).split()))


def _check_line(context, line, create_services):
    values = line.values
    name_given = bool(values.get("nom") or values.get("prenom"))
    service_name = values.get("service", "")
    if not name_given and not service_name:
        line.errors.append(_("Ni nom ni service : indiquez le nom de la personne, ou le service seul pour la fiche "
                             "d'un service."))
        return
    line.kind = DirectoryEntry.Kind.PERSON if name_given else DirectoryEntry.Kind.SERVICE

    # Lengths
    for key, field_name in FIELDS.items():
        limit = DirectoryEntry._meta.get_field(field_name).max_length
        if limit and len(values.get(key, "")) > limit:
            line.errors.append(_("« %(column)s » est trop long : %(max)s caractères au plus.")
                               % {"column": key, "max": limit})
    # Phone, e-mail
    phone_text = values.get("telephone", "")
    if phone_text:
        line.phone = parse_phone(phone_text)
        if line.phone is None:
            line.errors.append(_("Le téléphone « %(phone)s » n'est pas un numéro français valide (par exemple "
                                 "03 83 00 20 10).") % {"phone": phone_text})
    email = values.get("courriel", "").lower()
    values["courriel"] = email
    if email:
        try:
            validate_email(email)
        except ValidationError:
            line.errors.append(_("L'adresse électronique « %(email)s » n'est pas valide.") % {"email": email})
            email = ""
    # Service
    if service_name:
        line.service = context.service_named(service_name)
        if line.service is None:
            line.service_name = service_name
            if create_services is False:
                line.errors.append(_("Le service « %(name)s » n'existe pas dans votre collectivité (vous avez choisi "
                                     "de ne pas créer les services inconnus).") % {"name": service_name})
            else:
                context.unknown.setdefault(fold(service_name).strip(), service_name)
                if len(service_name) > Service._meta.get_field("name").max_length:
                    line.errors.append(_("Le nom du service est trop long : %(max)s caractères au plus.")
                                       % {"max": Service._meta.get_field("name").max_length})
    if line.kind == DirectoryEntry.Kind.SERVICE:
        _find_service_entry(context, line)
    else:
        _find_person(context, line, email)
    line.action = "" if line.errors else ("update" if line.entry is not None else "create")


def _find_service_entry(context, line):
    key = fold(line.values["service"]).strip()
    if key in context.seen_services:
        line.errors.append(_("Ce service figure déjà ligne %(line)s.") % {"line": context.seen_services[key]})
        return
    context.seen_services[key] = line.number
    if line.service is not None:
        line.entry = context.by_service.get(line.service.pk)
    email = line.values.get("courriel")
    if email:
        other = context.by_email.get(email)
        if (other is not None and other is not line.entry) or email in context.seen_emails:
            line.errors.append(_("L'adresse « %(email)s » est déjà celle d'une autre fiche de l'annuaire.")
                               % {"email": email})
        context.seen_emails.setdefault(email, line.number)


def _find_person(context, line, email):
    if email:
        if email in context.seen_emails:
            line.errors.append(_("Cette adresse électronique figure déjà ligne %(line)s.")
                               % {"line": context.seen_emails[email]})
            return
        context.seen_emails[email] = line.number
        line.user = context.agents.get(email)
        line.entry = context.by_email.get(email)
        if line.entry is None and line.user is not None:
            line.entry = context.by_user.get(line.user.pk)
        if line.entry is not None and line.entry.kind == DirectoryEntry.Kind.SERVICE:
            line.errors.append(_("L'adresse « %(email)s » est déjà celle d'un service de l'annuaire.")
                               % {"email": email})
            return
        if line.entry is not None and line.entry.user_id and line.user is None:
            line.user = line.entry.user
        if line.user is not None and context.by_user.get(line.user.pk) not in (None, line.entry):
            line.errors.append(_("L'agent dont c'est l'adresse a déjà une autre fiche dans l'annuaire."))
            return
        if line.user is not None:
            line.notes.append(_("Liée au compte agent : le nom, le courriel, la fonction et le poste sont ceux du "
                                "compte."))
    else:
        key = _name_key(line.values.get("prenom", ""), line.values.get("nom", ""))
        if key in context.seen_names:
            line.errors.append(_("Cette personne (sans adresse électronique) figure déjà ligne %(line)s : ajoutez "
                                 "son adresse pour la distinguer.") % {"line": context.seen_names[key]})
            return
        context.seen_names[key] = line.number
        same = context.by_name.get(key, [])
        if len(same) > 1:
            line.errors.append(_("Plusieurs fiches sans adresse électronique portent ce nom : ajoutez l'adresse "
                                 "électronique pour savoir laquelle mettre à jour."))
            return
        line.entry = same[0] if same else None
    if line.entry is not None and not line.entry.is_active:
        line.notes.append(_("Cette fiche est désactivée : elle est mise à jour et reste désactivée."))


# --- applying ----------------------------------------------------------------------------------------------


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    left_out: int = 0
    services_created: list = field(default_factory=list)

    def as_dict(self):
        return {"created": self.created, "updated": self.updated, "left_out": self.left_out,
                "services_created": self.services_created}


def apply_import(organisation, text, encoding="UTF-8", *, create_services):
    """Import the valid lines of `text` in one transaction (the file is checked again against the directory as it
    is now) → Result. ImportFileError when the file cannot be imported (nothing written)."""
    with transaction.atomic():
        plan = plan_import(organisation, text, encoding, create_services=bool(create_services))
        result = Result(left_out=len(plan.error_lines))
        created_services = {}
        for line in plan.valid_lines:
            if line.service is None and line.service_name:
                key = fold(line.service_name).strip()
                if key not in created_services:
                    created_services[key] = _create_service(organisation, line.service_name)
                    result.services_created.append(created_services[key].name)
                line.service = created_services[key]
            _save_line(organisation, plan, line)
            if line.action == "create":
                result.created += 1
            else:
                result.updated += 1
    return result


def _create_service(organisation, name):
    base = slugify(name)[:70] or "service"
    slug, number = base, 2
    while Service.objects.of(organisation).filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return Service.objects.create(organisation=organisation, name=name, slug=slug)


def _save_line(organisation, plan, line):
    entry = line.entry or DirectoryEntry(organisation=organisation, kind=line.kind)
    values = line.values
    for key, field_name in FIELDS.items():
        if key in plan.columns:
            setattr(entry, field_name, values.get(key, ""))
    if "telephone" in plan.columns:
        entry.phone = line.phone or ""
    if "service" in plan.columns or line.kind == DirectoryEntry.Kind.SERVICE:
        entry.service = line.service
    if line.kind == DirectoryEntry.Kind.SERVICE:
        entry.first_name = entry.last_name = ""
        if "courriel" in plan.columns:
            entry.email = values.get("courriel", "")
    else:
        if line.user is not None:
            entry.user = line.user
            entry.email = ""  # the account's address is shown (and found) instead
        elif "courriel" in plan.columns:
            entry.email = values.get("courriel", "")
    entry.save()
    return entry


# --- export ------------------------------------------------------------------------------------------------


def export_rows(organisation):
    """The rows of the directory's export (active and inactive entries), the header first."""
    from .services import directory_entries

    yield HEADERS
    for entry in directory_entries(organisation, include_inactive=True):
        person = entry.kind == DirectoryEntry.Kind.PERSON
        user = entry.linked_user
        services = entry.display_services
        yield [
            (user.last_name if user else entry.last_name) if person else "",
            (user.first_name if user else entry.first_name) if person else "",
            services[0].name if services else (entry.service.name if entry.service_id else ""),
            entry.display_job_title, entry.missions, entry.building, entry.office,
            french_format(entry.phone) if entry.phone else "", entry.display_email if person else entry.email,
            entry.hours, entry.display_extension,
        ]


def write_csv(organisation, file):
    """Write the directory to `file` (text, newline="") as UTF-8 with BOM, « ; » separated: French Excel and
    LibreOffice open it as is, and the import reads it back. Cells that a spreadsheet would take for a formula
    are prefixed with an apostrophe (`exports.writers.safe_text`), which the import removes."""
    file.write("\ufeff")
    writer = csv.writer(file, delimiter=";", lineterminator="\r\n")
    for row in export_rows(organisation):
        writer.writerow([safe_text(value) for value in row])
