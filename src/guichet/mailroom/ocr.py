"""Reading the text of a scanned letter: Tesseract in French, poppler for PDFs, never an exception.

    result = read_document(content)          # bytes of a PDF, PNG, JPEG or TIFF (multi-page)
    result.ok, result.text, result.reason    # reason: French, empty when every page was read
    for page in result.pages: page.number, page.status, page.reason, page.seconds

- PDFs: each page's embedded text layer first (`pdftotext`: letters typed on a computer, scanners that already
  ran OCR); a page without one is rendered at 300 dpi (`pdftoppm`) and read by Tesseract. At most `MAX_PAGES`
  pages are read.
- Images (PNG, JPEG, TIFF with one or several pages) are opened with Pillow (size checked before decoding,
  orientation applied) and written again as greyscale PNG before Tesseract sees them: Tesseract never reads an
  uploaded file itself (given a text file, it would read it as a list of image paths on the server).
- The tools run as subprocesses (no Python binding to keep in step with the system's Tesseract) with a
  timeout, a memory and CPU limit (`prlimit`) and one thread each (OpenMP threads only slow Tesseract down on a
  shared machine: 1 s a page instead of 4 here), in a temporary folder that is removed afterwards.
- Whatever goes wrong with one page or the whole file (blank page, noise, corrupt or password-protected PDF,
  timeout, tool missing) gives a page status and a French reason, never an exception.

Limits can be changed in settings: GUICHET_OCR_MAX_PAGES, GUICHET_OCR_PAGE_TIMEOUT (seconds a tool may take
on one page), GUICHET_OCR_TOTAL_TIMEOUT (seconds for a whole document), GUICHET_OCR_MEMORY_MB (per tool run).
"""

import io
import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field

import filetype
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

LANGUAGE = "fra"
DPI = 300
MAX_RENDER_PIXELS_SIDE = 7000  # a page larger than A2 at 300 dpi is rendered at a lower resolution
MAX_IMAGE_PIXELS = 60_000_000  # one image page (an A3 scan at 400 dpi is 35 Mpx)
MIN_TEXT_LAYER_LETTERS = 20  # a text layer with fewer letters than this is no text layer (scanner stamps…)

# The OCR output of a page is kept when it looks like text: several real words read with confidence, or a few
# words read with high confidence (« Bonjour, » alone on a page).
MIN_WORDS = 3
MIN_CONFIDENCE = 50
MIN_CONFIDENCE_FEW_WORDS = 80
MAX_BLANK_INK = 0.003
INK_CONTRAST = 40


def _setting(name, default):
    return getattr(settings, name, default)


def max_pages():
    return int(_setting("GUICHET_OCR_MAX_PAGES", 20))


def page_timeout():
    return float(_setting("GUICHET_OCR_PAGE_TIMEOUT", 60))


def total_timeout():
    return float(_setting("GUICHET_OCR_TOTAL_TIMEOUT", 600))


def memory_limit_bytes():
    return int(_setting("GUICHET_OCR_MEMORY_MB", 1024)) * 1024 * 1024


class PageStatus:
    TEXT_LAYER = "text_layer"  # the PDF's own text
    READ = "read"  # read by OCR
    BLANK = "blank"
    UNREADABLE = "unreadable"  # something was seen, but not text that can be trusted
    FAILED = "failed"  # the page could not be processed (corrupt, timeout…)
    SKIPPED = "skipped"  # beyond MAX_PAGES or the time budget

    READABLE = (TEXT_LAYER, READ)


@dataclass
class PageResult:
    number: int
    status: str
    text: str = ""
    detail: str = ""  # why the page gave no text, in French, without the page number
    seconds: float = 0.0
    confidence: float | None = None

    @property
    def readable(self):
        return self.status in PageStatus.READABLE

    @property
    def reason(self):
        if not self.detail:
            return ""
        return _("Page %(number)s : %(detail)s.") % {"number": self.number, "detail": self.detail}

    def as_dict(self):
        return {"number": self.number, "status": self.status, "reason": self.detail,
                "seconds": round(self.seconds, 2), "confidence": self.confidence}


@dataclass
class OcrResult:
    pages: list = field(default_factory=list)
    page_count: int = 0  # pages of the document (more than len(pages) read when beyond the limit)
    reason: str = ""  # why nothing (or not everything) could be read, in French; "" when all went well

    @property
    def ok(self):
        """At least one page gave text."""
        return any(page.readable for page in self.pages)

    @property
    def text(self):
        return "\n\n".join(page.text for page in self.pages if page.readable and page.text)

    @property
    def seconds(self):
        return sum(page.seconds for page in self.pages)


