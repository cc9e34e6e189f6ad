"""Submitting a request from JSON answers (REST API, Open311): the same checks as the web form, in one go.

`submit_answers(version, answers, *, channel, ...)` turns the JSON answers into what the web form posts, cleans
every visible page in order with `guichet.formdefs.clean_page` (the only way answers enter a request), collects
every error of every page, then creates the draft and submits it (`service_requests.services.create_draft` and
`submit`) in one transaction: on refusal nothing remains (no draft, no file). See REQUESTS.md for the JSON shape
of each field type.

Who may submit:
- an integration (`api_client`) acts for the collectivité like a counter agent: any published procedure (also
  the agents-only and citizen-only ones), for an existing citizen record or a contact without account; channel
  `api` by default, or the channel the request really came through (phone, counter, postal, email, web);
- an agent (`entered_by`, no client): the rules of `citizen_records.services` (verified agent, counter channels);
- a citizen for themselves (`citizen`, neither client nor agent): `service_requests.services.check_may_start`
  (not the agents-only procedures), channel `web`.
"""

import base64
import binascii
import contextlib
import datetime
import re

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from guichet.service_requests.models import ServiceRequest

from .request_services import acting_client

ALL = "__all__"
API_CHANNELS = tuple(ServiceRequest.Channel.values)  # an integration may say any channel (api by default)
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# Extra files (`files=`) not tied to a form field: e.g. the photo of an Open311 report.
EXTRA_FILES_RULES = (("pdf", "jpeg", "png", "odt", "docx"), 10, 5)
MAX_FILE_NAME = 150


