"""Files joined to requests: checked from their content, cleaned, stored privately, served to those allowed.

- The type of a file is read from its CONTENT (`filetype` signatures; for OpenDocument and Word files, the zip's
  `mimetype` member or `[Content_Types].xml`), never from its name: « fichier.pdf » that is really a web page or a
  program is refused, whatever its extension.
- Images (JPEG, PNG) are re-encoded with Pillow: metadata (EXIF with GPS position, XMP, comments) is dropped, the
  orientation is applied to the pixels, and images with too many pixels (decompression bombs) are refused.
- Files live in `storage.private_storage` (MEDIA_ROOT/private), under unguessable names, and are only served by
  `download` below, which checks that the visitor may see the request.
"""

import io
import re
import threading
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from guichet.agents.permissions import is_org_admin, is_verified_agent, services_of


@dataclass(frozen=True)
class FileKind:
    slug: str
    content_type: str
    extensions: tuple
    label: str


KINDS = {
    "pdf": FileKind("pdf", "application/pdf", ("pdf",), gettext_lazy("PDF")),
    "jpeg": FileKind("jpeg", "image/jpeg", ("jpg", "jpeg"), gettext_lazy("image JPEG")),
    "png": FileKind("png", "image/png", ("png",), gettext_lazy("image PNG")),
    "odt": FileKind("odt", "application/vnd.oasis.opendocument.text", ("odt",),
                    gettext_lazy("document texte OpenDocument (.odt)")),
    "docx": FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",),
                     gettext_lazy("document Word (.docx)")),
}
IMAGE_KINDS = {"jpeg": "JPEG", "png": "PNG"}
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

# Limits against files made to exhaust the server (decompression bombs).
MAX_IMAGE_PIXELS = getattr(settings, "GUICHET_MAX_IMAGE_PIXELS", 40_000_000)  # 40 megapixels: any camera
MAX_ZIP_ENTRIES = 2_000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100  # a member compressed more than 100:1 (beyond 1 Mo) is a bomb, not a document
ZIP_RATIO_FLOOR = 1024 * 1024
MAX_CONTENT_TYPES_XML = 1024 * 1024
MAX_NAME_LENGTH = 150


class UploadRefused(Exception):
    """A file that cannot be accepted; `message` is French and names the file."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed every check, ready to store: its clean content, detected kind and display name."""

    content: bytes
    kind: FileKind
    original_name: str


def _rules(rules):
    """(accept, max_size_mb, max_files) from a `formdefs.FileRules`, a tuple or a dict."""
    if isinstance(rules, dict):
        return tuple(rules.get("accept") or KINDS), float(rules.get("max_size_mb") or 5), int(rules.get("max_files") or 1)
    if hasattr(rules, "accept"):
        return tuple(rules.accept), float(rules.max_size_mb), int(rules.max_files)
    accept, max_size_mb, max_files = tuple(rules)[:3]
    return tuple(accept), float(max_size_mb), int(max_files)


def accepted_labels(accept):
    return ", ".join(str(KINDS[kind].label) for kind in accept if kind in KINDS)


def clean_name(name, kind=None):
    """A displayable file name: no folders, no control characters, not too long, with the kind's extension."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip().strip(".") or _("fichier")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if kind is not None and extension.lower() not in kind.extensions:
        stem, extension = name, kind.extensions[0]
    stem = stem[: MAX_NAME_LENGTH - len(extension) - 1].strip() or _("fichier")
    return f"{stem}.{extension}" if extension else stem


def _megabytes(size):
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


def _read(uploaded):
    uploaded.seek(0)
    if hasattr(uploaded, "chunks"):
        return b"".join(uploaded.chunks())
    return uploaded.read()


def _office_kind(content, name):
    """"odt" or "docx" when the zip really is such a document (and no bomb), else None."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    if len(members) > MAX_ZIP_ENTRIES:
        raise UploadRefused(_("« %(name)s » contient trop d'éléments pour un document : il est refusé.") % {"name": name})
    total = 0
    for member in members:
        total += member.file_size
        ratio_suspect = member.file_size > ZIP_RATIO_FLOOR and member.file_size > MAX_ZIP_RATIO * max(
            member.compress_size, 1
        )
        if total > MAX_ZIP_UNCOMPRESSED or ratio_suspect:
            raise UploadRefused(
                _("« %(name)s » se décompresse en un volume anormalement grand : il est refusé.") % {"name": name}
            )
    names = {member.filename for member in members}
    try:
        if members and members[0].filename == "mimetype" and members[0].file_size < 200:
            if archive.read("mimetype").strip() == KINDS["odt"].content_type.encode():
                return "odt" if "content.xml" in names else None
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > MAX_CONTENT_TYPES_XML:
                return None
            if DOCX_MAIN.encode() in archive.read(info):
                return "docx"
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, RuntimeError, NotImplementedError):
        return None
    return None