class _ToolError(Exception):
    """A tool failed; `reason` is French."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class _Budget:
    """The time left for a document: each tool run gets at most a page's timeout and what remains."""

    def __init__(self):
        self.deadline = time.monotonic() + total_timeout()

    @property
    def exhausted(self):
        return time.monotonic() >= self.deadline

    def timeout(self):
        return max(1.0, min(page_timeout(), self.deadline - time.monotonic()))


def tools_missing():
    """Names of the missing programs (empty when OCR can run)."""
    return [tool for tool in ("tesseract", "pdftotext", "pdftoppm", "pdfinfo") if shutil.which(tool) is None]


def _run(args, *, timeout, cwd):
    """Run a tool with a timeout, a memory and CPU limit and one thread; (stdout bytes, stderr text)."""
    command = list(args)
    prlimit = shutil.which("prlimit")
    if prlimit:  # util-linux (always on Debian); without it (macOS development) the timeout still applies
        command = [prlimit, f"--as={memory_limit_bytes()}", f"--cpu={int(timeout) + 5}", "--", *command]
    env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "OMP_THREAD_LIMIT": "1",
           "LC_ALL": "C.UTF-8", "HOME": cwd}
    if os.environ.get("TESSDATA_PREFIX"):
        env["TESSDATA_PREFIX"] = os.environ["TESSDATA_PREFIX"]
    try:
        completed = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise _ToolError(_("la lecture a dépassé le temps permis (%(seconds)s s)") % {"seconds": int(timeout)}) from None
    except OSError as error:
        raise _ToolError(_("l'outil de lecture n'a pas pu être lancé (%(error)s)") % {"error": error.strerror}) from None
    return completed.returncode, completed.stdout, completed.stderr.decode("utf-8", "replace")


# -- Tesseract on one image ---------------------------------------------------------------------------------------

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def _letters(text):
    return len(_LETTER.findall(text))


def _words_and_confidence(tsv):
    """(real words, mean confidence of the real words) from Tesseract's TSV output."""
    confidences = []
    for line in tsv.splitlines()[1:]:
        columns = line.split("\t")
        if len(columns) < 12 or columns[0] != "5":
            continue
        try:
            confidence = float(columns[10])
        except ValueError:
            continue
        word = columns[11].strip()
        if confidence >= 0 and _letters(word) >= 2:
            confidences.append(confidence)
    if not confidences:
        return 0, 0.0
    return len(confidences), sum(confidences) / len(confidences)


def _clean_text(text):
    lines = [" ".join(line.split()) for line in text.replace("\x0c", "\n").splitlines()]
    cleaned = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", cleaned).strip()


def _is_blank(image_path):
    """Whether the page is (almost) without ink: fewer than 0.3 % of its pixels clearly darker than the paper (its
    median grey), once reduced — a grey or yellowed blank page is blank, a blurred letter is not."""
    try:
        with Image.open(image_path) as image:
            small = image.convert("L").resize((500, 700))
    except (OSError, ValueError):
        return False
    histogram = small.histogram()
    total = small.width * small.height
    running, paper = 0, 255
    for value, count in enumerate(histogram):
        running += count
        if running >= total / 2:
            paper = value
            break
    ink = sum(histogram[: max(0, paper - INK_CONTRAST)])
    return ink / total < MAX_BLANK_INK


def _tesseract(image_path, number, folder, budget, dpi=None):
    """The PageResult of Tesseract reading one PNG written by us."""
    started = time.monotonic()
    output = os.path.join(folder, f"ocr-{number}")
    args = ["tesseract", image_path, output, "-l", LANGUAGE]
    if dpi:
        args += ["--dpi", str(int(dpi))]
    args += ["txt", "tsv"]
    try:
        returncode, _stdout, stderr = _run(args, timeout=budget.timeout(), cwd=folder)
        if returncode != 0:
            raise _ToolError(_("la reconnaissance de texte a échoué"))
        with open(f"{output}.txt", encoding="utf-8", errors="replace") as handle:
            text = _clean_text(handle.read())
        with open(f"{output}.tsv", encoding="utf-8", errors="replace") as handle:
            words, confidence = _words_and_confidence(handle.read())
    except _ToolError as error:
        return PageResult(number, PageStatus.FAILED, detail=error.reason, seconds=time.monotonic() - started)
    except OSError:
        return PageResult(number, PageStatus.FAILED, detail=_("la reconnaissance de texte a échoué"),
                          seconds=time.monotonic() - started)
    seconds = time.monotonic() - started
    confidence = round(confidence, 1)
    if not _letters(text):
        if _is_blank(image_path):
            return PageResult(number, PageStatus.BLANK, seconds=seconds,
                              detail=_("page blanche, aucun texte n'y a été trouvé"))
        return PageResult(number, PageStatus.UNREADABLE, seconds=seconds, detail=_(
            "aucun texte reconnaissable (image, écriture manuscrite ou numérisation brouillée)"))
    if (words >= MIN_WORDS and confidence >= MIN_CONFIDENCE) or (words >= 1 and confidence >= MIN_CONFIDENCE_FEW_WORDS):
        return PageResult(number, PageStatus.READ, text=text, seconds=seconds, confidence=confidence)
    return PageResult(number, PageStatus.UNREADABLE, seconds=seconds, confidence=confidence, detail=_(
        "l'image est trop floue, brouillée ou de trop mauvaise qualité pour être lue"))


