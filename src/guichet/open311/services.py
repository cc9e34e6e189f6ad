"""Open311 GeoReport v2 (and FixMyStreet's servicerequestupdates) over a collectivité's procedures and requests.

Plain functions returning plain data (rendered in JSON or XML by `rendering`); every refusal is an `Open311Error`
carrying the HTTP status and French descriptions of the specification's error answer. See README.md for the
mappings (procedures → services, form fields → attributes, workflow statuses → open/closed and FixMyStreet's
statuses) and the choices made.
"""

import datetime
import hashlib
import re
from dataclasses import dataclass, field as dataclass_field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.api_clients.models import Scope
from guichet.api_clients.services import authenticate_key, check_rate
from guichet.formdefs.cleaning import CLEANERS, FieldError, clean_multichoice
from guichet.formdefs.schema import DISPLAY_TYPES, iter_fields
from guichet.procedures.models import Procedure, Theme
from guichet.service_requests.codes import normalise_tracking_code
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import add_event
from guichet.service_requests.status import citizen_status

from .models import Open311Request
from .rendering import XML_INVALID  # the characters XML 1.0 cannot carry (one definition)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_RESULTS = 1000
WINDOW = datetime.timedelta(days=90)
MAX_PARAM_LENGTH = 10_000
MAX_IDS = 100

# Form field type → Open311 datatype. Address, file, household member, repeatable block and computed fields have
# no Open311 counterpart: they are left out (the place comes from lat/long/address_string).
DATATYPES = {
    "text": "string", "email": "string", "phone": "string", "textarea": "text", "number": "number",
    "date": "datetime", "choice": "singlevaluelist", "multichoice": "multivaluelist", "boolean": "singlevaluelist",
}
# Contact fields of the form filled from the request's own parameters instead of attributes.
PROFILE_PARAMS = {
    "profile.first_name": "first_name", "profile.last_name": "last_name", "profile.email": "email",
    "profile.phone": "phone",
}
CONTACT_TYPES = {"email": "email", "phone": "phone"}

# FixMyStreet's statuses (servicerequestupdates).
FMS_STATUSES = (
    "OPEN", "CLOSED", "FIXED", "IN_PROGRESS", "ACTION_SCHEDULED", "INVESTIGATING", "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY", "NO_FURTHER_ACTION", "INTERNAL_REFERRAL",
)
Kind = RequestEvent.Kind
# The citizen-visible events published as updates (not the citizen's own words, which FixMyStreet sent, nor the
# submission itself: the entry into the workflow's initial status follows it).
UPDATE_KINDS = (
    Kind.STATUS_CHANGED, Kind.MESSAGE_AGENT, Kind.ANSWER, Kind.INFORMATION_REQUESTED,
    Kind.REOPENED, Kind.REOPEN_REFUSED, Kind.MERGED, Kind.WITHDRAWN,
)
# Words of the service to the person who made the request: published only to the client that sent that request
# through Open311 (another client, or a request made at the counter or online, gets none of them).
PRIVATE_UPDATE_KINDS = (Kind.MESSAGE_AGENT, Kind.ANSWER, Kind.INFORMATION_REQUESTED)
# Events whose own text is free (a reason typed by someone): shown by their kind's name to other clients.
GENERIC_TEXT_KINDS = (Kind.REOPENED, Kind.REOPEN_REFUSED)
POSTCODE_CITY = re.compile(r"^(?P<street>.*?)[,\s]*\b(?P<postcode>\d{5})\s+(?P<city>[^,\d][^,]*)$")


class Open311Error(Exception):
    """An error answer: HTTP `status` and one French description per problem."""

    def __init__(self, status, *descriptions):
        super().__init__(status, descriptions)
        self.status = status
        self.descriptions = [str(text) for text in descriptions]


# ---------------------------------------------------------------------------------------------------------------
# Parameters


