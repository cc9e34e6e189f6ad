"""E-mail intake: reading a raw RFC 822 message (stdlib `email`, policy.default) and registering it.

    mail, created = receive_raw_email(organisation, raw_bytes, source=IncomingMail.Source.INBOUND)

`receive_raw_email` stores the raw bytes FIRST (registry number, state RECEIVED) and enqueues the durable job
`tasks.process_incoming_email` in the same transaction; the job (`process_stored_email`) parses the message, stores
its attachments (refusing the dangerous and the oversized ones, recorded without content), fills the fields and
hands it to `services.process_mail` (tracking code → added to the request, else to-qualify queue). A message that
cannot be read entirely is kept with what could be read, its `processing_error` noted, in the to-qualify queue.

Limits (settings, with defaults): GUICHET_MAIL_MAX_BYTES (25 Mo, a whole message),
GUICHET_MAIL_ATTACHMENT_MAX_BYTES (10 Mo, one attachment).
"""

import dataclasses
import datetime
import io
import logging
import re
import zipfile
from email import policy
from email.errors import MessageDefect
from email.headerregistry import Address
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.organisations.secrets import hash_secret, new_secret, presented_hash, same_hash

from .models import IncomingMail, MailAttachment
from .registry import find_duplicate, register_mail

logger = logging.getLogger(__name__)

MAX_BODY_CHARS = 200_000
MAX_ZIP_ENTRIES = 2000

# Executables, scripts, shortcuts and macro-enabled Office documents: refused by their name…
DANGEROUS_EXTENSIONS = frozenset("""
    exe dll bat cmd com js jse vbs vbe wsf wsh scr jar msi msp ps1 psm1 psd1 pif cpl hta lnk reg inf sys
    apk app dmg deb rpm sh bash csh ksh elf bin run iso img vhd vhdx msc gadget application appref-ms
    docm dotm xlsm xltm xlsb xlam pptm potm ppam ppsm sldm
""".split())
# … and by their content (filetype's detection).
DANGEROUS_SNIFFED = frozenset({"exe", "elf", "dll", "swf", "crx", "deb", "rpm", "wasm", "cab"})
DANGEROUS_CONTENT_TYPES = frozenset({
    "application/x-msdownload", "application/x-msdos-program", "application/x-dosexec", "application/x-executable",
    "application/x-sh", "application/x-shellscript", "application/x-bat", "application/x-msi",
    "application/java-archive", "application/x-java-archive", "application/vnd.microsoft.portable-executable",
    "application/hta", "application/x-ms-shortcut", "application/javascript", "text/javascript",
    "application/vnd.ms-word.document.macroenabled.12", "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12",
})
ARCHIVE_SNIFFED = frozenset({"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"})
# Parts of MIME structure so broken that the body could not be split: the message goes to an agent.
SEVERE_DEFECTS = ("NoBoundaryInMultipartDefect", "StartBoundaryNotFoundDefect", "MultipartInvariantViolationDefect",
                  "CloseBoundaryNotFoundDefect", "MissingHeaderBodySeparatorDefect")
LINE_TAGS = frozenset("br li tr dt dd".split())
BLOCK_TAGS = frozenset("p div h1 h2 h3 h4 h5 h6 blockquote pre table ul ol dl hr section article "
                       "header footer address".split())
DROPPED_TAGS = ("script", "style", "head", "title", "noscript", "template", "iframe", "object", "embed", "svg",
                "math")


def max_message_bytes():
    return int(getattr(settings, "GUICHET_MAIL_MAX_BYTES", 25 * 1024 * 1024))


