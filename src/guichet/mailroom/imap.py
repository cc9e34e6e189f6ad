"""Reading the collectivités' mailboxes over IMAP (stdlib `imaplib`: no dependency, and the poller only needs
LOGIN, EXAMINE, UID SEARCH and UID FETCH).

    poll_mailbox(mailbox)      # the new messages of one mailbox → PollResult
    poll_active_mailboxes()    # every active mailbox, each in its own try (the periodic job)
    check_connection(mailbox)  # « Tester la connexion »: connect, log in, open the folder → message count

The folder is opened read-only (EXAMINE) and bodies are fetched with BODY.PEEK: nothing is marked read or deleted
on the server. Messages with a UID above `last_uid` (in the folder's UIDVALIDITY) are new; each goes through
`email_in.receive_raw_email` and `last_uid` moves past it in the same transaction, so a crash in the middle means
fetching it again, which the dedup makes harmless. A UIDVALIDITY change (folder recreated, server migrated)
restarts from UID 0: the Message-ID dedup keeps what was already stored. A message above GUICHET_MAIL_MAX_BYTES
(told by RFC822.SIZE before any fetch) is never fetched whole: its headers are stored with a French note.

Mailbox security (`Mailbox.security`): IMAPS (implicit TLS, usually port 993), STARTTLS required (a server that
does not offer it is refused, so nobody in the middle can force plain text), or plain text (a server of the
internal network, chosen explicitly by the administrator). Certificates are verified (system CAs, or
the file in GUICHET_IMAP_CA_FILE). Every socket operation times out after GUICHET_IMAP_TIMEOUT seconds (30).
"""

import dataclasses
import imaplib
import logging
import re
import socket
import ssl

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .email_in import max_message_bytes, megabytes, receive_raw_email
from .models import IncomingMail, Mailbox

logger = logging.getLogger(__name__)

SIZE_BATCH = 200  # UIDs per UID FETCH of sizes
BODY_BATCH_BYTES = 8 * 1024 * 1024  # bodies fetched together up to this many bytes


class ImapError(Exception):
    """A mailbox could not be read; the message is French, meant for the administrator."""


@dataclasses.dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    too_big: int = 0
    uidvalidity_reset: bool = False

    def as_dict(self):
        return dataclasses.asdict(self)


def timeout():
    return float(getattr(settings, "GUICHET_IMAP_TIMEOUT", 30))


def ssl_context():
    context = ssl.create_default_context()
    ca_file = getattr(settings, "GUICHET_IMAP_CA_FILE", "")
    if ca_file:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def encode_folder(name):
    """A folder name as IMAP wants it: modified UTF-7 (RFC 3501 §5.1.3), quoted."""
    out, pending = [], []

    def flush():
        if pending:
            import base64

            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    encoded = "".join(out)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _french(error, mailbox, seconds=None):
    """A French sentence for what went wrong while talking to the server."""
    host = f"{mailbox.host}:{mailbox.port}"
    if isinstance(error, ImapError):
        return str(error)
    if isinstance(error, socket.gaierror):
        return _("Serveur IMAP introuvable : vérifiez son nom (« %(host)s »).") % {"host": mailbox.host}
    if isinstance(error, ConnectionRefusedError):
        return _("Le serveur %(host)s refuse la connexion : vérifiez le port.") % {"host": host}
    if isinstance(error, TimeoutError | socket.timeout):
        return _("Le serveur %(host)s ne répond pas (délai de %(seconds)s s dépassé).") % {
            "host": host, "seconds": f"{seconds or timeout():g}".replace(".", ",")}
    if isinstance(error, ssl.SSLCertVerificationError):
        return _("Le certificat du serveur %(host)s n'est pas valide (%(reason)s).") % {
            "host": host, "reason": error.verify_message or error.reason}
    if isinstance(error, ssl.SSLError):
        return _("La connexion chiffrée avec %(host)s a échoué (%(reason)s) : le port et le chiffrement "
                 "choisis correspondent-ils ?") % {"host": host, "reason": error.reason or error}
    if isinstance(error, OSError):
        return _("Connexion au serveur %(host)s impossible (%(error)s).") % {"host": host, "error": error}
    if isinstance(error, imaplib.IMAP4.abort):
        return _("Le serveur %(host)s a coupé la connexion (%(error)s).") % {"host": host, "error": error}
    return _("Erreur IMAP avec %(host)s : %(error)s") % {"host": host, "error": error}