class Params:
    """The parameters of a call, from a query string, a form-encoded body or a JSON object, as lists of strings."""

    def __init__(self, lists):
        self.lists = lists

    @classmethod
    def from_querydict(cls, querydict):
        return cls({key: [str(value) for value in querydict.getlist(key)] for key in querydict})

    @classmethod
    def from_json(cls, data):
        if not isinstance(data, dict):
            raise Open311Error(400, _("Le corps JSON doit être un objet de paramètres."))
        lists = {}

        def add(key, value):
            key = XML_INVALID.sub("", key)
            if isinstance(value, list):
                for item in value:
                    add(key, item)
            elif isinstance(value, dict):
                raise Open311Error(400, _("Le paramètre « %(name)s » n'a pas une valeur simple.") % {"name": key})
            elif value is not None:
                lists.setdefault(key, []).append(XML_INVALID.sub("", (
                    ("true" if value else "false") if isinstance(value, bool) else str(value))))

        for key, value in data.items():
            if key == "attribute" and isinstance(value, dict):
                for code, item in value.items():
                    add(f"attribute[{code}]", item)
            else:
                add(str(key), value)
        return cls(lists)

    def merged(self, other):
        lists = {key: list(values) for key, values in other.lists.items()}
        for key, values in self.lists.items():
            lists.setdefault(key, []).extend(values)
        return Params(lists)

    def get(self, name):
        """The first non-empty value (trimmed), or ""."""
        for value in self.lists.get(name, []):
            value = XML_INVALID.sub("", value).strip()
            if len(value) > MAX_PARAM_LENGTH:
                raise Open311Error(400, _("Le paramètre « %(name)s » est trop long.") % {"name": name})
            if value:
                return value
        return ""

    def getlist(self, name):
        values = []
        for value in self.lists.get(name, []):
            value = XML_INVALID.sub("", value).strip()
            if len(value) > MAX_PARAM_LENGTH:
                raise Open311Error(400, _("Le paramètre « %(name)s » est trop long.") % {"name": name})
            if value:
                values.append(value)
        return values

    def attribute_values(self, code):
        """`attribute[code]=v`, repeated or as `attribute[code][]=v` (multivaluelist)."""
        return self.getlist(f"attribute[{code}]") + self.getlist(f"attribute[{code}][]")


def check_jurisdiction(organisation, params, host=""):
    """`jurisdiction_id` is optional (one collectivité per host); when given it must name this one: its slug or one
    of its host names."""
    value = params.get("jurisdiction_id").lower()
    if not value:
        return
    names = {organisation.slug.lower(), host.split(":")[0].lower()}
    names.update(organisation.hosts.values_list("name", flat=True))
    if value not in names:
        raise Open311Error(404, _("jurisdiction_id « %(value)s » inconnu : ce point d'accès sert « %(slug)s ».")
                           % {"value": value[:80], "slug": organisation.slug})


def authenticate(organisation, params):
    """The API client of `api_key` with the open311 scope, else Open311Error 403 (429 over its rate limit)."""
    api_key = params.get("api_key")
    if not api_key:
        raise Open311Error(403, _("api_key manquant : demandez une clé à la collectivité."))
    client = authenticate_key(organisation, api_key)
    if client is None:
        raise Open311Error(403, _("api_key invalide ou révoqué."))
    if not client.has_scope(Scope.OPEN311):
        raise Open311Error(403, _("Cet api_key n'a pas la permission Open311."))
    wait = check_rate(client)
    if wait is not None:
        raise Open311Error(429, _("Trop d'appels : réessayez dans %(n)s secondes.") % {"n": wait})
    return client


def client_services(client):
    """The ids of the services the client is limited to, or None (all services)."""
    ids = set(client.services.values_list("pk", flat=True))
    return ids or None


def check_client_service(client, service_id):
    allowed = client_services(client)
    if allowed is not None and service_id not in allowed:
        raise Open311Error(403, _("Cet api_key ne couvre pas le service de cette démarche."))


def parse_datetime(params, name):
    """A W3C/ISO 8601 date-time parameter (a time zone is expected; without one, local time) or None."""
    value = params.get(name)
    if not value:
        return None
    text = value.replace(" ", "+") if re.search(r"\d \d\d:?\d\d$", value) else value  # "+01:00" sent unescaped
    try:
        parsed = datetime.datetime.fromisoformat(text)
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        if not 1900 <= parsed.astimezone(datetime.timezone.utc).year <= 2999:
            raise ValueError(value)
    except (ValueError, OverflowError):
        raise Open311Error(400, _("%(name)s n'est pas une date valide (format attendu : 2026-12-01T14:05:00+01:00).")
                           % {"name": name}) from None
    return parsed


