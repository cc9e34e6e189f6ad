"""OCR of scanned letters (`mailroom.ocr`): the real Tesseract and poppler on generated images and PDFs.

The helpers at the top make the test documents (Pillow, WeasyPrint, pypdf); `test_scans` uses them too."""

import io
import os
import stat

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from guichet.mailroom import ocr

LETTER = ["Madame,", "je vous signale un dépôt sauvage", "rue de l'Église, devant le numéro 12."]
KEY_WORDS = ["Madame", "signale", "dépôt", "sauvage", "Église"]
FONT_PATHS = ["/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "DejaVuSerif.ttf"]


def font(size=36):
    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    raise RuntimeError("DejaVu Serif est nécessaire (paquet Debian fonts-dejavu-core, make system-deps)")


def letter_image(lines=LETTER, size=(1400, 420), blur=0):
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((60, 50 + index * 75), line, font=font(), fill=0)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    return image


def image_bytes(image, format_="PNG", **options):
    output = io.BytesIO()
    image.save(output, format_, **options)
    return output.getvalue()


def letter_png(lines=LETTER):
    return image_bytes(letter_image(lines), "PNG", dpi=(300, 300))


def blank_png():
    return image_bytes(Image.new("L", (1240, 1754), 255), "PNG")


def scanned_pdf(*images):
    """An image-only PDF (no text layer), as a scanner without OCR makes it."""
    images = images or (letter_image(),)
    output = io.BytesIO()
    images[0].convert("RGB").save(output, "PDF", resolution=150, save_all=True,
                                  append_images=[image.convert("RGB") for image in images[1:]])
    return output.getvalue()


def text_pdf(*pages):
    """A PDF with a text layer (a letter typed on a computer), one page per text."""
    from weasyprint import HTML

    pages = pages or (" ".join(LETTER),)
    html = "".join(f'<section style="page-break-after: always"><p>{text}</p></section>' for text in pages)
    return HTML(string=f"<html><body>{html}</body></html>").write_pdf()


def encrypted_pdf():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(text_pdf())).pages:
        writer.add_page(page)
    writer.encrypt("secret")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
PE = b"MZ\x90\x00" + b"\x00" * 56 + b"\x80\x00\x00\x00" + b"\x00" * 64 + b"PE\x00\x00" + b"\x00" * 200


def assert_key_words(text, words=KEY_WORDS, at_least=4):
    found = [word for word in words if word.lower() in text.lower()]
    assert len(found) >= at_least, (found, text)


# -- Tests ----------------------------------------------------------------------------------------------------------

def test_french_text_is_read_from_an_image_accents_included():
    result = ocr.read_document(letter_png())

    assert result.ok and result.reason == ""
    assert [page.status for page in result.pages] == [ocr.PageStatus.READ]
    assert_key_words(result.text)
    assert result.pages[0].confidence > 60


def test_jpeg_and_multipage_tiff_are_read_page_by_page():
    jpeg = image_bytes(letter_image().convert("RGB"), "JPEG", quality=90)
    assert_key_words(ocr.read_document(jpeg).text)

    tiff = io.BytesIO()
    letter_image().save(tiff, "TIFF", save_all=True, append_images=[Image.new("L", (1400, 420), 255)],
                        compression="tiff_lzw")
    result = ocr.read_document(tiff.getvalue())

    assert result.ok and result.page_count == 2
    assert [page.status for page in result.pages] == [ocr.PageStatus.READ, ocr.PageStatus.BLANK]
    assert_key_words(result.text)
    assert result.reason == "Page 2 : page blanche, aucun texte n'y a été trouvé."


def test_the_text_layer_of_a_typed_pdf_is_used_without_ocr():
    result = ocr.read_document(text_pdf(" ".join(LETTER), "Objet : encombrants. Merci de votre aide."))

    assert [page.status for page in result.pages] == [ocr.PageStatus.TEXT_LAYER] * 2
    assert_key_words(result.text, at_least=5)
    assert "encombrants" in result.text


def test_a_scanned_pdf_without_text_layer_is_rendered_and_read():
    result = ocr.read_document(scanned_pdf())

    assert result.ok and [page.status for page in result.pages] == [ocr.PageStatus.READ]
    assert_key_words(result.text)


def test_blank_page_gives_an_explicit_reason():
    result = ocr.read_document(blank_png())

    assert not result.ok and result.text == ""
    assert result.reason == "Texte illisible : page blanche, aucun texte n'y a été trouvé."


