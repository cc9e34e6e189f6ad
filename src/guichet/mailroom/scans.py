"""Postal mail intake: scanned letters uploaded by the mail room, one letter per file, then read by OCR.

    batch = register_scans(organisation, agent, request.FILES.getlist("files"), received_on=..., service=...)
    batch.mails      # the letters registered (C-2026-000034…), state RECEIVED, OCR pending
    batch.refusals   # [Refusal(name, message)] French, one per refused file; the other files are kept
    batch.error      # French, when the whole batch is refused (no file, too many files): nothing registered

- Each file is checked from its CONTENT (`filetype`), never its name: PDF, PNG, JPEG or TIFF, at most
  `MAX_FILE_MB` Mo, not empty; a batch holds at most `MAX_FILES` files. A file already registered (same bytes:
  a double submission, the same scan sent twice) is refused with the number it was given.
- Each accepted file becomes ONE letter in its own transaction: `registry.register_mail(channel=POSTAL,
  source=SCAN)` (registry number), a `MailAttachment(is_scan=True)` holding the file as received, `ocr_status`
  PENDING and the durable job `tasks.ocr_letter(mail_id)` enqueued in that same transaction: a registered letter
  is always read, and a refused file never stops the others.
- The job (`read_letter`) runs the OCR (`ocr.read_document`) outside any transaction, then stores the text on the
  scan and on the letter (`ocr_text`, `ocr_status` DONE or FAILED), takes the letter's subject from its « Objet : »
  line and calls `services.process_mail`: the letter quotes a tracking code of its author's request → added to
  it; otherwise → the to-qualify queue. An unreadable scan leaves the letter FAILED (« Texte illisible ») in the
  queue, its scan downloadable. Running the job again does nothing once the text is stored.
"""

import datetime
import hashlib
import logging
import re
from dataclasses import dataclass, field

import filetype
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.service_requests.files import KINDS as REQUEST_FILE_KINDS
from guichet.service_requests.files import FileKind, clean_name

from . import ocr
from .models import IncomingMail, MailAttachment
from .registry import register_mail

logger = logging.getLogger(__name__)

MAX_FILE_MB = 20
MAX_FILES = 30
SCAN_KINDS = {
    "pdf": REQUEST_FILE_KINDS["pdf"],
    "jpeg": REQUEST_FILE_KINDS["jpeg"],
    "png": REQUEST_FILE_KINDS["png"],
    "tiff": FileKind("tiff", "image/tiff", ("tif", "tiff"), gettext_lazy("image TIFF")),
}
SCAN_CONTENT_TYPES = {kind.content_type for kind in SCAN_KINDS.values()}
PROGRAMS = frozenset({"exe", "elf", "dll", "swf", "crx", "deb", "rpm", "wasm", "cab", "msi", "dex", "class"})
OBJECT_LINE = re.compile(r"^\s*(?:objet|obj\.?|concerne)\s*:\s*(?P<subject>\S.{2,})$", re.IGNORECASE | re.MULTILINE)
MAX_SUBJECT = 200


class ScanRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Refusal:
    name: str
    message: str


@dataclass(frozen=True)
class CheckedScan:
    content: bytes
    kind: FileKind
    original_name: str

    @property
    def sha256(self):
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Batch:
    mails: list = field(default_factory=list)
    refusals: list = field(default_factory=list)
    error: str = ""


def accepted_labels():
    return ", ".join(str(kind.label) for kind in SCAN_KINDS.values())


def _megabytes(size):
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


def _read(uploaded, limit):
    """The uploaded file's bytes, reading at most `limit` + 1 bytes."""
    uploaded.seek(0)
    chunks, total = [], 0
    for chunk in uploaded.chunks() if hasattr(uploaded, "chunks") else [uploaded.read(limit + 1)]:
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            break
    return b"".join(chunks)


def scan_kind(content):
    """"pdf", "jpeg", "png" or "tiff" read from the content; "program" for an executable; else None."""
    guess = filetype.guess(content[:8192]) if content else None
    if guess is None:
        return None
    if guess.extension in PROGRAMS:
        return "program"
    return {"application/pdf": "pdf", "image/jpeg": "jpeg", "image/png": "png", "image/tiff": "tiff"}.get(guess.mime)