def date_window(params, now=None):
    """(start, end) of a list: the last 90 days by default; a window wider than 90 days is refused (400)."""
    now = now or timezone.now()
    start, end = parse_datetime(params, "start_date"), parse_datetime(params, "end_date")
    if start and end:
        if end < start:
            raise Open311Error(400, _("end_date est antérieure à start_date."))
        if end - start > WINDOW:
            raise Open311Error(400, _("La période demandée (start_date à end_date) ne peut dépasser 90 jours."))
    elif start:
        end = start + WINDOW
    elif end:
        start = end - WINDOW
    else:
        start, end = now - WINDOW, now
    return start, end


# ---------------------------------------------------------------------------------------------------------------
# Discovery, services and their attributes


def discovery(organisation, base_url):
    changeset = (Procedure.objects.of(organisation).filter(open311=True).order_by("-updated_at")
                 .values_list("updated_at", flat=True).first())
    contact = " ".join(part for part in (organisation.name, organisation.email, organisation.phone) if part)
    return {
        "changeset": changeset or organisation.created_at,
        "contact": contact,
        "key_service": _("Demandez un api_key à l'administrateur de %(name)s (%(email)s).")
        % {"name": organisation.name, "email": organisation.email or "—"},
        "endpoints": [{
            "specification": SPECIFICATION, "url": base_url, "changeset": changeset or organisation.created_at,
            "type": "production", "formats": ["text/xml", "application/json"],
        }],
    }


def exposed_procedures(organisation):
    return (Procedure.objects.of(organisation)
            .filter(open311=True, state=Procedure.State.PUBLISHED, current_version__isnull=False)
            .select_related("current_version"))


@dataclass
class FormMapping:
    """How a procedure version's form is fed by a POST requests: attributes, and the fields filled from the
    request's own parameters (description, contact details, address)."""

    attributes: list = dataclass_field(default_factory=list)  # [(field, datatype)]
    description: dict | None = None
    address: dict | None = None
    params: dict = dataclass_field(default_factory=dict)  # field id → parameter name


def form_mapping(version):
    mapping = FormMapping()
    taken_params = set()
    for _page, field in iter_fields(version.form):
        kind, field_id = field.get("type"), field.get("id")
        if not isinstance(field_id, str) or kind in DISPLAY_TYPES:
            continue
        param = PROFILE_PARAMS.get(field.get("prefill") or "") or CONTACT_TYPES.get(kind)
        if param and param not in taken_params and kind in ("text", "email", "phone"):
            mapping.params[field_id] = param
            taken_params.add(param)
        elif kind == "textarea" and mapping.description is None:
            mapping.description = field
        elif kind == "address" and mapping.address is None:
            mapping.address = field
        elif kind in DATATYPES:
            mapping.attributes.append((field, DATATYPES[kind]))
    return mapping


def _label(field):
    return str(field.get("label") or field.get("id"))


def attribute(field, datatype, order):
    values = None
    if field.get("type") == "boolean":
        values = [{"key": "true", "name": _("Oui")}, {"key": "false", "name": _("Non")}]
    elif datatype in ("singlevaluelist", "multivaluelist"):
        values = [{"key": str(choice.get("value")), "name": str(choice.get("label") or choice.get("value"))}
                  for choice in field.get("choices") or [] if isinstance(choice, dict)]
    help_text = field.get("help") or ""
    item = {
        "variable": True,
        "code": field.get("id"),
        "datatype": datatype,
        # A field shown only under a condition is not always required: the form's checks decide at submission.
        "required": bool(field.get("required")) and not field.get("condition"),
        "datatype_description": str(help_text) if help_text else None,
        "order": order,
        "description": _label(field),
    }
    if values is not None:
        item["values"] = values
    return item