def detect_kind(content, name=""):
    """The kind ("pdf", "jpeg", "png", "odt", "docx") read from the content, or None for anything else."""
    guess = filetype.guess(content[:8192]) if content else None
    mime = guess.mime if guess else None
    if mime == "application/pdf":
        return "pdf"
    if mime == "image/jpeg":
        return "jpeg"
    if mime == "image/png":
        return "png"
    if content.startswith(b"PK\x03\x04"):
        return _office_kind(content, name)
    return None


# WeasyPrint sets Pillow's global LOAD_TRUNCATED_IMAGES on import (it draws broken images grey): uploads are
# decoded strictly all the same, so that a truncated or corrupted image is refused rather than half grey.
_strict_decoding = threading.Lock()


def _load_strictly(image):
    with _strict_decoding:
        tolerant = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            image.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = tolerant


def reencode_image(content, kind, name=""):
    """The image re-encoded without metadata, orientation applied; UploadRefused when unreadable or too large."""
    expected = IMAGE_KINDS[kind]
    unreadable = _("« %(name)s » n'est pas une image lisible.") % {"name": name}
    too_large = _(
        "« %(name)s » compte trop de pixels (au plus %(megapixels)s millions) : réduisez l'image avant de l'envoyer."
    ) % {"name": name, "megapixels": MAX_IMAGE_PIXELS // 1_000_000}
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(content))
            if image.format != expected:
                raise UploadRefused(unreadable)
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise UploadRefused(too_large)
            _load_strictly(image)
            image = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise UploadRefused(too_large) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError):
            raise UploadRefused(unreadable) from None
    icc_profile = image.info.get("icc_profile")
    transparency = image.info.get("transparency")
    image.info = {}
    options = {"icc_profile": icc_profile} if icc_profile else {}
    output = io.BytesIO()
    if kind == "jpeg":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(output, "JPEG", quality=90, optimize=True, **options)
    else:
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            image = image.convert("RGBA")
        if transparency is not None and image.mode in ("P", "L", "RGB"):
            options["transparency"] = transparency
        image.save(output, "PNG", optimize=True, **options)
    return output.getvalue()


def check_upload(uploaded, accept, max_size_mb):
    """A `CheckedFile` for one uploaded file, or UploadRefused with a French message naming the file."""
    name = clean_name(getattr(uploaded, "name", ""))
    size = getattr(uploaded, "size", None)
    limit = int(max_size_mb * 1024 * 1024)
    if size is not None and size > limit:
        raise UploadRefused(_("« %(name)s » pèse %(size)s Mo : la limite est de %(limit)s Mo par fichier.") % {
            "name": name, "size": _megabytes(size), "limit": f"{max_size_mb:g}".replace(".", ","),
        })
    content = _read(uploaded)
    if not content:
        raise UploadRefused(_("« %(name)s » est vide : choisissez un fichier qui contient votre document.") % {"name": name})
    if len(content) > limit:
        raise UploadRefused(_("« %(name)s » pèse %(size)s Mo : la limite est de %(limit)s Mo par fichier.") % {
            "name": name, "size": _megabytes(len(content)), "limit": f"{max_size_mb:g}".replace(".", ","),
        })
    kind_slug = detect_kind(content, name)
    if kind_slug is None or kind_slug not in accept:
        raise UploadRefused(_(
            "Le contenu de « %(name)s » ne correspond pas à un type de fichier accepté (%(kinds)s), quel que soit "
            "son nom : enregistrez votre document dans l'un de ces formats."
        ) % {"name": name, "kinds": accepted_labels(accept)})
    if kind_slug in IMAGE_KINDS:
        content = reencode_image(content, kind_slug, name)
    kind = KINDS[kind_slug]
    return CheckedFile(content=content, kind=kind, original_name=clean_name(name, kind))