class SubmissionRefused(Exception):
    """The request was not made; `errors` is {field id (or "__all__", "channel", "citizen", "contact_email"…):
    French message}. Sub-parts are dotted: "adresse.postcode", "enfants.0.prenom"."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{key}: {value}" for key, value in errors.items()))
        self.errors = dict(errors)


class _TypeRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)


# ---------------------------------------------------------------------------------------------------------------
# JSON answers → the web form's POST data (keys are the HTML names of formdefs)

def _scalar(field, value):
    """A JSON value of a simple field as the text its input would post (type checked)."""
    kind = field.get("type")
    if value is None:
        return ""
    if kind == "boolean":
        if isinstance(value, bool):
            return "true" if value else "false"
        raise _TypeRefused(_("Répondez par true (oui) ou false (non)."))
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _TypeRefused(_("Indiquez un nombre, par exemple 12 ou 12.5."))
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            raise _TypeRefused(_("Indiquez un nombre, par exemple 12 ou 12.5."))
        return value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
    if kind == "date":
        if not isinstance(value, str) or not ISO_DATE.match(value.strip()):
            raise _TypeRefused(_("Indiquez une date au format AAAA-MM-JJ, par exemple 2025-07-14."))
        try:
            datetime.date.fromisoformat(value.strip())
        except ValueError as error:
            raise _TypeRefused(_("Cette date n'existe pas.")) from error
        return value
    if not isinstance(value, str):
        if kind == "choice":
            raise _TypeRefused(_("Indiquez la valeur (texte) d'une des réponses proposées."))
        raise _TypeRefused(_("Indiquez un texte."))
    return value


def _list_of(value, item_check, message):
    if value is None:
        return []
    if not isinstance(value, list) or not all(item_check(item) for item in value):
        raise _TypeRefused(message)
    return value


def _is_member_id(item):
    return (isinstance(item, int) and not isinstance(item, bool)) or (isinstance(item, str) and item.isdigit())


def _field_post(field, value, post):
    """Write the POST entries of one top-level field; raises _TypeRefused({name: message}) on a wrong type."""
    from guichet.formdefs.cleaning import ADDRESS_PARTS, item_name, part_name
    from guichet.formdefs.schema import page_fields

    field_id, kind = field["id"], field.get("type")
    if kind == "multichoice":
        post[field_id] = _list_of(value, lambda item: isinstance(item, str),
                                  _("Indiquez la liste des valeurs choisies, par exemple [\"a\", \"b\"]."))
    elif kind == "household_member":
        if _is_member_id(value):
            value = [value]
        post[field_id] = [str(item) for item in _list_of(
            value, _is_member_id, _("Indiquez l'identifiant d'une personne du foyer, ou une liste d'identifiants."))]
    elif kind == "address":
        if value is None:
            return
        if not isinstance(value, dict):
            raise _TypeRefused(_("Indiquez l'adresse sous la forme {\"street\", \"postcode\", \"city\"} "
                                 "(et \"lat\", \"lon\" si le formulaire a une carte)."))
        unknown = sorted(set(value) - set(ADDRESS_PARTS))
        if unknown:
            raise _TypeRefused(_("Parties d'adresse inconnues : %(parts)s.") % {"parts": ", ".join(unknown)})
        for part in ADDRESS_PARTS:
            item = value.get(part)
            if item is None:
                continue
            if part in ("lat", "lon"):
                if isinstance(item, bool) or not isinstance(item, (int, float)):
                    raise _TypeRefused(_("La latitude et la longitude sont des nombres."))
                post[part_name(field_id, part)] = repr(float(item))
            elif not isinstance(item, str):
                raise _TypeRefused(_("Les parties d'une adresse sont des textes."))
            else:
                post[part_name(field_id, part)] = item
    elif kind == "block":
        items = _list_of(value, lambda item: isinstance(item, dict),
                         _("Indiquez une liste d'éléments, chacun un objet {identifiant: réponse}."))
        limit = int(field.get("max_items") or 1)
        if len(items) > limit:
            raise _TypeRefused(_("Au plus %(n)s éléments.") % {"n": limit})
        subfields = {sub.get("id"): sub for sub in page_fields(field)}
        for index, item in enumerate(items):
            unknown = sorted(str(key) for key in item if key not in subfields or subfields[key].get("type") in (
                "title", "comment"))
            if unknown:
                raise _TypeRefused(_("Élément %(index)s : champs inconnus : %(ids)s.") % {
                    "index": index, "ids": ", ".join(unknown)})
            for sub_id, sub_value in item.items():
                sub = subfields[sub_id]
                name = item_name(field_id, index, sub_id)
                try:
                    if sub.get("type") == "multichoice":
                        post[name] = _list_of(sub_value, lambda entry: isinstance(entry, str),
                                              _("Indiquez la liste des valeurs choisies."))
                    else:
                        post[name] = _scalar(sub, sub_value)
                except _TypeRefused as error:
                    raise _TypeRefused({f"{field_id}.{index}.{sub_id}": error.message}) from error
    else:
        post[field_id] = _scalar(field, value)


def _decode_files(field, value):
    """The uploads of a file field from its JSON answer: a list of {"filename", "content_base64"}."""
    items = _list_of(value, lambda item: isinstance(item, dict), _(
        "Joignez les fichiers sous la forme d'une liste de {\"filename\": …, \"content_base64\": …}."))
    uploads = []
    for item in items:
        name, content = item.get("filename"), item.get("content_base64")
        if not isinstance(name, str) or not name.strip() or not isinstance(content, str):
            raise _TypeRefused(_("Chaque fichier a un nom (filename) et un contenu en base64 (content_base64)."))
        try:
            raw = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as error:
            raise _TypeRefused(_("Le contenu de « %(name)s » n'est pas du base64 valide.") % {
                "name": name[:MAX_FILE_NAME]}) from error
        uploads.append(SimpleUploadedFile(name.strip()[:MAX_FILE_NAME], raw))
    return uploads


def _printable(key):
    """An unknown key as it may be echoed in an error: 80 characters, no control character nor lone surrogate."""
    text = str(key)[:80].encode("utf-8", "replace").decode("utf-8")
    return "".join(char if char.isprintable() else "?" for char in text) or "?"


def _error_key(name):
    """HTML name of formdefs ("adresse__postcode", "enfants__0__prenom") → the API's dotted key."""
    return name.replace("__", ".")