def check_scan(uploaded):
    """A `CheckedScan` for one uploaded file, or ScanRefused with a French message naming the file."""
    name = clean_name(getattr(uploaded, "name", ""))
    limit = MAX_FILE_MB * 1024 * 1024
    too_big = _("« %(name)s » pèse %(size)s Mo : la limite est de %(limit)s Mo par fichier. Numérisez-le en "
                "résolution plus basse (300 dpi suffisent) ou en plusieurs fichiers.")
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise ScanRefused(too_big % {"name": name, "size": _megabytes(size), "limit": MAX_FILE_MB})
    content = _read(uploaded, limit)
    if not content:
        raise ScanRefused(_("« %(name)s » est vide (0 octet) : numérisez le courrier de nouveau.") % {"name": name})
    if len(content) > limit:
        raise ScanRefused(too_big % {"name": name, "size": _megabytes(max(len(content), size or 0)), "limit": MAX_FILE_MB})
    kind = scan_kind(content)
    if kind == "program":
        raise ScanRefused(_("« %(name)s » est un programme, pas un courrier numérisé, quel que soit son nom : il est "
                            "refusé.") % {"name": name})
    if kind is None:
        raise ScanRefused(_("Le contenu de « %(name)s » n'est pas un courrier numérisé accepté (%(kinds)s), quel que "
                            "soit son nom : enregistrez la numérisation dans l'un de ces formats.") % {
            "name": name, "kinds": accepted_labels()})
    kind = SCAN_KINDS[kind]
    return CheckedScan(content=content, kind=kind, original_name=clean_name(name, kind))


def received_at_for(received_on):
    """The moment a letter counts as received: now when received today (or no date), else noon of that day."""
    now = timezone.now()
    if received_on is None or received_on == timezone.localdate(now):
        return now
    return timezone.make_aware(datetime.datetime.combine(received_on, datetime.time(12, 0)))


def register_scan(organisation, checked, *, received_at, service=None, sender_name="", sender_address="",
                  registered_by=None):
    """ONE letter for one checked file: registered, its scan stored, its OCR job enqueued, in one transaction.

    Returns the letter, or raises ScanRefused when the same file is already registered."""
    from .tasks import ocr_letter

    digest = checked.sha256
    stored_name = None
    try:
        with transaction.atomic():
            mail = register_mail(
                organisation, channel=IncomingMail.Channel.POSTAL, source=IncomingMail.Source.SCAN,
                received_at=received_at, service=service, sender_name=sender_name, sender_address=sender_address,
                subject=(_("Courrier numérisé « %(name)s »") % {"name": checked.original_name})[:MAX_SUBJECT],
                raw_sha256=digest, ocr_status=IncomingMail.OcrStatus.PENDING, registered_by=registered_by,
            )
            # Checked once the registry counter is locked (register_mail holds its row lock until commit): the
            # same scan sent twice at once (a double click) waits here for the other upload and sees its letter.
            duplicate = (IncomingMail.objects.of(organisation).filter(channel=IncomingMail.Channel.POSTAL,
                                                                      raw_sha256=digest).exclude(pk=mail.pk)
                         .order_by("pk").first())
            if duplicate is not None:
                raise ScanRefused(_(
                    "« %(name)s » est déjà enregistré sous le numéro %(number)s (le %(date)s) : il n'est pas "
                    "enregistré une seconde fois."
                ) % {"name": checked.original_name, "number": duplicate.registry_number,
                     "date": timezone.localtime(duplicate.created_at).strftime("%d/%m/%Y à %H:%M")})
            attachment = MailAttachment(
                organisation=organisation, mail=mail, original_name=checked.original_name[:255],
                content_type=checked.kind.content_type, size=len(checked.content), is_scan=True,
            )
            attachment.file.save(checked.original_name, ContentFile(checked.content), save=False)
            stored_name = attachment.file.name
            attachment.save()
            ocr_letter.enqueue(mail.pk)
    except Exception:
        if stored_name:
            MailAttachment.file.field.storage.delete(stored_name)
        raise
    return mail


def register_scans(organisation, agent, uploaded_files, *, received_on=None, service=None, sender_name="",
                   sender_address=""):
    """Check each uploaded file and register the accepted ones, one letter each → `Batch` (see module)."""
    batch = Batch()
    uploaded_files = [item for item in uploaded_files or [] if item is not None]
    if not uploaded_files:
        batch.error = _("Choisissez au moins un fichier : le courrier numérisé, en PDF ou en image.")
        return batch
    if len(uploaded_files) > MAX_FILES:
        batch.error = _("Vous avez choisi %(count)s fichiers : envoyez-en au plus %(limit)s à la fois. Aucun courrier "
                        "n'a été enregistré.") % {"count": len(uploaded_files), "limit": MAX_FILES}
        return batch
    received_at = received_at_for(received_on)
    for uploaded in uploaded_files:
        try:
            checked = check_scan(uploaded)
            batch.mails.append(register_scan(
                organisation, checked, received_at=received_at, service=service, sender_name=sender_name,
                sender_address=sender_address, registered_by=agent,
            ))
        except ScanRefused as refusal:
            batch.refusals.append(Refusal(clean_name(getattr(uploaded, "name", "")), refusal.message))
    return batch


# -- The OCR job ------------------------------------------------------------------------------------------------------

def subject_from_text(text):
    """The « Objet : … » line of a letter, or ""."""
    match = OBJECT_LINE.search(text or "")
    if not match:
        return ""
    return " ".join(match.group("subject").split())[:MAX_SUBJECT].rstrip(" .")