def service_list(organisation):
    services = []
    for procedure in exposed_procedures(organisation).order_by("title", "pk"):
        services.append({
            "service_code": procedure.slug,
            "service_name": procedure.current_version.title,
            "description": procedure.short_description,
            "metadata": bool(form_mapping(procedure.current_version).attributes),
            "type": "realtime",
            "keywords": ", ".join(procedure.keyword_list),
            "group": str(Theme(procedure.theme).label) if procedure.theme in Theme.values else "",
        })
    return services


SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,80}$")
TOKEN = re.compile(r"^[0-9a-f]{32}$")


def exposed_procedure(organisation, service_code):
    if not service_code:
        raise Open311Error(400, _("service_code manquant."))
    procedure = (exposed_procedures(organisation).filter(slug=service_code).first() if SLUG.match(service_code)
                 else None)
    if procedure is None:
        raise Open311Error(404, _("service_code « %(code)s » inconnu.") % {"code": service_code[:80]})
    return procedure


def service_definition(organisation, service_code):
    procedure = exposed_procedure(organisation, service_code)
    mapping = form_mapping(procedure.current_version)
    return {
        "service_code": procedure.slug,
        "attributes": [attribute(field, datatype, order)
                       for order, (field, datatype) in enumerate(mapping.attributes, start=1)],
    }


# ---------------------------------------------------------------------------------------------------------------
# POST requests


def _coordinate(params, name, low, high):
    value = params.get(name)
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is None or number != number or not low <= number <= high:
        raise Open311Error(400, _("%(name)s doit être un nombre entre %(low)s et %(high)s.")
                           % {"name": name, "low": low, "high": high})
    return number


def _media_url(params, name="media_url"):
    value = params.get(name)
    if not value:
        return ""
    if len(value) > 1000:
        raise Open311Error(400, _("%(name)s est trop long (1000 caractères au plus).") % {"name": name})
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise Open311Error(400, _("%(name)s doit être une adresse http ou https valide.") % {"name": name}) from None
    return value


def _attribute_answer(field, datatype, raws):
    """The answer (formdefs format) of one attribute, or FieldError."""
    kind = field.get("type")
    if kind == "multichoice":
        return clean_multichoice(field, raws)
    if len(raws) > 1:
        raise FieldError(_("Une seule valeur est attendue."))
    raw = raws[0]
    if kind == "date":
        try:
            raw = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00")).date().isoformat()
        except ValueError:
            pass
    if kind == "choice" and raw not in [str(choice.get("value")) for choice in field.get("choices") or []
                                        if isinstance(choice, dict)]:
        raise FieldError(_("« %(value)s » n'est pas une des valeurs possibles.") % {"value": raw[:80]})
    if kind == "boolean" and raw.lower() not in ("true", "false"):
        raise FieldError(_("Valeur attendue : true ou false."))
    return CLEANERS[kind](field, raw)


def split_address(text):
    """« 12 rue des Lilas, 54470 Saint-Aubin » → (street, postcode, city); ("…", "", "") when it does not parse."""
    match = POSTCODE_CITY.match(text)
    if not match:
        return text, "", ""
    return match.group("street").strip(" ,"), match.group("postcode"), match.group("city").strip()


def _address_answer(field, address_string, lat, lon):
    """The form's address answer from address_string (street, postcode and city are all needed), else None."""
    street, postcode, city = split_address(address_string[:300])
    if not (street and postcode and city):
        return None
    answer = {"street": street, "postcode": postcode, "city": city}
    if field.get("map") and lat is not None and lon is not None:
        answer["lat"], answer["lon"] = lat, lon
    return answer


@dataclass
class NewRequest:
    procedure: object
    answers: dict
    contact_name: str
    contact_email: str
    contact_phone: str
    location: object
    extra: dict