def _first(messages):
    if isinstance(messages, (list, tuple)):
        return " ".join(str(message) for message in messages)
    return str(messages)


# ---------------------------------------------------------------------------------------------------------------
# Who, which channel, which contact

def _check_submitter(version, *, channel, citizen, entered_by, api_client, contact_name, contact_email):
    from guichet.service_requests.services import StartRefused, check_may_start

    errors = {}
    procedure = version.procedure
    if version.organisation_id != procedure.organisation_id or not procedure.is_published \
            or procedure.current_version_id != version.pk:
        raise SubmissionRefused({ALL: _("Cette démarche n'est pas publiée : choisissez-en une autre.")})
    if api_client is not None:
        if api_client.organisation_id != version.organisation_id or api_client.revoked_at is not None:
            raise SubmissionRefused({ALL: _("Ce client de l'API n'est pas (ou plus) autorisé dans la collectivité.")})
        if channel not in API_CHANNELS:
            errors["channel"] = _("Canal inconnu : choisissez parmi %(channels)s.") % {
                "channels": ", ".join(API_CHANNELS)}
    elif entered_by is not None:
        from guichet.citizen_records.services import ON_BEHALF_CHANNELS, refuse_unless_may_enter

        if channel not in ON_BEHALF_CHANNELS:
            errors["channel"] = _("Choisissez le canal : accueil, téléphone, courrier ou courriel.")
        try:
            refuse_unless_may_enter(version, entered_by, citizen)
        except StartRefused as refusal:
            raise SubmissionRefused({ALL: refusal.message}) from refusal
    else:
        if citizen is None:
            raise SubmissionRefused({ALL: _("Connectez-vous à votre compte pour faire cette démarche.")})
        if channel != ServiceRequest.Channel.WEB:
            errors["channel"] = _("Un usager dépose sa demande en ligne : le canal est « web ».")
        try:
            check_may_start(version, citizen)
        except StartRefused as refusal:
            raise SubmissionRefused({ALL: refusal.message}) from refusal
    if citizen is not None and (
        citizen.organisation_id != version.organisation_id or not citizen.is_citizen or not citizen.is_active
        or citizen.anonymised_at is not None
    ):
        errors["citizen"] = _("Cet usager n'a pas de fiche active dans la collectivité.")
    if citizen is None:
        if not (contact_name or "").strip():
            errors["contact_name"] = _("Indiquez le nom du demandeur pour que le service puisse lui répondre.")
        elif len(contact_name.strip()) > 200:
            errors["contact_name"] = _("Ce texte est trop long : %(max)s caractères au plus.") % {"max": 200}
        email = (contact_email or "").strip()
        if not email:
            errors["contact_email"] = _("Indiquez l'adresse électronique du demandeur : l'accusé de réception "
                                        "et les réponses y seront envoyés.")
        else:
            try:
                validate_email(email)
                if len(email) > 254:
                    raise ValidationError("long")
            except ValidationError:
                errors["contact_email"] = _("Indiquez une adresse électronique valide, par exemple nom@exemple.fr.")
    return errors


def _check_location(location):
    """(address, latitude, longitude) from `location`, or raises SubmissionRefused."""
    if location is None:
        return None
    message = _("Le lieu est un objet {\"address\": texte, \"latitude\": nombre, \"longitude\": nombre}.")
    if not isinstance(location, dict):
        raise SubmissionRefused({"location": message})
    address = location.get("address") or ""
    latitude, longitude = location.get("latitude"), location.get("longitude")
    if not isinstance(address, str):
        raise SubmissionRefused({"location": message})
    for value, limit in ((latitude, 90), (longitude, 180)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) > limit:
            raise SubmissionRefused({"location": _(
                "Coordonnées invalides : la latitude est entre -90 et 90, la longitude entre -180 et 180.")})
    if (latitude is None) != (longitude is None):
        raise SubmissionRefused({"location": _("Indiquez la latitude et la longitude, ou aucune des deux.")})
    return " ".join(address.split())[:300], latitude, longitude


