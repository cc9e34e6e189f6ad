"""The columns of an export: French headers and the typed value of each cell for one request.

Values are Python values (text, `datetime.date`, `datetime.datetime` in the collectivité's local time, None):
each writer turns them into its format's cells (real dates in ODS and XLSX, dd/mm/yyyy in CSV).
"""

import functools
import re
from types import SimpleNamespace

import phonenumbers
from django.utils import timezone
from django.utils.translation import gettext_lazy

from guichet.accounts.models import is_placeholder_email
from guichet.service_requests.models import ServiceRequest

HEADERS = [
    gettext_lazy("numéro de suivi"),
    gettext_lazy("démarche"),
    gettext_lazy("canal"),
    gettext_lazy("statut"),
    gettext_lazy("priorité"),
    gettext_lazy("service"),
    gettext_lazy("agent en charge"),
    gettext_lazy("demandeur"),
    gettext_lazy("courriel"),
    gettext_lazy("téléphone"),
    gettext_lazy("adresse"),
    gettext_lazy("quartier"),
    gettext_lazy("envoyée le"),
    gettext_lazy("date limite"),
    gettext_lazy("état du délai"),
    gettext_lazy("close le"),
    gettext_lazy("réponse envoyée le"),
]


def local(moment):
    """An aware datetime as the collectivité's wall-clock time, without time zone (spreadsheets have none)."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


# Metropolitan French numbers, national (0612345678) or international (+33 6 12 34 56 78), separators aside.
FRENCH_NUMBER = re.compile(r"^(?:0|\+33|0033)([1-9]\d{8})$")
SEPARATORS = re.compile(r"[\s.\-()]")


def french_phone(number):
    """A phone number as the French write it (06 12 34 56 78), international otherwise; raw text if unreadable.

    The common case, a metropolitan number, is formatted without phonenumbers' full parse (the costliest step of
    a large export); other numbers go through phonenumbers."""
    text = str(number or "").strip()
    if not text:
        return ""
    french = FRENCH_NUMBER.match(SEPARATORS.sub("", text))
    if french:
        digits = "0" + french.group(1)
        return " ".join(digits[index:index + 2] for index in range(0, 10, 2))
    return _other_phone(text)


@functools.lru_cache(maxsize=1024)
def _other_phone(text):
    try:
        parsed = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_valid_number(parsed):
        return text
    if phonenumbers.region_code_for_number(parsed) == "FR":
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def full_name(first_name, last_name):
    """As `User.get_full_name()`, from the two columns."""
    return " ".join(part for part in (first_name, last_name) if part).strip()


class RowBuilder:
    """Turns batches of requests into rows; remembers the status labels of the versions already met.

    A request is a `types.SimpleNamespace` of FIELDS, with « __ » read as « _ » (`procedure_title`): the
    batches are read with `values()`, several times faster than model instances for what a row needs."""

    # The columns the rows need (the batch query reads only those).
    FIELDS = (
        "pk", "version_id", "tracking_code", "channel", "status", "priority", "citizen_id",
        "contact_name", "contact_email", "contact_phone", "address", "district", "submitted_at", "deadline",
        "closed_at", "withdrawn_at", "answered_at", "procedure__title", "service__name", "assigned_to_id",
        "assigned_to__first_name", "assigned_to__last_name", "assigned_to__email",
        "citizen__first_name", "citizen__last_name", "citizen__email", "citizen__phone",
    )

    def __init__(self, organisation, today=None):
        from guichet.queues.services import deadline_state
        from guichet.queues.templatetags.queues_tags import DEADLINE_LABELS

        self.organisation = organisation
        self.today = today or timezone.localdate()
        self.labels = {}  # version id → {status id: label}
        # Labels translated once per export, not once per row.
        self.deadline_state = deadline_state
        self.deadline_labels = {state: str(label) for state, label in DEADLINE_LABELS.items()}
        self.channels = {value: str(label) for value, label in ServiceRequest.Channel.choices}
        self.priorities = {value: str(label) for value, label in ServiceRequest.Priority.choices}

    @classmethod
    def read(cls, requests):
        """The requests of a queryset as the namespaces `row()` takes, in the queryset's order."""
        names = [field.replace("__", "_") for field in cls.FIELDS]
        return [SimpleNamespace(**dict(zip(names, values))) for values in requests.values_list(*cls.FIELDS)]

    def _load_labels(self, requests):
        from guichet.procedures.models import ProcedureVersion

        missing = {request.version_id for request in requests} - self.labels.keys()
        if not missing:
            return
        for version in ProcedureVersion.objects.of(self.organisation).filter(pk__in=missing).only("pk", "workflow"):
            statuses = (version.workflow or {}).get("statuses", []) if isinstance(version.workflow, dict) else []
            self.labels[version.pk] = {
                status.get("id"): str(status.get("label") or status.get("id"))
                for status in statuses if isinstance(status, dict)
            }
        for version_id in missing:
            self.labels.setdefault(version_id, {})

    def rows(self, requests):
        self._load_labels(requests)
        return [self.row(request) for request in requests]

    def row(self, request):
        if request.citizen_id:
            name = full_name(request.citizen_first_name, request.citizen_last_name) or request.contact_name
            email = ("" if is_placeholder_email(request.citizen_email) else request.citizen_email) \
                or request.contact_email
            phone = french_phone(request.citizen_phone) or french_phone(request.contact_phone)
        else:
            name, email, phone = request.contact_name, request.contact_email, french_phone(request.contact_phone)
        assignee = ""
        if request.assigned_to_id:
            assignee = (full_name(request.assigned_to_first_name, request.assigned_to_last_name)
                        or request.assigned_to_email)
        return [
            request.tracking_code,
            request.procedure_title or "",
            self.channels.get(request.channel, request.channel),
            self.labels.get(request.version_id, {}).get(request.status, request.status),
            self.priorities.get(request.priority, str(request.priority)),
            request.service_name or "",
            assignee,
            name,
            email,
            phone,
            request.address,
            request.district,
            local(request.submitted_at),
            request.deadline,
            self.deadline_labels.get(self.deadline_state(request, self.today), ""),
            local(request.closed_at),
            local(request.answered_at),
        ]