def parse_new_request(organisation, params):
    """Check a POST requests' parameters → NewRequest, or Open311Error 400/404 listing every problem."""
    procedure = exposed_procedure(organisation, params.get("service_code"))
    version = procedure.current_version
    mapping = form_mapping(version)
    problems = []
    try:
        lat = _coordinate(params, "lat", -90, 90)
        lon = _coordinate(params, "long", -180, 180)
    except Open311Error as error:
        problems.extend(error.descriptions)
        lat = lon = None
    if (lat is None) != (lon is None) and not problems:
        problems.append(_("lat et long vont ensemble : donnez les deux."))
    address_string, address_id = params.get("address_string"), params.get("address_id")
    if lat is None and lon is None and not address_string and not address_id and not problems:
        problems.append(_("Lieu manquant : donnez lat et long, address_string ou address_id."))
    try:
        media_url = _media_url(params)
    except Open311Error as error:
        problems.extend(error.descriptions)
        media_url = ""
    email = params.get("email")
    if email:
        try:
            CLEANERS["email"]({"type": "email"}, email)
        except FieldError:
            problems.append(_("email n'est pas une adresse électronique valide."))

    answers = {}
    for field, datatype in mapping.attributes:
        code = field["id"]
        raws = params.attribute_values(code)
        if not raws:
            if field.get("required") and not field.get("condition"):
                problems.append(_("Attribut obligatoire manquant : attribute[%(code)s] (%(label)s).")
                                % {"code": code, "label": _label(field)})
            continue
        try:
            value = _attribute_answer(field, datatype, raws)
        except FieldError as error:
            problems.append(f"attribute[{code}] : {error.message}")
            continue
        if value is not None:
            answers[code] = value
    # Attributes the service does not declare are ignored, not refused: FixMyStreet and other clients send some
    # of their own (fixmystreet_id, report_url, easting…), and a refusal would block every report.

    description = params.get("description")
    if description and mapping.description is not None:
        answers[mapping.description["id"]] = description[:10_000]
    first_name, last_name = params.get("first_name")[:100], params.get("last_name")[:100]
    values = {"first_name": first_name, "last_name": last_name, "email": email, "phone": params.get("phone")[:30]}
    # FixMyStreet splits its user's name on the first space: a one-word name ("Alex") arrives as first_name
    # only (or as last_name only). A required name field takes the other half rather than refusing the report.
    names = {"first_name": first_name or last_name, "last_name": last_name or first_name}
    fields = {field.get("id"): field for _page, field in iter_fields(version.form)}
    for field_id, param in mapping.params.items():
        field = fields[field_id]
        if not values[param] and param in names and field.get("required") and not field.get("condition"):
            values = {**values, param: names[param]}
        if not values[param]:
            continue
        if field.get("type") == "phone" and not field.get("required"):
            try:
                CLEANERS["phone"](field, values[param])
            except FieldError:
                continue  # a number the form cannot read (abroad…) is not worth refusing the report
        answers[field_id] = values[param]
    if mapping.address is not None and address_string:
        address_answer = _address_answer(mapping.address, address_string, lat, lon)
        if address_answer is not None:
            answers[mapping.address["id"]] = address_answer
    if problems:
        raise Open311Error(400, *problems)
    # The request's place when no address field of the form takes it (see submit_answers).
    location = {"address": address_string[:300], "latitude": lat, "longitude": lon}
    return NewRequest(
        procedure=procedure, answers=answers, contact_name=" ".join(p for p in (first_name, last_name) if p),
        contact_email=email, contact_phone=values["phone"], location=location,
        extra={"device_id": (params.get("device_id") or params.get("deviceid"))[:200], "account_id": params.get("account_id")[:200],
               "media_url": media_url, "address_id": address_id[:200], "description": description[:10_000]},
    )


def post_request(organisation, params):
    """POST requests → the answer's one item, or Open311Error (403 before anything else, 400, 404)."""
    from guichet.api.submission import SubmissionRefused, submit_answers

    client = authenticate(organisation, params)
    new = parse_new_request(organisation, params)
    check_client_service(client, new.procedure.current_version.service_id)
    mapping = form_mapping(new.procedure.current_version)
    with transaction.atomic():  # the request, its point, its Open311 record and message: all or nothing
        try:
            service_request = submit_answers(
                new.procedure.current_version, new.answers, channel=ServiceRequest.Channel.API, citizen=None,
                contact_name=new.contact_name, contact_email=new.contact_email, contact_phone=new.contact_phone,
                api_client=client, location=new.location,
            )
        except SubmissionRefused as refused:
            raise Open311Error(400, *[_refusal_text(mapping, key, message)
                                      for key, message in refused.errors.items()]) from None
        lat, lon = new.location["latitude"], new.location["longitude"]
        if lat is not None and service_request.latitude is None:
            # The form's address field took address_string but has no map: the point is the one sent.
            ServiceRequest.objects.filter(pk=service_request.pk).update(latitude=lat, longitude=lon)
        record = Open311Request.objects.create(
            organisation=organisation, request=service_request, api_client=client, **new.extra,
        )
        # What the form has no field for reaches the agents as the reporter's first message.
        parts = []
        if new.extra["description"] and mapping.description is None:
            parts.append(new.extra["description"])
        if new.extra["media_url"]:
            parts.append(_("Photo : %(url)s") % {"url": new.extra["media_url"]})
        if parts:
            add_event(service_request, Kind.MESSAGE_CITIZEN, visible_to_citizen=True, text="\n\n".join(parts)[:5000],
                      data={"open311": True})
    return {
        "service_request_id": service_request.tracking_code,
        "token": record.token,
        "service_notice": service_notice(new.procedure.current_version),
        "account_id": record.account_id or None,
    }