# -- Images -----------------------------------------------------------------------------------------------------------

def _image_pages(content, folder, limit):
    """Write each page of the image as a greyscale PNG; ([(number, path, dpi)], page count)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(content))
        if image.format not in ("PNG", "JPEG", "MPO", "TIFF"):
            raise _ToolError(_("ce fichier n'est pas une image PNG, JPEG ou TIFF"))
        count = getattr(image, "n_frames", 1)
        pages = []
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            if index >= limit:
                break
            width, height = frame.size
            if width * height > MAX_IMAGE_PIXELS:
                raise _ToolError(_("l'image compte trop de pixels (au plus %(megapixels)s millions)") % {
                    "megapixels": MAX_IMAGE_PIXELS // 1_000_000})
            dpi = frame.info.get("dpi", (None, None))[0]
            page = ImageOps.exif_transpose(frame) if index == 0 else frame
            if page.mode in ("RGBA", "LA", "PA") or (page.mode == "P" and "transparency" in page.info):
                background = Image.new("RGB", page.size, "white")
                background.paste(page.convert("RGBA"), mask=page.convert("RGBA").getchannel("A"))
                page = background
            page = page.convert("L")
            path = os.path.join(folder, f"page-{index + 1}.png")
            page.save(path, "PNG")
            pages.append((index + 1, path, dpi if dpi and 50 <= dpi <= 1200 else None))
    return pages, count


def _read_image(content, folder, budget):
    result = OcrResult()
    try:
        pages, result.page_count = _image_pages(content, folder, max_pages())
    except _ToolError as error:
        result.reason = _("Image illisible : %(reason)s.") % {"reason": error.reason}
        return result
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError, Image.DecompressionBombError,
            MemoryError):
        result.reason = _("Image illisible : le fichier est endommagé ou incomplet.")
        return result
    for number, path, dpi in pages:
        if budget.exhausted:
            result.pages.append(_skipped(number, time_out=True))
            continue
        result.pages.append(_tesseract(path, number, folder, budget, dpi=dpi))
    return result


# -- PDF ----------------------------------------------------------------------------------------------------------------

def _skipped(number, *, time_out=False):
    if time_out:
        detail = _("non lue, le temps permis pour le document est écoulé")
    else:
        detail = _("non lue, seules les %(limit)s premières pages sont lues") % {"limit": max_pages()}
    return PageResult(number, PageStatus.SKIPPED, detail=detail)


def _pdf_info(path, folder, budget):
    """(page count, {page number: (width, height) in points}) of the first pages."""
    returncode, stdout, stderr = _run(["pdfinfo", "-f", "1", "-l", str(max_pages()), path], timeout=budget.timeout(),
                                      cwd=folder)
    if returncode != 0:
        if "password" in stderr.lower():
            raise _ToolError(_("il est protégé par un mot de passe : demandez une version sans protection ou "
                               "numérisez le courrier papier"))
        raise _ToolError(_("le fichier PDF est endommagé ou incomplet"))
    info = stdout.decode("utf-8", "replace")
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    if not match:
        raise _ToolError(_("le fichier PDF est endommagé ou incomplet"))
    sizes = {}
    for number, width, height in re.findall(r"^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+)", info, re.MULTILINE):
        sizes[int(number)] = (float(width), float(height))
    return int(match.group(1)), sizes


def _pdf_text_layer(path, count, folder, budget):
    """{page number: text} of the PDF's embedded text (pages without one are missing or short)."""
    returncode, stdout, _stderr = _run(["pdftotext", "-layout", "-enc", "UTF-8", "-f", "1", "-l", str(count), path, "-"],
                                       timeout=budget.timeout(), cwd=folder)
    if returncode != 0:
        return {}
    pages = stdout.decode("utf-8", "replace").split("\x0c")
    return {number: _clean_text(text) for number, text in enumerate(pages[:count], start=1)}