def _report(result):
    return {"reason": result.reason, "page_count": result.page_count, "seconds": round(result.seconds, 2),
            "pages": [page.as_dict() for page in result.pages]}


def _read_scan(attachment):
    try:
        with attachment.file.storage.open(attachment.file.name, "rb") as handle:
            content = handle.read()
    except (OSError, ValueError):
        return None, _("Le fichier numérisé est introuvable sur le serveur.")
    return ocr.read_document(content), ""


def read_letter(mail_id):
    """The job's work (idempotent): read the letter's scans, store the text and file the letter → a short word."""
    from . import services

    mail = IncomingMail.objects.filter(pk=mail_id, source=IncomingMail.Source.SCAN).first()
    if mail is None:
        return "missing"
    if mail.ocr_status != IncomingMail.OcrStatus.PENDING:
        return "already read"
    scans = [item for item in mail.attachments.all() if item.is_scan and item.file and not item.refused_reason]
    results = {}
    for scan in scans:  # outside any transaction: OCR takes seconds per page
        results[scan.pk] = _read_scan(scan)
    with transaction.atomic():
        mail = IncomingMail.objects.select_for_update().filter(pk=mail_id).first()
        if mail is None or mail.ocr_status != IncomingMail.OcrStatus.PENDING:
            return "already read"
        texts = []
        for scan in scans:
            result, missing = results[scan.pk]
            scan.ocr_text = result.text if result is not None else ""
            report = _report(result) if result is not None else {"reason": missing, "pages": []}
            MailAttachment.objects.filter(pk=scan.pk).update(ocr_text=scan.ocr_text, ocr_report=report)
            if scan.ocr_text:
                texts.append(scan.ocr_text)
        mail.ocr_text = "\n\n".join(texts)
        mail.ocr_status = IncomingMail.OcrStatus.DONE if texts else IncomingMail.OcrStatus.FAILED
        update = ["ocr_text", "ocr_status"]
        subject = subject_from_text(mail.ocr_text)
        if subject:
            mail.subject = subject
            update.append("subject")
        mail.save(update_fields=update)
        if mail.state == IncomingMail.State.RECEIVED:
            try:
                with transaction.atomic():
                    services.process_mail(mail)
            except Exception as error:  # noqa: BLE001 — the letter stays stored and read: an agent qualifies it
                logger.exception("Letter %s could not be processed", mail_id)
                mail.refresh_from_db()
                mail.state = IncomingMail.State.TO_QUALIFY
                mail.processing_error = _("Traitement automatique en échec (%(error)s) : à qualifier.") % {
                    "error": error}
                mail.processed_at = timezone.now()
                mail.save(update_fields=["state", "processing_error", "processed_at"])
                services.index_mail(mail)
        else:  # read again at an agent's request: the letter was already filed, only its text changes
            services.index_mail(mail)
    return mail.ocr_status


def read_again(user, organisation, mail_id):
    """Put a letter's OCR back in the queue (an agent's « Relancer la lecture ») → the letter, or None when the
    agent may not see it (`services.mails_for_agent`) or it is no scanned letter."""
    from .services import mails_for_agent
    from .tasks import ocr_letter

    with transaction.atomic():
        mail = (mails_for_agent(user, organisation).select_for_update()
                .filter(pk=mail_id, source=IncomingMail.Source.SCAN).first())
        if mail is None:
            return None
        if mail.ocr_status != IncomingMail.OcrStatus.PENDING:
            mail.ocr_status = IncomingMail.OcrStatus.PENDING
            mail.save(update_fields=["ocr_status"])
            ocr_letter.enqueue(mail.pk)
    return mail


# -- Pages --------------------------------------------------------------------------------------------------------

def letters(user, organisation, ids):
    """The scanned letters of `organisation` among `ids` (others' ids are ignored), with their scans; each has
    `visible`: whether `user` may see it (`services.mails_for_agent`). A letter sent to a service the mail-room
    agent is not in is still listed (its number and state: it was registered), without its text or scan."""
    from .services import mails_for_agent

    mails = list(IncomingMail.objects.of(organisation).filter(pk__in=list(ids), source=IncomingMail.Source.SCAN)
                 .select_related("request", "service").prefetch_related("attachments").order_by("registry_number"))
    visible = set(mails_for_agent(user, organisation).filter(pk__in=[mail.pk for mail in mails])
                  .values_list("pk", flat=True))
    for mail in mails:
        mail.visible = mail.pk in visible
    return mails


def parse_ids(value, limit=MAX_FILES * 4):
    """The ids of a `?lettres=12,13` parameter (bad values left out)."""
    ids = []
    for part in str(value or "").split(",")[:limit]:
        part = part.strip()
        if part.isdigit() and len(part) <= 18 and int(part) not in ids:
            ids.append(int(part))
    return ids