def connect(mailbox, seconds=None):
    """An IMAP connection, logged in (IMAPS, STARTTLS or plain: `mailbox.security`). Raises ImapError (French)."""
    seconds = seconds or timeout()
    try:
        if mailbox.security == mailbox.Security.SSL:
            connection = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=ssl_context(), timeout=seconds)
        else:
            connection = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=seconds)
            if mailbox.security == mailbox.Security.STARTTLS:
                if "STARTTLS" not in connection.capabilities:
                    _close(connection)
                    raise ImapError(_(
                        "Le serveur %(host)s ne propose pas STARTTLS : la connexion n'a pas été chiffrée, le mot de "
                        "passe n'a pas été envoyé. Choisissez IMAPS, ou « sans chiffrement » pour un serveur du "
                        "réseau interne.") % {"host": mailbox.host})
                connection.starttls(ssl_context=ssl_context())
    except (OSError, imaplib.IMAP4.error) as error:
        raise ImapError(_french(error, mailbox, seconds)) from error
    try:
        connection.login(mailbox.username, mailbox.password)
    except imaplib.IMAP4.abort as error:
        _close(connection)
        raise ImapError(_french(error, mailbox)) from error
    except imaplib.IMAP4.error as error:
        _close(connection)
        raise ImapError(_("Identifiant ou mot de passe refusé par le serveur (%(answer)s).") % {
            "answer": _answer(error)}) from error
    except OSError as error:
        _close(connection)
        raise ImapError(_french(error, mailbox)) from error
    return connection


def _answer(error):
    text = str(error.args[0] if error.args else error)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text[:200]


def _close(connection):
    try:
        connection.logout()
    except Exception:  # noqa: BLE001 — already gone
        pass


def open_folder(connection, mailbox):
    """EXAMINE the mailbox's folder (read-only) → (uidvalidity, message count)."""
    typ, data = connection.select(encode_folder(mailbox.folder or "INBOX"), readonly=True)
    if typ != "OK":
        raise ImapError(_("Le dossier « %(folder)s » n'existe pas sur le serveur (%(answer)s).") % {
            "folder": mailbox.folder, "answer": (data[0] or b"").decode("utf-8", "replace")[:200]})
    validity = connection.untagged_responses.get("UIDVALIDITY", [None])[-1]
    try:
        uidvalidity = int(validity)
    except (TypeError, ValueError) as error:
        raise ImapError(_("Le serveur n'indique pas l'UIDVALIDITY du dossier.")) from error
    try:
        count = int(data[0])
    except (TypeError, ValueError, IndexError):
        count = 0
    return uidvalidity, count


def check_connection(mailbox, seconds=None):
    """« Tester la connexion »: the number of messages in the folder. Raises ImapError (French)."""
    connection = connect(mailbox, seconds)
    try:
        _uidvalidity, count = open_folder(connection, mailbox)
    except (OSError, imaplib.IMAP4.error) as error:
        raise ImapError(_french(error, mailbox)) from error
    finally:
        _close(connection)
    return count


UID_RE = re.compile(rb"UID (\d+)")
SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")


def _fetch_items(data):
    """(prefix bytes, literal bytes or None) for each message of a FETCH answer; the UID may be written after
    the literal, it is then in the closing element."""
    items = []
    for element in data:
        if isinstance(element, tuple):
            items.append([element[0], element[1]])
        elif isinstance(element, bytes):
            if items and items[-1][1] is not None and not element.lstrip()[:1].isdigit():
                items[-1][0] += b" " + element  # after a literal: the end of that message's answer
            elif element.strip():
                items.append([element, None])
    return items


def new_uids(connection, last_uid):
    typ, data = connection.uid("SEARCH", None, f"UID {last_uid + 1}:*")
    if typ != "OK":
        raise ImapError(_("Le serveur refuse la recherche des nouveaux messages."))
    uids = sorted({int(uid) for uid in b" ".join(item for item in data if item).split()})
    return [uid for uid in uids if uid > last_uid]  # « n:* » always names the last message, even below n


def sizes_of(connection, uids):
    sizes = {}
    for start in range(0, len(uids), SIZE_BATCH):
        batch = uids[start:start + SIZE_BATCH]
        typ, data = connection.uid("FETCH", ",".join(map(str, batch)), "(UID RFC822.SIZE)")
        if typ != "OK":
            raise ImapError(_("Le serveur refuse de donner la taille des messages."))
        for prefix, _literal in _fetch_items(data):
            uid, size = UID_RE.search(prefix), SIZE_RE.search(prefix)
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def fetch(connection, uids, item):
    """{uid: bytes} of `item` (BODY.PEEK[] or BODY.PEEK[HEADER]) for these UIDs."""
    typ, data = connection.uid("FETCH", ",".join(map(str, uids)), f"(UID {item})")
    if typ != "OK":
        raise ImapError(_("Le serveur refuse d'envoyer les messages."))
    found = {}
    for prefix, literal in _fetch_items(data):
        uid = UID_RE.search(prefix)
        if uid and literal is not None:
            found[int(uid.group(1))] = literal
    return found