REFUSAL_PARAMS = {"contact_name": "first_name, last_name", "contact_email": "email", "contact_phone": "phone",
                  "location": "lat, long, address_string"}


def _refusal_text(mapping, key, message):
    """A refusal of submit_answers (keyed by form field id) named by the Open311 parameter it comes from."""
    field_id = key.split(".")[0]
    if key in REFUSAL_PARAMS:
        name = REFUSAL_PARAMS[key]
    elif mapping.description is not None and field_id == mapping.description["id"]:
        name = "description"
    elif mapping.address is not None and field_id == mapping.address["id"]:
        name = "address_string"
        message = _("%(message)s Donnez une adresse complète : « 12 rue des Lilas, 54470 Saint-Aubin ».") % {
            "message": message}
    elif field_id in mapping.params:
        name = mapping.params[field_id]
    elif key == "__all__":
        return str(message)
    else:
        name = f"attribute[{field_id}]"
    return f"{name} : {message}"


def service_notice(version):
    from guichet.procedures.services import deadline_in_words

    words = deadline_in_words(version)
    return _("Délai de traitement : %(deadline)s.") % {"deadline": words} if words else None


def token(organisation, token_id):
    record = (Open311Request.objects.of(organisation).filter(token=token_id).select_related("request").first()
              if TOKEN.match(token_id) else None)
    if record is None:
        raise Open311Error(404, _("Jeton « %(token)s » inconnu.") % {"token": token_id[:40]})
    return [{"service_request_id": record.request.tracking_code, "token": record.token}]


# ---------------------------------------------------------------------------------------------------------------
# GET requests


def exposed_requests(organisation):
    """Submitted requests of the procedures currently exposed in Open311 (all channels, not only Open311's)."""
    procedure_ids = list(exposed_procedures(organisation).values_list("pk", flat=True))
    return (ServiceRequest.objects.of(organisation)
            .filter(procedure_id__in=procedure_ids, state=ServiceRequest.State.SUBMITTED))


def _with_details(queryset):
    # The answers (`data`) and the procedure's draft form are never read here: deferred / fetched once per
    # procedure, not copied into each of up to 1000 rows (bench/api.py: CPU of a 1000-item list 364 → 150 ms).
    status_events = (RequestEvent.objects.filter(kind=Kind.STATUS_CHANGED).order_by("at", "pk")
                     .defer("data", "text"))
    return (queryset.defer("data").select_related("service", "open311")
            .prefetch_related("procedure", "version",
                              Prefetch("events", queryset=status_events, to_attr="status_events")))


def is_closed(service_request):
    return service_request.closed_at is not None or service_request.withdrawn_at is not None


def _zipcode(address):
    match = re.search(r"\b(\d{5})\b", address or "")
    return match.group(1) if match else None