# ---------------------------------------------------------------------------------------------------------------
# Submission

def submit_answers(version, answers, *, channel=None, citizen=None, contact_name="", contact_email="",
                   contact_phone="", entered_by=None, api_client=None, location=None, files=()):
    """Make and submit a request of `version` (the current published version of its procedure) → ServiceRequest.

    `answers`: {field id: JSON value} (REQUESTS.md); `channel`: a ServiceRequest.Channel value (default `api`
    for an integration, `web` for a citizen, `counter` for an agent); `citizen`: the citizen (User) the request
    is for (else `contact_*` of a submitter without account: name and e-mail required); `location`: {"address",
    "latitude", "longitude"}, the request's place when its answers give none; `files`: extra attachments not tied
    to a form field, as (filename, bytes) pairs (pdf, jpeg, png, odt, docx; 10 Mo each, 5 at most).

    Raises SubmissionRefused(errors) with every error found; then nothing was created.
    """
    import guichet.formdefs as formdefs
    from guichet.accounts.models import is_placeholder_email
    from guichet.formdefs.cleaning import merge_page_answers
    from guichet.formdefs.computed import profile_context
    from guichet.formdefs.schema import page_fields
    from guichet.formdefs.schema import pages as form_pages
    from guichet.service_requests import files as request_files
    from guichet.service_requests import services

    if channel is None:
        channel = (ServiceRequest.Channel.API if api_client is not None
                   else ServiceRequest.Channel.COUNTER if entered_by is not None else ServiceRequest.Channel.WEB)
    channel = str(channel)
    errors = _check_submitter(version, channel=channel, citizen=citizen, entered_by=entered_by,
                              api_client=api_client, contact_name=contact_name, contact_email=contact_email)
    place = _check_location(location)
    if contact_phone is not None and not isinstance(contact_phone, str):
        errors["contact_phone"] = _("Indiquez un texte.")
    elif len((contact_phone or "").strip()) > 30:
        errors["contact_phone"] = _("Ce texte est trop long : %(max)s caractères au plus.") % {"max": 30}
    if not isinstance(answers, dict):
        raise SubmissionRefused({**errors, ALL: _("Les réponses sont un objet {identifiant du champ: réponse}.")})

    defn = version.form
    fields = {field.get("id"): field for _page, field in formdefs.iter_fields(defn)
              if field.get("type") not in ("title", "comment")}
    for key in answers:
        field = fields.get(key)
        if field is None:
            errors[_printable(key)] = _("Ce champ n'existe pas dans le formulaire de la démarche.")
        elif field.get("type") == "computed":
            errors[key] = _("Cette valeur est calculée par le guichet : ne l'envoyez pas.")

    # The web form shows the citizen's profile pre-filled; the answers sent replace it (null empties a field).
    profile, members = services.citizen_context(citizen) if errors.get("citizen") is None else (None, [])
    given = dict(formdefs.prefill_values(defn, profile) or {})
    if citizen is not None and is_placeholder_email(citizen.email):
        given = {key: value for key, value in given.items() if value != citizen.email}
    given.update({key: value for key, value in answers.items() if key in fields and key not in errors})

    post, uploads, placeholders = {}, {}, {}
    for field_id, value in given.items():
        field = fields.get(field_id)
        if field is None or field.get("type") == "computed":
            continue
        try:
            if field.get("type") == "file":
                files_of_field = _decode_files(field, value)
                if files_of_field:
                    checked, file_errors = request_files.check_uploads(
                        files_of_field, formdefs.file_field_rules(defn, field_id))
                    if file_errors:
                        errors[field_id] = " ".join(str(message) for message in file_errors)
                        continue
                    uploads[field_id] = checked
                    placeholders[field_id] = [f"nouveau-{field_id}-{index}" for index in range(len(checked))]
            else:
                _field_post(field, value, post)
        except _TypeRefused as error:
            if isinstance(error.args[0], dict):
                errors.update(error.args[0])
            else:
                errors[field_id] = error.message

    # Page by page, in order, as the web form: each page sees the answers of the pages before it.
    cleaned = {}
    context = profile_context(profile)
    for page in form_pages(defn):
        page_answers, page_errors = formdefs.clean_page(
            defn, page.get("id"), post, placeholders, cleaned, members=members, context=context)
        for name, messages in page_errors.items():
            key = _error_key(name)
            # A field already refused for its type keeps that (more precise) message.
            if key not in errors and name.split("__")[0] not in errors:
                errors[key] = _first(messages)
        if page_errors:
            # The page is refused, but the pages after it are checked too: their conditions read the answers
            # of this page that were not refused (as sent), so that every error is reported at once.
            refused_ids = {name.split("__")[0] for name in page_errors}
            page_answers = {field.get("id"): given[field.get("id")] for field in page_fields(page)
                            if field.get("id") in given and field.get("id") not in refused_ids
                            and field.get("id") not in errors and given[field.get("id")] is not None}
        if page_answers:
            cleaned = merge_page_answers(defn, page.get("id"), cleaned, page_answers)
    extra = []
    if files:
        extra, extra_errors = request_files.check_uploads(
            [SimpleUploadedFile(str(name)[:MAX_FILE_NAME], content) for name, content in files], EXTRA_FILES_RULES)
        if extra_errors:
            errors["files"] = " ".join(str(message) for message in extra_errors)
    if errors:
        raise SubmissionRefused(errors)

    event_data = {"channel": channel}
    if api_client is not None or entered_by is not None:
        event_data["on_behalf"] = True
    actor = entered_by if entered_by is not None else citizen if api_client is None else None
    contact = {}
    if citizen is None:
        contact = {"contact_name": contact_name.strip(), "contact_email": contact_email.strip(),
                   "contact_phone": (contact_phone or "").strip()}
    stored = []
    acting = acting_client(api_client) if api_client is not None else contextlib.nullcontext()
    try:
        with transaction.atomic(), acting:
            draft = services.create_draft(version, citizen=citizen, entered_by=entered_by, channel=channel,
                                          actor=actor, event_data=event_data, **contact)
            for field_id, checked in uploads.items():
                if field_id not in cleaned:
                    continue  # a file field hidden by a condition: its files are not kept
                ids = []
                for item in checked:
                    attachment = request_files.create_attachment(
                        draft, field_id, item.content, original_name=item.original_name,
                        content_type=item.kind.content_type, uploaded_by=citizen or entered_by)
                    stored.append(attachment)
                    ids.append(attachment.pk)
                cleaned[field_id] = ids
            draft.data = cleaned
            draft.save(update_fields=["data", "updated_at"])
            try:
                submitted, _done = services.submit(draft, actor=actor)
            except services.Incomplete as incomplete:
                raise SubmissionRefused({ALL: incomplete.message}) from incomplete
            if place is not None and not submitted.address and submitted.latitude is None:
                submitted.address, submitted.latitude, submitted.longitude = place
                ServiceRequest.objects.filter(pk=submitted.pk).update(
                    address=submitted.address, latitude=submitted.latitude, longitude=submitted.longitude)
            for item in extra:
                stored.append(request_files.create_attachment(
                    submitted, "", item.content, original_name=item.original_name,
                    content_type=item.kind.content_type, uploaded_by=citizen or entered_by))
    except BaseException:
        for attachment in stored:
            if attachment.file.name:
                attachment.file.storage.delete(attachment.file.name)
        raise
    return submitted