def _batches(uids, sizes):
    batch, total = [], 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and total + size > BODY_BATCH_BYTES:
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def _store(mailbox, uid, raw, result, note=""):
    """Store one message and move `last_uid` past it, in one transaction."""
    with transaction.atomic():
        _mail, created = receive_raw_email(mailbox.organisation, raw, source=IncomingMail.Source.IMAP,
                                           mailbox=mailbox, note=note)
        mailbox.last_uid = uid
        Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=uid)
    result.fetched += 1
    if created:
        result.stored += 1
    else:
        result.duplicates += 1


def poll_mailbox(mailbox):
    """Fetch the new messages of `mailbox` → PollResult. Raises ImapError (French); what was stored stays."""
    result = PollResult()
    connection = connect(mailbox)
    try:
        uidvalidity, _count = open_folder(connection, mailbox)
        if mailbox.uidvalidity != uidvalidity:
            if mailbox.uidvalidity is not None:
                result.uidvalidity_reset = True
                logger.info("Mailbox %s: UIDVALIDITY %s → %s, reading again from the start",
                            mailbox.pk, mailbox.uidvalidity, uidvalidity)
            mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
            Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
        uids = new_uids(connection, mailbox.last_uid)
        if not uids:
            return result
        limit = max_message_bytes()
        sizes = sizes_of(connection, uids)
        small = [uid for uid in uids if sizes.get(uid, 0) <= limit]
        big = {uid for uid in uids if sizes.get(uid, 0) > limit}
        batches = iter(list(_batches(small, sizes)))
        batch, bodies = (), {}
        for uid in sorted(uids):
            if uid in big:
                headers = fetch(connection, [uid], "BODY.PEEK[HEADER]").get(uid, b"")
                note = _("Message de %(size)s non relevé : il dépasse la limite de %(limit)s. Seuls ses en-têtes "
                         "sont enregistrés ; consultez-le dans la boîte « %(mailbox)s ».") % {
                    "size": megabytes(sizes[uid]), "limit": megabytes(limit), "mailbox": mailbox.name}
                _store(mailbox, uid, headers or b"\r\n", result, note=note)
                result.too_big += 1
                continue
            if uid not in batch:
                batch = next(batches)
                bodies = fetch(connection, batch, "BODY.PEEK[]")
            raw = bodies.pop(uid, None)
            if raw is None:
                continue  # expunged meanwhile: nothing to store (a later UID moves last_uid past it)
            if len(raw) > limit:  # the server declared a smaller size than it sent
                note = _("Message de %(size)s : il dépasse la limite de %(limit)s, seuls ses en-têtes sont "
                         "enregistrés.") % {"size": megabytes(len(raw)), "limit": megabytes(limit)}
                _store(mailbox, uid, raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n", result, note=note)
                result.too_big += 1
                continue
            _store(mailbox, uid, raw, result)
    except (OSError, imaplib.IMAP4.error) as error:
        raise ImapError(_french(error, mailbox)) from error
    finally:
        _close(connection)
    return result


def poll_and_record(mailbox):
    """Poll one mailbox and record the outcome on it (`last_polled_at`, `last_error` in French) → PollResult or
    None when it failed. Never raises for the server's faults."""
    now = timezone.now()
    try:
        result = poll_mailbox(mailbox)
    except ImapError as error:
        logger.warning("Mailbox %s (%s) could not be polled: %s", mailbox.pk, mailbox.organisation_id, error)
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_error=str(error))
        mailbox.last_polled_at, mailbox.last_error = now, str(error)
        return None
    except Exception as error:  # noqa: BLE001 — one mailbox's bug must not stop the others
        logger.exception("Mailbox %s could not be polled", mailbox.pk)
        message = _("Erreur inattendue pendant la relève : %(error)s") % {"error": error}
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_error=message)
        mailbox.last_polled_at, mailbox.last_error = now, message
        return None
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_error="")
    mailbox.last_polled_at, mailbox.last_error = now, ""
    return result


def poll_active_mailboxes():
    """The periodic job: every active mailbox of every active collectivité, each in its own try."""
    outcome = {"polled": 0, "failed": 0, "stored": 0}
    mailboxes = Mailbox.objects.filter(is_active=True, organisation__is_active=True).select_related(
        "organisation", "service").order_by("pk")
    for mailbox in mailboxes:
        result = poll_and_record(mailbox)
        if result is None:
            outcome["failed"] += 1
        else:
            outcome["polled"] += 1
            outcome["stored"] += result.stored
    return outcome