def request_item(service_request):
    """One request of GET requests: nothing about the person who made it."""
    try:
        extra = service_request.open311
    except Open311Request.DoesNotExist:
        extra = None
    status = citizen_status(service_request, service_request.status_events)
    expected = None
    if service_request.deadline:
        expected = timezone.make_aware(datetime.datetime.combine(service_request.deadline, datetime.time(23, 59, 59)))
    return {
        "service_request_id": service_request.tracking_code,
        "status": "closed" if is_closed(service_request) else "open",
        "status_notes": status.label if status else _("Envoyée"),
        "service_name": service_request.version.title,
        "service_code": service_request.procedure.slug,
        "description": (extra.description if extra else "") or None,
        "agency_responsible": service_request.service.name if service_request.service_id else None,
        "service_notice": service_notice(service_request.version),
        "requested_datetime": service_request.submitted_at,
        "updated_datetime": service_request.updated_at,
        "expected_datetime": expected,
        "address": service_request.address or None,
        "address_id": (extra.address_id if extra else "") or None,
        "zipcode": _zipcode(service_request.address),
        "lat": service_request.latitude,
        "long": service_request.longitude,
        "media_url": (extra.media_url if extra else "") or None,
    }


def _split(params, name):
    values = []
    for value in params.getlist(name):
        values.extend(part.strip() for part in value.split(",") if part.strip())
    return values


def request_list(organisation, params, now=None):
    queryset = exposed_requests(organisation)
    ids = _split(params, "service_request_id")
    if ids:
        # The specification: service_request_id overrides every other argument.
        if len(ids) > MAX_IDS:
            raise Open311Error(400, _("%(n)s service_request_id au plus par appel.") % {"n": MAX_IDS})
        queryset = queryset.filter(tracking_code__in=[normalise_tracking_code(code) for code in ids
                                                      if normalise_tracking_code(code)])
    else:
        start, end = date_window(params, now)
        queryset = queryset.filter(submitted_at__gte=start, submitted_at__lte=end)
        codes = _split(params, "service_code")
        if codes:
            queryset = queryset.filter(procedure__slug__in=[code for code in codes[:MAX_IDS] if SLUG.match(code)])
        statuses = {status.lower() for status in _split(params, "status")}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status vaut open ou closed (plusieurs séparés par des virgules)."))
        if statuses == {"open"}:
            queryset = queryset.filter(closed_at__isnull=True, withdrawn_at__isnull=True)
        elif statuses == {"closed"}:
            queryset = queryset.filter(Q(closed_at__isnull=False) | Q(withdrawn_at__isnull=False))
    queryset = _with_details(queryset.order_by("-submitted_at", "-pk"))[:MAX_RESULTS]
    return [request_item(service_request) for service_request in queryset]


def request_detail(organisation, service_request_id):
    code = normalise_tracking_code(service_request_id)
    service_request = (_with_details(exposed_requests(organisation).filter(tracking_code=code)).first() if code
                       else None)
    if service_request is None:
        raise Open311Error(404, _("Demande « %(id)s » inconnue.") % {"id": service_request_id[:40]})
    return [request_item(service_request)]


# ---------------------------------------------------------------------------------------------------------------
# FixMyStreet's servicerequestupdates


def fms_status(service_request, status_id, *, closed=False):
    """FixMyStreet's status for a workflow status: a final status → FIXED (CLOSED when the request was withdrawn
    or merged), the initial status → OPEN, any other → IN_PROGRESS."""
    definition = service_request.status_definition(status_id) or {}
    if closed or definition.get("final"):
        return "FIXED" if definition.get("final") and not service_request.withdrawn_at else "CLOSED"
    if status_id and status_id == (service_request.version.workflow or {}).get("initial"):
        return "OPEN"
    return "IN_PROGRESS" if status_id else "OPEN"


def _sent_by(service_request, client):
    """Whether `client` sent this request through Open311 (its Open311 record names it)."""
    try:
        record = service_request.open311
    except Open311Request.DoesNotExist:
        return False
    return record.api_client_id is not None and record.api_client_id == client.pk


def _update_text(service_request, event, own=True):
    if not own and event.kind in GENERIC_TEXT_KINDS:
        return str(event.get_kind_display())
    if event.kind == Kind.STATUS_CHANGED:
        label = service_request.status_label(event.status_to)
        return _("Nouveau statut : %(label)s") % {"label": label}
    if event.kind == Kind.WITHDRAWN:
        return _("Demande retirée par l'usager.")
    return event.text or str(event.get_kind_display())


