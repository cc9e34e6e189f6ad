"""The columns of an export: French headers and the typed value of each cell for one request.

Values are Python values (text, `datetime.date`, `datetime.datetime` in the collectivité's local time, None):
each writer turns them into its format's cells (real dates in ODS and XLSX, dd/mm/yyyy in CSV).
"""

import phonenumbers
from django.utils import timezone
from django.utils.translation import gettext_lazy

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


def french_phone(number):
    """A phone number as the French write it (06 12 34 56 78), international otherwise; raw text if unreadable."""
    text = str(number or "").strip()
    if not text:
        return ""
    try:
        parsed = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_valid_number(parsed):
        return text
    if phonenumbers.region_code_for_number(parsed) == "FR":
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class RowBuilder:
    """Turns batches of requests into rows; remembers the status labels of the versions already met."""

    # The fields the rows need (the batch query loads only those).
    FIELDS = (
        "pk", "organisation_id", "version_id", "tracking_code", "channel", "status", "priority", "citizen_id",
        "contact_name", "contact_email", "contact_phone", "address", "district", "submitted_at", "deadline",
        "closed_at", "withdrawn_at", "answered_at", "procedure__title", "service__name",
        "assigned_to__first_name", "assigned_to__last_name", "assigned_to__email",
        "citizen__first_name", "citizen__last_name", "citizen__email", "citizen__phone",
    )

    def __init__(self, organisation, today=None):
        self.organisation = organisation
        self.today = today or timezone.localdate()
        self.labels = {}  # version id → {status id: label}
        from guichet.queues.services import deadline_state
        from guichet.queues.templatetags.queues_tags import DEADLINE_LABELS

        # Labels translated once per export, not once per row.
        self.deadline_state = deadline_state
        self.deadline_labels = {state: str(label) for state, label in DEADLINE_LABELS.items()}
        self.channels = {value: str(label) for value, label in ServiceRequest.Channel.choices}
        self.priorities = {value: str(label) for value, label in ServiceRequest.Priority.choices}

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
        citizen = request.citizen if request.citizen_id else None
        if citizen is not None:
            name = citizen.get_full_name() or request.contact_name
            email = citizen.email or request.contact_email
            phone = french_phone(citizen.phone) or french_phone(request.contact_phone)
        else:
            name, email, phone = request.contact_name, request.contact_email, french_phone(request.contact_phone)
        assignee = request.assigned_to.get_full_name() or request.assigned_to.email if request.assigned_to_id else ""
        return [
            request.tracking_code,
            request.procedure.title if request.procedure_id else "",
            self.channels.get(request.channel, request.channel),
            self.labels.get(request.version_id, {}).get(request.status, request.status),
            self.priorities.get(request.priority, str(request.priority)),
            request.service.name if request.service_id else "",
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
