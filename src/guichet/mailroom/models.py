"""What comes in by e-mail and by post, from the moment it arrives until it is qualified.

Every message is an `IncomingMail`, stored (its raw bytes included: the `.eml` as received, or the scans) before
anything else is done with it, so that nothing is lost when processing fails. It gets a registry number
(« numéro d'enregistrement », `E-2026-000012` for an e-mail, `C-2026-000034` for a letter) from a per-year
counter, which is where the full mail registry of a later issue starts from. Then it is either added to the
request whose tracking code it quotes, or waits in the to-qualify queue until an agent turns it into a request,
answers it directly or files it as information.
"""

from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned
from guichet.service_requests.storage import get_private_storage, private_name


def raw_upload_to(instance, filename):
    return private_name(instance.organisation_id, "mail", PurePosixPath(filename).suffix[:10])


class Mailbox(OrganisationOwned):
    """A collectivité's mailbox read over IMAP by a periodic job (new messages only, by UID)."""

    name = models.CharField(_("nom"), max_length=150, help_text=_("Par exemple « Accueil de la mairie »."))
    host = models.CharField(_("serveur IMAP"), max_length=253)
    port = models.PositiveIntegerField(_("port"), default=993)
    class Security(models.TextChoices):
        SSL = "ssl", _("IMAPS : chiffrée dès la connexion (port 993 en général)")
        STARTTLS = "starttls", _("STARTTLS obligatoire (port 143 en général)")
        PLAIN = "plain", _("Sans chiffrement (serveur du réseau interne uniquement)")

    security = models.CharField(_("sécurité de la connexion"), max_length=10, choices=Security.choices,
                                default=Security.SSL)
    username = models.CharField(_("identifiant"), max_length=254)
    password = models.CharField(_("mot de passe"), max_length=254)
    folder = models.CharField(_("dossier"), max_length=200, default="INBOX")
    service = models.ForeignKey(
        "agents.Service", verbose_name=_("service destinataire par défaut"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    is_active = models.BooleanField(_("relevée"), default=True)
    # Where the poller stopped: messages with a UID above last_uid (in this UIDVALIDITY) are new.
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.BigIntegerField(_("dernier UID relevé"), default=0)
    last_polled_at = models.DateTimeField(_("dernière relève"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)

    class Meta:
        verbose_name = _("boîte aux lettres relevée")
        verbose_name_plural = _("boîtes aux lettres relevées")
        ordering = ["name"]

    def __str__(self):
        return self.name


class InboundEndpoint(OrganisationOwned):
    """The secret with which a mail gateway forwards messages to /api/courriels/entrants/ (stored hashed)."""

    secret_hash = models.CharField(_("empreinte du secret"), max_length=128)
    service = models.ForeignKey(
        "agents.Service", verbose_name=_("service destinataire par défaut"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("créé par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("adresse de réception des courriels transférés")
        verbose_name_plural = _("adresses de réception des courriels transférés")
        constraints = [models.UniqueConstraint(fields=["organisation"], name="one_inbound_endpoint_per_org")]


class RegistryCounter(OrganisationOwned):
    """Last registry number given in a year, per channel prefix (taken under row lock)."""

    prefix = models.CharField(max_length=2)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "prefix", "year"], name="unique_mail_registry_counter")
        ]


class IncomingMail(OrganisationOwned):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Courriel")
        POSTAL = "postal", _("Courrier postal")

    class Source(models.TextChoices):
        IMAP = "imap", _("Boîte aux lettres relevée")
        INBOUND = "inbound", _("Courriel transféré")
        SCAN = "scan", _("Courrier numérisé")

    class State(models.TextChoices):
        RECEIVED = "received", _("Reçu, en cours de traitement")
        TO_QUALIFY = "to_qualify", _("À qualifier")
        ATTACHED = "attached", _("Ajouté à une demande")
        QUALIFIED = "qualified", _("Transformé en demande")
        ANSWERED = "answered", _("Répondu directement")
        FILED = "filed", _("Classé pour information")

    class OcrStatus(models.TextChoices):
        NOT_NEEDED = "not_needed", _("Sans objet")
        PENDING = "pending", _("En attente")
        DONE = "done", _("Texte extrait")
        FAILED = "failed", _("Texte illisible")

    registry_number = models.CharField(_("numéro d'enregistrement"), max_length=20)
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    source = models.CharField(_("provenance"), max_length=10, choices=Source.choices)
    state = models.CharField(_("état"), max_length=12, choices=State.choices, default=State.RECEIVED)
    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("boîte aux lettres"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="messages",
    )
    received_at = models.DateTimeField(_("reçu le"))
    document_date = models.DateField(_("date du courrier"), null=True, blank=True)

    sender_name = models.CharField(_("expéditeur"), max_length=200, blank=True)
    sender_email = models.EmailField(_("courriel de l'expéditeur"), max_length=254, blank=True)
    sender_address = models.TextField(_("adresse de l'expéditeur"), blank=True)
    sender_phone = models.CharField(_("téléphone de l'expéditeur"), max_length=30, blank=True)
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("usager"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="incoming_mail",
    )
    recipients = models.TextField(_("destinataires"), blank=True)
    subject = models.CharField(_("objet"), max_length=500, blank=True)
    body = models.TextField(_("texte du message"), blank=True)
    ocr_text = models.TextField(_("texte extrait (OCR)"), blank=True)
    ocr_status = models.CharField(
        _("reconnaissance de texte"), max_length=12, choices=OcrStatus.choices, default=OcrStatus.NOT_NEEDED
    )

    # E-mail identity: one row per (collectivité, Message-ID); raw_sha256 dedups deliveries without Message-ID.
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    in_reply_to = models.CharField(_("en réponse à"), max_length=998, blank=True)
    raw = models.FileField(
        _("message d'origine"), storage=get_private_storage, upload_to=raw_upload_to, max_length=255, blank=True
    )
    raw_sha256 = models.CharField(_("empreinte du message d'origine"), max_length=64, blank=True)

    service = models.ForeignKey(
        "agents.Service", verbose_name=_("service"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="incoming_mail",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent en charge"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    request = models.ForeignKey(
        "service_requests.ServiceRequest", verbose_name=_("demande"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="incoming_mail",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("traité par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    handling_note = models.TextField(_("réponse ou note de classement"), blank=True)
    processing_error = models.TextField(_("erreur de traitement"), blank=True)
    # The request whose tracking code the message quotes although its sender is not that request's citizen (or the
    # request takes no more messages): shown to the agent who qualifies it, never attached automatically.
    suggested_request = models.ForeignKey(
        "service_requests.ServiceRequest", verbose_name=_("demande suggérée"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    processed_at = models.DateTimeField(_("traité automatiquement le"), null=True, blank=True)
    # Search (services.index_mail): registry number, sender, subject, text and OCR text folded by
    # search.text.index_text; on PostgreSQL also their French tsvector (GIN index on (organisation_id, vector)).
    search_text = models.TextField(_("texte indexé"), blank=True, editable=False)
    search_vector = SearchVectorField(_("vecteur de recherche"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("enregistré par"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    lock_version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("courriel ou courrier entrant")
        verbose_name_plural = _("courriels et courriers entrants")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "registry_number"], name="unique_mail_registry_number"),
            models.UniqueConstraint(
                fields=["organisation", "message_id"], condition=~models.Q(message_id=""),
                name="unique_mail_message_id",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "state", "received_at", "id"], name="mail_org_state_received"),
            models.Index(fields=["organisation", "raw_sha256"], name="mail_org_raw_sha"),
            models.Index(fields=["citizen", "received_at"], name="mail_citizen_received"),
            # The to-qualify queue filtered by service or by agent in charge (core's list page).
            models.Index(fields=["organisation", "service", "state", "received_at", "id"], name="mail_org_service_state"),
            models.Index(fields=["organisation", "assigned_to", "state", "received_at", "id"],
                         name="mail_org_assignee_state"),
        ]

    def __str__(self):
        return f"{self.registry_number} — {self.subject}".rstrip(" —")

    @property
    def text(self):
        """What the message says: the e-mail's text, or the text read from the scans."""
        return "\n\n".join(part for part in (self.body, self.ocr_text) if part)


def mail_attachment_upload_to(instance, filename):
    return private_name(instance.organisation_id, "mail", PurePosixPath(filename).suffix[:10])


class MailAttachment(OrganisationOwned):
    """A file of an incoming message: an e-mail's attachment or one scanned letter (PDF or image)."""

    mail = models.ForeignKey(IncomingMail, verbose_name=_("message"), on_delete=models.CASCADE,
                             related_name="attachments")
    file = models.FileField(_("fichier"), storage=get_private_storage, upload_to=mail_attachment_upload_to,
                            max_length=255, blank=True)
    original_name = models.CharField(_("nom d'origine"), max_length=255)
    content_type = models.CharField(_("type de contenu"), max_length=100)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    is_scan = models.BooleanField(_("numérisation du courrier"), default=False)
    # Refused files are recorded (name, type, size, reason) without their content: too big, dangerous…
    refused_reason = models.CharField(_("motif du refus"), max_length=300, blank=True)
    ocr_text = models.TextField(_("texte extrait (OCR)"), blank=True)
    # What the OCR made of each page ({"pages": [{"page": 1, "status": …}], "reason": "…"}), for the letter's page.
    ocr_report = models.JSONField(_("compte rendu de la lecture"), default=dict, blank=True)
    created_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce d'un message entrant")
        verbose_name_plural = _("pièces des messages entrants")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.original_name