def update_list(organisation, params, now=None):
    client = authenticate(organisation, params)
    start, end = date_window(params, now)
    requests = exposed_requests(organisation)
    allowed = client_services(client)
    if allowed is not None:
        requests = requests.filter(service_id__in=allowed)
    events = list(
        RequestEvent.objects.of(organisation)
        .filter(request__in=requests, visible_to_citizen=True, kind__in=UPDATE_KINDS, at__gte=start, at__lte=end)
        .exclude(Q(kind__in=PRIVATE_UPDATE_KINDS) & ~Q(request__open311__api_client=client))
        .select_related("request", "request__open311").defer("data", "request__data")
        .prefetch_related("request__procedure", "request__version")
        .order_by("at", "pk")[:MAX_RESULTS]
    )
    request_ids = {event.request_id for event in events}
    history = {}
    for status_event in (RequestEvent.objects.of(organisation)
                         .filter(request_id__in=request_ids, kind=Kind.STATUS_CHANGED).order_by("at", "pk")
                         .only("request_id", "at", "status_to")):
        history.setdefault(status_event.request_id, []).append(status_event)
    updates = []
    for event in events:
        service_request = event.request
        own = _sent_by(service_request, client)
        if event.kind in PRIVATE_UPDATE_KINDS and not own:
            continue
        if event.kind == Kind.STATUS_CHANGED:
            definition = service_request.status_definition(event.status_to)
            if not definition or not definition.get("visible", True):
                continue
        status_id = (service_request.version.workflow or {}).get("initial") or ""
        for status_event in history.get(service_request.pk, []):
            if (status_event.at, status_event.pk) <= (event.at, event.pk):
                status_id = status_event.status_to
        if event.kind == Kind.MERGED:
            status = "DUPLICATE"
        elif event.kind == Kind.WITHDRAWN:
            status = "CLOSED"
        else:
            status = fms_status(service_request, status_id)
        updates.append({
            "update_id": str(event.pk),
            "service_request_id": service_request.tracking_code,
            "status": status,
            "updated_datetime": event.at,
            "description": _update_text(service_request, event, own),
            "media_url": None,
        })
    return updates


def post_update(organisation, params):
    """FixMyStreet posts a comment → it becomes the citizen's message on the request (idempotent per update_id)."""
    from guichet.service_requests.messaging import AlreadyPosted, MessageRefused, post_citizen_message

    client = authenticate(organisation, params)
    code = params.get("service_request_id")
    if not code:
        raise Open311Error(400, _("service_request_id manquant."))
    normalised = normalise_tracking_code(code)
    service_request = exposed_requests(organisation).filter(tracking_code=normalised).first() if normalised else None
    if service_request is None:
        raise Open311Error(404, _("Demande « %(id)s » inconnue.") % {"id": code[:40]})
    check_client_service(client, service_request.service_id)
    problems = []
    description = params.get("description")
    if not description:
        problems.append(_("description manquante : le texte du commentaire est obligatoire."))
    status = params.get("status").upper()
    if status and status not in FMS_STATUSES:
        problems.append(_("status inconnu : %(value)s.") % {"value": status[:40]})
    try:
        parse_datetime(params, "updated_datetime")
    except Open311Error as error:
        problems.extend(error.descriptions)
    try:
        media_url = _media_url(params)
    except Open311Error as error:
        problems.extend(error.descriptions)
        media_url = ""
    if problems:
        raise Open311Error(400, *problems)
    external_id = params.get("update_id") or params.get("update_id_ext")
    author = " ".join(part for part in (params.get("first_name")[:100], params.get("last_name")[:100]) if part)
    text = description
    if author:
        text = _("%(author)s (par Open311) :") % {"author": author} + "\n" + text
    if media_url:
        text += "\n" + _("Photo : %(url)s") % {"url": media_url}
    form_token = None
    if external_id:
        form_token = hashlib.sha256(f"open311:{client.pk}:{service_request.pk}:{external_id}".encode()).hexdigest()[:32]
    try:
        event = post_citizen_message(service_request, None, text[:5000], token=form_token)
    except AlreadyPosted as posted:
        event = posted.event
    except MessageRefused as refused:
        raise Open311Error(400, refused.message) from None
    return [{"update_id": str(event.pk)}]