def _render_pdf_page(path, number, size, folder, budget):
    """A greyscale PNG of one page at 300 dpi (less for very large pages); (path, dpi)."""
    dpi = DPI
    if size:
        longest = max(size) / 72  # inches
        if longest * DPI > MAX_RENDER_PIXELS_SIDE:
            dpi = max(36, int(MAX_RENDER_PIXELS_SIDE / longest))
    base = os.path.join(folder, f"render-{number}")
    returncode, _stdout, _stderr = _run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", str(number), "-l", str(number), "-singlefile", path, base],
        timeout=budget.timeout(), cwd=folder,
    )
    if returncode != 0 or not os.path.exists(f"{base}.png"):
        raise _ToolError(_("la page n'a pas pu être convertie en image"))
    return f"{base}.png", dpi


def _read_pdf(content, folder, budget):
    result = OcrResult()
    path = os.path.join(folder, "document.pdf")
    with open(path, "wb") as handle:
        handle.write(content)
    try:
        result.page_count, sizes = _pdf_info(path, folder, budget)
    except _ToolError as error:
        result.reason = _("PDF illisible : %(reason)s.") % {"reason": error.reason}
        return result
    if result.page_count == 0:
        result.reason = _("PDF illisible : le document ne contient aucune page.")
        return result
    readable_count = min(result.page_count, max_pages())
    try:
        text_layer = _pdf_text_layer(path, readable_count, folder, budget)
    except _ToolError:
        text_layer = {}
    for number in range(1, readable_count + 1):
        started = time.monotonic()
        text = text_layer.get(number, "")
        if _letters(text) >= MIN_TEXT_LAYER_LETTERS:
            result.pages.append(PageResult(number, PageStatus.TEXT_LAYER, text=text, seconds=time.monotonic() - started))
            continue
        if budget.exhausted:
            result.pages.append(_skipped(number, time_out=True))
            continue
        try:
            image_path, dpi = _render_pdf_page(path, number, sizes.get(number), folder, budget)
        except _ToolError as error:
            result.pages.append(PageResult(number, PageStatus.FAILED, seconds=time.monotonic() - started,
                                           detail=error.reason))
            continue
        page = _tesseract(image_path, number, folder, budget, dpi=dpi)
        page.seconds = time.monotonic() - started
        os.remove(image_path)
        result.pages.append(page)
    return result


# -- Entry point ----------------------------------------------------------------------------------------------------

def detect_kind(content):
    """"pdf", "png", "jpeg", "tiff" from the content (not the name), or None."""
    guess = filetype.guess(content[:8192]) if content else None
    return {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpeg", "image/tiff": "tiff"}.get(
        guess.mime if guess else None)


def _summarise(result):
    """The document's reason from its pages' (when some could not be read)."""
    if result.reason:
        return result.reason
    if not result.pages:
        return _("Texte illisible : aucune page n'a pu être lue.")
    limit_note = ""
    if result.page_count > len(result.pages):
        limit_note = _("Le document compte %(count)s pages : seules les %(limit)s premières ont été lues.") % {
            "count": result.page_count, "limit": max_pages()}
    problems = [page for page in result.pages if not page.readable and page.detail]
    if not result.ok:
        if len(result.pages) == 1:
            return _("Texte illisible : %(detail)s.") % {"detail": result.pages[0].detail}
        if all(page.status == PageStatus.BLANK for page in result.pages):
            return _("Texte illisible : toutes les pages sont blanches.")
        details = " ".join(page.reason for page in problems)
        return " ".join(part for part in (_("Texte illisible : aucune page n'a pu être lue."), details, limit_note) if part)
    return " ".join(part for part in (*(page.reason for page in problems), limit_note) if part)


def read_document(content, kind=None):
    """The `OcrResult` of a scanned letter's bytes (PDF, PNG, JPEG, TIFF). Never raises for a bad file."""
    content = bytes(content or b"")
    if not content:
        return OcrResult(reason=_("Fichier vide : il n'y a rien à lire."))
    kind = kind or detect_kind(content)
    if kind not in ("pdf", "png", "jpeg", "tiff"):
        return OcrResult(reason=_("Ce fichier n'est ni un PDF ni une image PNG, JPEG ou TIFF : il ne peut pas être lu."))
    missing = tools_missing()
    if missing:
        return OcrResult(reason=_("La reconnaissance de texte n'est pas installée sur le serveur (%(tools)s "
                                  "introuvable).") % {"tools": ", ".join(missing)})
    budget = _Budget()
    with tempfile.TemporaryDirectory(prefix="guichet-ocr-") as folder:
        try:
            result = _read_pdf(content, folder, budget) if kind == "pdf" else _read_image(content, folder, budget)
        except _ToolError as error:  # a tool that timed out or could not start outside a page
            result = OcrResult(reason=_("Lecture impossible : %(reason)s.") % {"reason": error.reason})
    result.reason = _summarise(result)
    return result