def max_attachment_bytes():
    return int(getattr(settings, "GUICHET_MAIL_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def megabytes(size):
    """`12,3 Mo`: a size as French readers write it."""
    return _("%(size)s Mo") % {"size": f"{size / (1024 * 1024):.1f}".replace(".", ",")}


# ---------------------------------------------------------------------------------------------------------------
# Reading a message


@dataclasses.dataclass
class ParsedAttachment:
    name: str
    content_type: str
    content: bytes
    refused_reason: str = ""

    @property
    def size(self):
        return len(self.content)


@dataclasses.dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: str = ""
    sender_name: str = ""
    sender_email: str = ""
    recipients: str = ""
    subject: str = ""
    date: datetime.datetime | None = None
    body: str = ""
    attachments: list = dataclasses.field(default_factory=list)
    errors: list = dataclasses.field(default_factory=list)  # French, what could not be read

    @property
    def has_headers(self):
        return bool(self.message_id or self.sender_email or self.subject or self.date or self.recipients)


class NotAMessage(ValueError):
    """The bytes are not an e-mail message at all (no header)."""


def _parse(raw_bytes, headersonly=False):
    return BytesParser(policy=policy.default).parsebytes(raw_bytes, headersonly=headersonly)


def _header(message, name, errors):
    """A header's decoded value ('' when absent or unreadable)."""
    try:
        value = message.get(name)
    except Exception as error:  # noqa: BLE001 — a header we cannot decode is noted, never a crash
        errors.append(_("En-tête %(name)s illisible (%(error)s).") % {"name": name, "error": error})
        raw = message.get_all(name, failobj=[None])
        try:
            value = str(raw[0]) if raw and raw[0] is not None else ""
        except Exception:  # noqa: BLE001
            value = ""
    return " ".join(str(value or "").split())


def message_id_of(value):
    """`<abc@example.org>` from a Message-ID / In-Reply-To header (the first identifier), max 998 characters."""
    value = (value or "").strip()
    match = re.search(r"<[^<>\s]+>", value)
    return (match.group(0) if match else value.split()[0] if value else "")[:998]


def _addresses(message, name, errors):
    try:
        header = message.get(name)
        if header is None:
            return []
        addresses = getattr(header, "addresses", None)
        if addresses is not None:
            return [(address.display_name, address.addr_spec) for address in addresses]
        return getaddresses([str(header)])
    except Exception:  # noqa: BLE001 — fall back on the lenient parser
        raw = message.get_all(name, failobj=[])
        try:
            return getaddresses([str(item) for item in raw])
        except Exception:  # noqa: BLE001
            errors.append(_("En-tête %(name)s illisible.") % {"name": name})
            return []


def _clean_address(address):
    address = (address or "").strip().strip("<>").strip()
    if "@" not in address or len(address) > 254 or any(c.isspace() for c in address):
        return ""
    return address.lower() if address.isascii() else address


def read_headers(message, parsed):
    errors = parsed.errors
    parsed.message_id = message_id_of(_header(message, "Message-ID", errors))
    parsed.in_reply_to = message_id_of(_header(message, "In-Reply-To", errors))
    parsed.subject = _header(message, "Subject", errors)[:500]
    senders = _addresses(message, "From", errors)
    if senders:
        name, address = senders[0]
        parsed.sender_name = " ".join((name or "").split())[:200]
        parsed.sender_email = _clean_address(address)
    elif message.get("From") is not None:
        name, address = parseaddr(str(message.get_all("From", [""])[0]))
        parsed.sender_name, parsed.sender_email = (name or "")[:200], _clean_address(address)
    recipients = []
    for name in ("To", "Cc"):
        for display, address in _addresses(message, name, errors):
            if address:
                recipients.append(str(Address(display_name=display or "", addr_spec=address))
                                  if display and "@" in address else address)
    parsed.recipients = ", ".join(recipients)
    date = _header(message, "Date", errors)
    if date:
        try:
            parsed.date = parsedate_to_datetime(date)
            if parsed.date.tzinfo is None:
                parsed.date = parsed.date.replace(tzinfo=datetime.UTC)
        except (TypeError, ValueError, IndexError, OverflowError):
            parsed.date = None


def parse_headers(raw_bytes):
    """The headers of a raw message (no body, no attachments): what registering it needs. Never raises."""
    parsed = ParsedEmail()
    try:
        read_headers(_parse(raw_bytes, headersonly=True), parsed)
    except Exception as error:  # noqa: BLE001
        logger.warning("Unreadable e-mail headers: %r", error)
        parsed.errors.append(_("En-têtes illisibles (%(error)s).") % {"error": error})
    return parsed


def html_to_text(html):
    """The readable text of an HTML body: scripts, styles and the like dropped, blocks on their own lines, links'
    addresses kept after their text. Never runs or returns markup."""
    from lxml import etree
    from lxml import html as lxml_html

    if not html or not html.strip():
        return ""
    try:
        document = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    etree.strip_elements(document, *DROPPED_TAGS, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        if tag == "a":
            href = (element.get("href") or "").strip()
            label = element.text_content().strip()
            if href.startswith(("http://", "https://", "mailto:")) and href.removeprefix("mailto:") != label:
                element.tail = f" ({href.removeprefix('mailto:')})" + (element.tail or "")
        if tag in LINE_TAGS:
            element.tail = "\n" + (element.tail or "")
        elif tag in BLOCK_TAGS:
            element.tail = "\n\n" + (element.tail or "")
            element.text = "\n\n" + (element.text or "")
    text = document.text_content().replace("\r", "")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    out = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _text_of(part, errors):
    try:
        return part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError, KeyError) as error:
        payload = part.get_payload(decode=True) or b""
        errors.append(_("Texte mal encodé (%(error)s) : lu tel quel.") % {"error": error.__class__.__name__})
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("latin-1")


def _filename(part):
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    if not name:
        return ""
    name = PurePosixPath(str(name).replace("\\", "/")).name
    return "".join(c for c in name if c.isprintable()).strip()[:255]


def _content_type(part):
    try:
        return part.get_content_type()[:100]
    except Exception:  # noqa: BLE001
        return "application/octet-stream"


def _leaves(part, depth=0):
    """The leaf parts of a message, a forwarded message (message/rfc822) counting as one leaf."""
    if depth > 20:
        return
    if part.is_multipart() and part.get_content_type() != "message/rfc822":
        for sub in part.iter_parts():
            yield from _leaves(sub, depth + 1)
    else:
        yield part


def _payload_bytes(part):
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else payload
        try:
            return inner.as_bytes(policy=policy.default.clone(linesep="\r\n"))
        except Exception:  # noqa: BLE001
            return str(inner).encode("utf-8", "replace")
    return part.get_payload(decode=True) or b""


def extensions_of(name):
    return [suffix.lower().lstrip(".") for suffix in PurePosixPath(name.lower()).suffixes]


def refusal_reason(name, content_type, content):
    """Why a file must not be kept (French), or '' when it may."""
    size = len(content)
    limit = max_attachment_bytes()
    if size > limit:
        return _("Pièce trop volumineuse (%(size)s, limite %(limit)s) : non conservée.") % {
            "size": megabytes(size), "limit": megabytes(limit)}
    extensions = extensions_of(name)
    if extensions and extensions[-1] in DANGEROUS_EXTENSIONS:
        if len(extensions) > 1:
            return _("Fichier exécutable déguisé (double extension « .%(ext)s ») : non conservé.") % {
                "ext": ".".join(extensions[-2:])}
        return _("Type de fichier dangereux (« .%(ext)s ») : non conservé.") % {"ext": extensions[-1]}
    if content_type.lower() in DANGEROUS_CONTENT_TYPES:
        return _("Type de fichier dangereux (%(type)s) : non conservé.") % {"type": content_type}
    kind = filetype.guess(content[:8192]) if content else None
    if kind is not None and kind.extension in DANGEROUS_SNIFFED:
        return _("Le contenu est un programme (%(kind)s), quel que soit son nom : non conservé.") % {
            "kind": kind.extension}
    if content[:2] == b"#!" or content[:2] == b"MZ":
        return _("Le contenu est un programme ou un script, quel que soit son nom : non conservé.")
    if kind is not None and kind.extension in ARCHIVE_SNIFFED or content[:4] == b"PK\x03\x04":
        return _archive_refusal(content)
    return ""


def _archive_refusal(content):
    """A ZIP (or an Office/OpenDocument file, which are ZIPs) holding a program, a script or macros."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        return ""
    if len(names) > MAX_ZIP_ENTRIES:
        return _("Archive de plus de %(count)d fichiers : non conservée.") % {"count": MAX_ZIP_ENTRIES}
    lowered = [name.lower() for name in names]
    if any(name.endswith("vbaproject.bin") for name in lowered):
        return _("Document contenant des macros : non conservé.")
    if "meta-inf/manifest.mf" in lowered and any(name.endswith(".class") for name in lowered):
        return _("Programme Java (archive .jar) : non conservé.")
    for name in names:
        extensions = extensions_of(PurePosixPath(name).name)
        if extensions and extensions[-1] in DANGEROUS_EXTENSIONS:
            return _("Archive contenant un fichier dangereux (« %(name)s ») : non conservée.") % {
                "name": PurePosixPath(name).name[:80]}
    return ""


def parse_email(raw_bytes):
    """Everything a raw message says (headers, text, attachments), with what could not be read in `errors`.

    Never raises on bad input: malformed MIME gives what could be read."""
    parsed = ParsedEmail()
    try:
        message = _parse(raw_bytes)
    except Exception as error:  # noqa: BLE001
        parsed.errors.append(_("Message illisible (%(error)s).") % {"error": error})
        return parsed
    read_headers(message, parsed)
    errors = parsed.errors
    defects = []
    for part in message.walk():
        defects.extend(getattr(part, "defects", []))
    severe = sorted({d.__class__.__name__ for d in defects
                     if isinstance(d, MessageDefect) and d.__class__.__name__ in SEVERE_DEFECTS})
    if severe:
        errors.append(_("Structure MIME du message abîmée (%(defects)s) : le texte et les pièces ont pu être mal "
                        "découpés, vérifiez le message d'origine.") % {"defects": ", ".join(severe)})
    try:
        body_part = message.get_body(preferencelist=("plain", "html"))
        html_part = message.get_body(preferencelist=("html",))
    except Exception as error:  # noqa: BLE001
        errors.append(_("Corps du message introuvable (%(error)s).") % {"error": error})
        body_part = html_part = None
    texts = []
    if body_part is not None:
        text = _text_of(body_part, errors)
        texts.append(html_to_text(text) if body_part.get_content_type() == "text/html" else text)
    skipped = {id(part) for part in (body_part, html_part) if part is not None}
    try:
        leaves = list(_leaves(message))
    except Exception as error:  # noqa: BLE001
        errors.append(_("Pièces jointes illisibles (%(error)s).") % {"error": error})
        leaves = []
    for index, part in enumerate(leaves, start=1):
        if id(part) in skipped:
            continue
        try:
            content_type = _content_type(part)
            name = _filename(part)
            disposition = part.get_content_disposition()
            if not name and content_type == "text/plain" and disposition != "attachment" and body_part is not None:
                texts.append(_text_of(part, errors))
                continue
            if not name and content_type == "text/html" and disposition != "attachment":
                continue  # another alternative of the body
            if content_type.startswith("multipart/"):
                continue
            content = _payload_bytes(part)
            if not content and not name:
                continue
            if not name:
                extension = "eml" if content_type == "message/rfc822" else (
                    filetype.guess_extension(content[:8192]) or "bin")
                name = _("piece-%(index)d.%(ext)s") % {"index": index, "ext": extension}
            parsed.attachments.append(ParsedAttachment(
                name=name, content_type=content_type, content=content,
                refused_reason=refusal_reason(name, content_type, content),
            ))
        except Exception as error:  # noqa: BLE001 — one unreadable part does not lose the others
            errors.append(_("Une pièce jointe est illisible (%(error)s).") % {"error": error})
    body = "\n\n".join(text.strip() for text in texts if text and text.strip())
    if len(body) > MAX_BODY_CHARS:
        body = body[:MAX_BODY_CHARS] + "\n…"
        errors.append(_("Texte du message tronqué à %(count)d caractères (voir le message d'origine).") % {
            "count": MAX_BODY_CHARS})
    parsed.body = body.replace("\x00", "")
    return parsed


def looks_like_email(raw_bytes):
    """Whether the bytes start with RFC 822 headers (what the inbound endpoint accepts)."""
    head = raw_bytes[:16384].lstrip(b"\r\n")
    if not re.match(rb"^[!-9;-~]+:", head):
        return False
    return parse_headers(raw_bytes).has_headers


# ---------------------------------------------------------------------------------------------------------------
# Registering and processing


def _fields_from_headers(parsed):
    return {
        "message_id": parsed.message_id, "in_reply_to": parsed.in_reply_to, "subject": parsed.subject,
        "sender_name": parsed.sender_name, "sender_email": parsed.sender_email, "recipients": parsed.recipients,
        "document_date": timezone.localtime(parsed.date).date() if parsed.date else None,
    }


class _SameBytes(Exception):
    """A delivery without Message-ID whose bytes were stored meanwhile: roll back ours, answer with `mail`."""

    def __init__(self, mail, raw_name):
        super().__init__(mail.pk)
        self.mail, self.raw_name = mail, raw_name


def receive_raw_email(organisation, raw_bytes, *, source, mailbox=None, service=None, note=""):
    """Store a raw message for `organisation` and enqueue its processing → (mail, created).

    One transaction: a message already stored (same Message-ID, or same bytes without Message-ID) gives the stored
    one and `created=False`, also when a concurrent delivery of it wins the race (unique constraint). `note`
    (French) is recorded as the message's processing error (e.g. too big to be fetched: headers only); such a
    message goes to the to-qualify queue."""
    from .tasks import process_incoming_email

    parsed = parse_headers(raw_bytes)
    if service is None and mailbox is not None:
        service = mailbox.service
    message_id = parsed.message_id
    with transaction.atomic():
        duplicate = find_duplicate(organisation, message_id=message_id, raw_bytes=raw_bytes)
        if duplicate is not None:
            return duplicate, False
        try:
            with transaction.atomic():
                mail = register_mail(
                    organisation, channel=IncomingMail.Channel.EMAIL, source=source, raw_bytes=raw_bytes,
                    mailbox=mailbox, service=service, processing_error=note, **_fields_from_headers(parsed),
                )
                if not message_id:
                    # No unique constraint to answer a concurrent delivery of the same bytes: checked again now
                    # that register_mail holds the registry counter's row lock (until commit), the other delivery
                    # committed first and is seen here.
                    earlier = (IncomingMail.objects.of(organisation).filter(raw_sha256=mail.raw_sha256)
                               .exclude(pk=mail.pk).order_by("pk").first())
                    if earlier is not None:
                        raise _SameBytes(earlier, mail.raw.name)
                process_incoming_email.enqueue(mail.pk)
        except _SameBytes as same:
            IncomingMail.raw.field.storage.delete(same.raw_name)
            return same.mail, False
        except IntegrityError:
            duplicate = find_duplicate(organisation, message_id=message_id, raw_bytes=raw_bytes)
            if duplicate is None:
                raise
            return duplicate, False
    return mail, True


def store_attachments(mail, attachments):
    for item in attachments:
        attachment = MailAttachment(
            organisation_id=mail.organisation_id, mail=mail, original_name=item.name[:255] or "piece",
            content_type=item.content_type or "application/octet-stream", size=item.size,
            refused_reason=item.refused_reason[:300],
        )
        if not item.refused_reason:
            attachment.file.save(item.name or "piece", ContentFile(item.content), save=False)
        attachment.save()


def _read_raw(mail):
    if not mail.raw:
        return b""
    with mail.raw.storage.open(mail.raw.name, "rb") as handle:
        return handle.read()


def _to_qualify(mail, error):
    """The message waits for an agent, with what went wrong (French) in its processing error."""
    from . import services

    mail.state = IncomingMail.State.TO_QUALIFY
    mail.processing_error = error[:10000]
    mail.processed_at = timezone.now()
    if mail.citizen_id is None:
        mail.citizen = services.match_citizen(mail)
    mail.save(update_fields=["state", "processing_error", "processed_at", "citizen"])
    services.index_mail(mail)


def process_stored_email(mail_id):
    """The job's work (idempotent): parse a stored message, store its attachments, fill its fields and hand it to
    `services.process_mail`; anything unreadable leaves it in the to-qualify queue with the error noted.

    Returns a short word for the job log."""
    from . import services

    with transaction.atomic():
        mail = IncomingMail.objects.select_for_update().filter(pk=mail_id).first()
        if mail is None:
            return "missing"
        if mail.state != IncomingMail.State.RECEIVED:
            return "already processed"
        note = mail.processing_error
        try:
            raw = _read_raw(mail)
        except OSError as error:
            _to_qualify(mail, _("Message d'origine illisible sur le disque (%(error)s).") % {"error": error})
            return "to qualify"
        try:
            with transaction.atomic():
                parsed = parse_email(raw)
                for name, value in _fields_from_headers(parsed).items():
                    if value and name != "message_id":
                        setattr(mail, name, value)
                mail.body = parsed.body
                if mail.attachments.exists():  # a previous try that stored them (never expected: same transaction)
                    mail.attachments.all().delete()
                store_attachments(mail, parsed.attachments)
                mail.save(update_fields=["in_reply_to", "subject", "sender_name", "sender_email", "recipients",
                                         "document_date", "body"])
        except Exception as error:  # noqa: BLE001 — the message stays stored, an agent qualifies it
            logger.exception("E-mail %s could not be read", mail_id)
            mail.refresh_from_db()  # the fields set before the failure were rolled back: index what is stored
            _to_qualify(mail, _("Le message n'a pas pu être lu (%(error)s) ; consultez le message d'origine.") % {
                "error": error})
            return "to qualify"
        problems = [text for text in [note, *parsed.errors] if text]
        if problems:
            _to_qualify(mail, "\n".join(problems))
            return "to qualify"
        try:
            with transaction.atomic():
                services.process_mail(mail)
        except Exception as error:  # noqa: BLE001
            logger.exception("E-mail %s could not be processed", mail_id)
            mail.refresh_from_db()
            _to_qualify(mail, _("Traitement automatique en échec (%(error)s) : à qualifier.") % {"error": error})
            return "to qualify"
    return mail.state


# ---------------------------------------------------------------------------------------------------------------
# The inbound endpoint's secret (stored hashed, shown once)

SECRET_PREFIX = "gcm_"


def generate_inbound_secret(organisation, agent=None, service=None):
    """A new secret for the collectivité's mail gateway → (InboundEndpoint, clear value shown once). Replaces the
    previous secret (one endpoint per collectivité): the gateway must be given the new one."""
    from .models import InboundEndpoint

    clear = new_secret(SECRET_PREFIX)
    with transaction.atomic():
        endpoint = InboundEndpoint.objects.of(organisation).select_for_update().first()
        if endpoint is None:
            endpoint = InboundEndpoint(organisation=organisation)
        endpoint.secret_hash = hash_secret(clear)
        endpoint.created_by = agent if getattr(agent, "is_authenticated", False) else None
        endpoint.created_at = timezone.now()
        if service is not None:
            endpoint.service = service
        endpoint.save()
    return endpoint, clear


def revoke_inbound_secret(organisation):
    """No more forwarded messages are accepted until a new secret is generated → whether one existed."""
    from .models import InboundEndpoint

    deleted, _detail = InboundEndpoint.objects.of(organisation).delete()
    return bool(deleted)


def authenticate_inbound(organisation, authorization):
    """The collectivité's InboundEndpoint when `authorization` is `Bearer <its secret>`, else None (the hashes
    are compared in constant time)."""
    from .models import InboundEndpoint

    presented = presented_hash(authorization)
    if organisation is None or presented is None:
        return None
    endpoint = InboundEndpoint.objects.of(organisation).select_related("service").first()
    expected = endpoint.secret_hash if endpoint is not None else hash_secret(SECRET_PREFIX)
    if same_hash(expected, presented) and endpoint is not None:
        return endpoint
    return None