def test_grey_blank_page_of_a_scanner_is_blank():
    paper = Image.effect_noise((1240, 1754), 6).point(lambda value: min(255, 140 + value // 2))

    result = ocr.read_document(image_bytes(paper))

    assert result.pages[0].status == ocr.PageStatus.BLANK


@pytest.mark.parametrize("image", [
    letter_image(blur=7),
    Image.effect_noise((1200, 900), 200).point(lambda value: 0 if value < 90 else 255),
], ids=["blurred", "noise"])
def test_blurred_or_noisy_scan_is_unreadable_not_garbage(image):
    result = ocr.read_document(image_bytes(image))

    assert not result.ok and result.text == ""
    assert result.pages[0].status == ocr.PageStatus.UNREADABLE
    assert result.reason.startswith("Texte illisible : ")


@pytest.mark.parametrize(("content", "reason"), [
    (b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50, "Image illisible : le fichier est endommagé ou incomplet."),
    (b"%PDF-1.7\n1 0 obj <<>>\n" + b"\x00" * 200, "PDF illisible : le fichier PDF est endommagé ou incomplet."),
    (b"", "Fichier vide : il n'y a rien à lire."),
    (ELF, "Ce fichier n'est ni un PDF ni une image PNG, JPEG ou TIFF : il ne peut pas être lu."),
    (b"/etc/passwd\n", "Ce fichier n'est ni un PDF ni une image PNG, JPEG ou TIFF : il ne peut pas être lu."),
])
def test_corrupt_or_foreign_files_give_a_reason_never_an_exception(content, reason):
    result = ocr.read_document(content)

    assert not result.ok and result.text == "" and result.reason == reason


def test_truncated_scanned_pdf_is_reported_damaged():
    content = scanned_pdf()
    result = ocr.read_document(content[: len(content) // 2])

    assert not result.ok
    assert "endommagé" in result.reason or "convertie" in result.reason


def test_password_protected_pdf_is_reported():
    result = ocr.read_document(encrypted_pdf())

    assert not result.ok
    assert result.reason == ("PDF illisible : il est protégé par un mot de passe : demandez une version sans "
                             "protection ou numérisez le courrier papier.")


def test_only_the_first_pages_are_read(settings):
    settings.GUICHET_OCR_MAX_PAGES = 2
    result = ocr.read_document(text_pdf("Première page de la lettre.", "Deuxième page de la lettre.",
                                        "Troisième page de la lettre."))

    assert result.ok and result.page_count == 3 and len(result.pages) == 2
    assert "Troisième" not in result.text
    assert result.reason == "Le document compte 3 pages : seules les 2 premières ont été lues."


@pytest.fixture
def slow_tesseract(tmp_path, monkeypatch):
    """A `tesseract` that never answers, first in PATH (the other tools stay the real ones)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "tesseract"
    script.write_text("#!/bin/sh\nexec sleep 30\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def test_a_tool_that_hangs_is_stopped_by_the_timeout(settings, slow_tesseract):
    settings.GUICHET_OCR_PAGE_TIMEOUT = 1

    result = ocr.read_document(letter_png())

    assert not result.ok
    assert result.pages[0].status == ocr.PageStatus.FAILED
    assert result.reason == "Texte illisible : la lecture a dépassé le temps permis (1 s)."
    assert result.seconds < 10


def test_the_whole_document_has_a_time_budget(settings, slow_tesseract):
    settings.GUICHET_OCR_PAGE_TIMEOUT = 1
    settings.GUICHET_OCR_TOTAL_TIMEOUT = 1.5

    result = ocr.read_document(scanned_pdf(letter_image(), letter_image(), letter_image()))

    assert [page.status for page in result.pages][-1] == ocr.PageStatus.SKIPPED
    assert "le temps permis pour le document est écoulé" in result.reason


def test_missing_tools_are_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))

    result = ocr.read_document(letter_png())

    assert not result.ok
    assert result.reason.startswith("La reconnaissance de texte n'est pas installée sur le serveur (tesseract")


def test_image_with_too_many_pixels_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(ocr, "MAX_IMAGE_PIXELS", 2_000_000)

    result = ocr.read_document(image_bytes(letter_image(size=(2000, 1200))))

    assert not result.ok
    assert result.reason == "Image illisible : l'image compte trop de pixels (au plus 2 millions)."