def check_uploads(uploaded_files, rules, *, already=0):
    """([CheckedFile], [French errors]) for the files of one field: every file checked, all or nothing."""
    accept, max_size_mb, max_files = _rules(rules)
    uploaded_files = [uploaded for uploaded in uploaded_files or [] if uploaded is not None]
    errors = []
    if already + len(uploaded_files) > max_files:
        if max_files == 1:
            errors.append(_("Vous ne pouvez joindre qu'un seul fichier ici."))
        else:
            errors.append(_("Vous pouvez joindre au plus %(count)s fichiers ici.") % {"count": max_files})
        return [], errors
    checked = []
    for uploaded in uploaded_files:
        try:
            checked.append(check_upload(uploaded, accept, max_size_mb))
        except UploadRefused as refusal:
            errors.append(refusal.message)
    return ([], errors) if errors else (checked, [])


def create_attachment(service_request, field_id, content, *, original_name, content_type, uploaded_by=None,
                      source="citizen"):
    """An `Attachment` of `service_request` holding `content` (already checked), stored privately."""
    from .models import Attachment

    attachment = Attachment(
        organisation_id=service_request.organisation_id, request=service_request, field_id=field_id or "",
        original_name=original_name[:255], content_type=content_type, size=len(content),
        uploaded_by=uploaded_by if getattr(uploaded_by, "is_authenticated", False) else None, source=source,
    )
    attachment.file.save(original_name, ContentFile(content), save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


def store_uploads(request, field_id, uploaded_files, rules, *, uploaded_by=None, source="citizen", already=0):
    """Check and store the files uploaded to one file field of `request` (a ServiceRequest).

    `rules`: `formdefs.file_field_rules(defn, field_id)` (or a tuple (accept, max_size_mb, max_files)); `already`:
    how many files the field keeps besides these (counted against max_files). Returns (attachment ids, errors):
    with any error (French messages, one per refused file), nothing at all is stored.
    """
    checked, errors = check_uploads(uploaded_files, rules, already=already)
    if errors:
        return [], errors
    if uploaded_by is None:
        uploaded_by = request.citizen
    created = []
    try:
        with transaction.atomic():
            for item in checked:
                created.append(create_attachment(
                    request, field_id, item.content, original_name=item.original_name,
                    content_type=item.kind.content_type, uploaded_by=uploaded_by, source=source,
                ))
    except Exception:
        for attachment in created:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return [attachment.pk for attachment in created], []


def attachment_response(attachment, *, filename=None):
    """A streaming download of a stored file: always `attachment`, never sniffed, never cached."""
    try:
        handle = attachment.file.storage.open(attachment.file.name, "rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("Ce fichier n'est plus disponible.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename or attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# -- Who may see a request's files -------------------------------------------------------------------------------

def agent_may_see(user, service_request):
    """Org administrators see every submitted request of their collectivité; other agents those of their services
    (roles agent and manager, as `agent_services.requests_for_agent`)."""
    if not is_verified_agent(user) or user.organisation_id != service_request.organisation_id:
        return False
    if not service_request.is_submitted:
        return False
    if is_org_admin(user):
        return True
    from .agent_services import REQUEST_ROLES

    return service_request.service_id is not None and (
        services_of(user, roles=REQUEST_ROLES).filter(pk=service_request.service_id).exists()
    )


def may_download(http_request, attachment):
    """The agents who may see the request, and whoever may see it on the citizens' pages (its citizen, the
    browser session of an anonymous submitter or follower: `services.may_access`)."""
    from .services import may_access

    service_request = attachment.request
    if agent_may_see(http_request.user, service_request):
        return True
    return may_access(http_request, service_request)


def download(http_request, pk):
    """`/pieces/<pk>/`: the file, to its owner, the agents of the request's service and followers; 404 for others."""
    from .models import Attachment

    attachment = get_object_or_404(Attachment.objects.of(http_request.organisation).select_related("request"), pk=pk)
    if not may_download(http_request, attachment):
        raise Http404(_("Pièce introuvable."))
    return attachment_response(attachment)
