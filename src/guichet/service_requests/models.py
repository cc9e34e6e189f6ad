"""Requests made by citizens through an online procedure (Open311 calls them service requests).

A request is a row of `ServiceRequest` from the first page of the form on: state `draft` while the citizen
fills it in (answers saved at each page), then `submitted` exactly once. It keeps the `ProcedureVersion` it was
made with, so later versions of the procedure never change how it reads. Its files are `Attachment`s, its
history is the append-only `RequestEvent` timeline (written only through `services.add_event`).
"""

from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guichet.organisations.models import OrganisationOwned, OrganisationQuerySet

from .storage import get_private_storage, private_name


class ServiceRequest(OrganisationOwned):
    class Priority(models.IntegerChoices):
        LOW = 1, _("Basse")
        NORMAL = 2, _("Normale")
        HIGH = 3, _("Haute")
        URGENT = 4, _("Urgente")

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Envoyée")

    class Channel(models.TextChoices):
        WEB = "web", _("En ligne")
        PHONE = "phone", _("Téléphone")
        COUNTER = "counter", pgettext_lazy("canal", "Accueil")
        POSTAL = "postal", _("Courrier")
        EMAIL = "email", _("Courriel")
        API = "api", _("Interface de programmation")

    version = models.ForeignKey(
        "procedures.ProcedureVersion", verbose_name=_("version de la démarche"), on_delete=models.PROTECT,
        related_name="requests",
    )
    procedure = models.ForeignKey(
        "procedures.Procedure", verbose_name=_("démarche"), on_delete=models.PROTECT, related_name="requests"
    )
    tracking_code = models.CharField(_("numéro de suivi"), max_length=12, unique=True)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.DRAFT)

    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("usager"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="service_requests",
    )
    # Submitters without an account (procedures open to anyone).
    contact_name = models.CharField(_("nom du demandeur"), max_length=200, blank=True)
    contact_email = models.EmailField(_("courriel du demandeur"), blank=True)
    contact_phone = models.CharField(_("téléphone du demandeur"), max_length=30, blank=True)

    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saisie par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    service = models.ForeignKey(
        "agents.Service", verbose_name=_("service"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="requests",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent en charge"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="assigned_requests",
    )
    status = models.CharField(_("statut"), max_length=80, blank=True)
    waiting_for_citizen = models.BooleanField(_("en attente de l'usager"), default=False)
    information_request = models.TextField(_("complément demandé"), blank=True)
    deadline = models.DateField(_("date limite"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priorité"), choices=Priority.choices, default=Priority.NORMAL)

    # Where the request is about (copied at submission from the form's first address answer, see location.py).
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    district = models.CharField(_("quartier ou commune"), max_length=120, blank=True)
    # Household members the request is about (names, copied at submission), shown in « Mes démarches ».
    concerns = models.CharField(_("concerne"), max_length=300, blank=True)

    data = models.JSONField(_("réponses"), default=dict, blank=True)
    current_page = models.CharField(_("page en cours"), max_length=80, blank=True)

    submitted_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymisée le"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("retirée par l'usager le"), null=True, blank=True)
    # The last written answer sent to the citizen since the request was (re)opened: a final status needs one.
    answered_at = models.DateTimeField(_("réponse écrite envoyée le"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("regroupée dans"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="merged_requests",
    )
    lock_version = models.PositiveIntegerField(_("version (verrou optimiste)"), default=0)

    class Meta:
        verbose_name = _("demande")
        verbose_name_plural = _("demandes")
        ordering = ["-created_at"]
        # Submitted, neither closed nor withdrawn: the rows of the agents' queues (partial indexes below).
        _open = models.Q(state="submitted", closed_at__isnull=True, withdrawn_at__isnull=True)
        indexes = [
            models.Index(fields=["organisation", "service", "status"], name="request_org_service_status"),
            models.Index(fields=["organisation", "citizen"], name="request_org_citizen"),
            # Agents' queues: a service's requests by deadline; « Mes démarches »: a citizen's by date.
            models.Index(fields=["service", "state", "deadline", "id"], name="request_queue_deadline"),
            models.Index(fields=["organisation", "state", "deadline", "id"], name="request_org_deadline"),
            models.Index(fields=["citizen", "state", "submitted_at"], name="request_citizen_submitted"),
            models.Index(fields=["assigned_to", "state", "deadline"], name="request_assignee_deadline"),
            models.Index(fields=["organisation", "procedure", "submitted_at"], name="request_procedure_date"),
            # A service's submitted requests, most recent first (requests_for_agent's order: search, exports).
            models.Index(fields=["organisation", "service", "submitted_at", "id"], name="request_service_submitted",
                         condition=models.Q(state="submitted")),
            # The queues of OPEN requests (about a tenth of the table: small partial indexes) in the orders they
            # are read: by deadline for a service, a service and status, a collectivité (administrators), an
            # assignee, and by priority. See bench/back_office.py and migration 0003 (planner statistics).
            models.Index(fields=["organisation", "service", "deadline", "id"], name="request_open_service_deadline",
                         condition=_open),
            models.Index(fields=["organisation", "service", "status", "deadline", "id"],
                         name="request_open_service_status", condition=_open),
            models.Index(fields=["organisation", "deadline", "id"], name="request_open_org_deadline",
                         condition=_open),
            models.Index(fields=["organisation", "assigned_to", "deadline", "id"], name="request_open_assignee",
                         condition=_open),
            models.Index(fields=["organisation", "service", "-priority", "deadline", "id"],
                         name="request_open_service_priority", condition=_open),
        ]

    def __str__(self):
        return f"{self.tracking_code} — {self.version.title if self.version_id else ''}".rstrip(" —")

    @property
    def is_draft(self):
        return self.state == self.State.DRAFT

    @property
    def is_submitted(self):
        return self.state == self.State.SUBMITTED

    @property
    def is_closed(self):
        return self.closed_at is not None

    @property
    def is_withdrawn(self):
        return self.withdrawn_at is not None

    @property
    def title(self):
        """The procedure's title as it was when this request's version was published."""
        return self.version.title

    def status_definition(self, status_id=None):
        """The workflow status (dict from the version's snapshot) of `status_id` (default: the current one)."""
        status_id = self.status if status_id is None else status_id
        for status in (self.version.workflow or {}).get("statuses", []):
            if status.get("id") == status_id:
                return status
        return None

    def status_label(self, status_id=None):
        status = self.status_definition(status_id)
        if status:
            return status.get("label") or status.get("id")
        return status_id if status_id is not None else self.status


def attachment_upload_to(instance, filename):
    """An unguessable name under the collectivité's folder of the private storage (never the citizen's name)."""
    return private_name(instance.organisation_id, "attachments", PurePosixPath(filename).suffix[:10])


class Attachment(OrganisationOwned):
    class Source(models.TextChoices):
        CITIZEN = "citizen", _("Usager")
        AGENT = "agent", _("Agent")
        GENERATED = "generated", _("Document produit")

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("demande"), on_delete=models.CASCADE, related_name="attachments"
    )
    field_id = models.CharField(_("champ"), max_length=80, blank=True)
    file = models.FileField(_("fichier"), storage=get_private_storage, upload_to=attachment_upload_to, max_length=255)
    original_name = models.CharField(_("nom d'origine"), max_length=255)
    content_type = models.CharField(_("type de contenu"), max_length=100)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("déposé par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("origine"), max_length=10, choices=Source.choices, default=Source.CITIZEN)
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.original_name


class AppendOnlyQuerySet(OrganisationQuerySet):
    def delete(self):
        raise ValidationError(_("L'historique d'une demande ne s'efface pas."))


class RequestEvent(OrganisationOwned):
    """One line of a request's timeline. Append-only: written by `services.add_event`, never changed."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Brouillon commencé")
        SUBMITTED = "submitted", _("Demande envoyée")
        STATUS_CHANGED = "status_changed", _("Changement de statut")
        ACTION = "action", _("Action")
        MESSAGE_CITIZEN = "message_citizen", _("Message de l'usager")
        MESSAGE_AGENT = "message_agent", _("Message de l'agent")
        NOTE = "note", _("Note interne")
        NOTIFICATION = "notification", _("Notification envoyée")
        INFORMATION_REQUESTED = "information_requested", _("Complément demandé")
        INFORMATION_ANSWERED = "information_answered", _("Complément apporté")
        DOCUMENT_GENERATED = "document_generated", _("Document produit")
        ATTACHMENT_ADDED = "attachment_added", _("Pièce ajoutée")
        WEBHOOK = "webhook", _("Appel d'un service externe")
        ASSIGNED = "assigned", _("Attribution")
        VIEWED = "viewed", _("Consultation")
        DEADLINE_SET = "deadline_set", _("Date limite fixée")
        DOCUMENT_KEPT = "document_kept", _("Pièce conservée dans l'espace documents")
        ANONYMISED = "anonymised", _("Anonymisation")
        ANSWER = "answer", _("Réponse écrite à l'usager")
        WITHDRAWN = "withdrawn", _("Demande retirée par l'usager")
        PRIORITY_CHANGED = "priority_changed", _("Priorité modifiée")
        MERGED = "merged", _("Demandes regroupées")
        LINKED = "linked", _("Demandes liées")
        RATED = "rated", _("Avis de l'usager")
        REOPEN_REQUESTED = "reopen_requested", _("Réouverture demandée par l'usager")
        REOPENED = "reopened", _("Demande rouverte")
        REOPEN_REFUSED = "reopen_refused", _("Réouverture refusée")
        # Other channels (issue 6): a call or a visit at the counter about the request, an e-mail or a letter
        # added to it, a draft taken over by an agent, the member commune told of its progress.
        CALL = "call", _("Appel téléphonique")
        VISIT = "visit", _("Passage à l'accueil")
        MAIL_RECEIVED = "mail_received", _("Courriel ou courrier reçu")
        TAKEN_OVER = "taken_over", _("Reprise par un agent pour le compte de l'usager")
        COMMUNE_INFORMED = "commune_informed", _("Commune membre informée")

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("demande"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("le"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("auteur"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("type"), max_length=40, choices=Kind.choices)
    visible_to_citizen = models.BooleanField(_("visible par l'usager"), default=False)
    status_from = models.CharField(_("statut de départ"), max_length=80, blank=True)
    status_to = models.CharField(_("nouveau statut"), max_length=80, blank=True)
    text = models.TextField(_("texte"), blank=True)
    data = models.JSONField(_("données"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement d'une demande")
        verbose_name_plural = _("événements des demandes")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["request", "at"], name="request_event_timeline")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.at:%d/%m/%Y %H:%M})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("L'historique d'une demande ne se modifie pas."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("L'historique d'une demande ne s'efface pas."))
