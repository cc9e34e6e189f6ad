"""Uploads: the type is read from the content, images are cleaned, limits hold, refused files leave nothing."""

import io
import os
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from guichet.formdefs import file_field_rules
from guichet.service_requests.files import MAX_IMAGE_PIXELS, store_uploads
from guichet.service_requests.models import Attachment
from guichet.service_requests.storage import private_storage
from tests.documents.builders import (
    FORM, PDF_BYTES, docx_bytes, image_bytes, make_request, make_version, odt_bytes, pdf_file, png_file,
)


@pytest.fixture
def service_request(organisation, service, citizen):
    return make_request(make_version(organisation, service), citizen=citizen)


def rules(field_id):
    return file_field_rules(FORM, field_id)


def stored_files():
    root = os.path.join(settings.MEDIA_ROOT, "private")
    return [os.path.join(folder, name) for folder, _dirs, names in os.walk(root) for name in names]


def read_back(attachment):
    with private_storage.open(attachment.file.name) as handle:
        return handle.read()


def assert_nothing_stored():
    assert Attachment.objects.count() == 0
    assert stored_files() == []


def test_a_real_pdf_is_stored_privately_under_an_unguessable_name(service_request, citizen):
    ids, errors = store_uploads(service_request, "justificatif", [pdf_file("Facture EDF mars.pdf")],
                                rules("justificatif"))
    assert errors == []
    attachment = Attachment.objects.get(pk=ids[0])
    assert attachment.request == service_request
    assert attachment.organisation == service_request.organisation
    assert attachment.field_id == "justificatif"
    assert attachment.original_name == "Facture EDF mars.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF_BYTES)
    assert attachment.uploaded_by == citizen
    assert attachment.source == "citizen"
    assert "Facture" not in attachment.file.name and attachment.file.name.endswith(".pdf")
    path = os.path.realpath(attachment.file.path)
    assert path.startswith(os.path.realpath(os.path.join(settings.MEDIA_ROOT, "private")) + os.sep)
    assert read_back(attachment) == PDF_BYTES
    with pytest.raises(ValueError):
        private_storage.url(attachment.file.name)


def test_a_png_is_re_encoded_without_its_text_metadata(service_request):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Camille Martin, 12 rue des Lilas")
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, "PNG", pnginfo=info)
    assert b"12 rue des Lilas" in buffer.getvalue()
    upload = SimpleUploadedFile("plan.png", buffer.getvalue(), content_type="image/png")
    ids, errors = store_uploads(service_request, "photo", [upload], rules("photo"))
    assert errors == []
    attachment = Attachment.objects.get(pk=ids[0])
    content = read_back(attachment)
    assert attachment.content_type == "image/png"
    assert b"12 rue des Lilas" not in content
    image = Image.open(io.BytesIO(content))
    assert image.size == (40, 30) and image.getpixel((5, 5)) == (10, 120, 200)


def jpeg_with_gps_and_rotation():
    exif = Image.Exif()
    exif[0x010F] = "Appareil de Camille"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 41.0, 30.5)
    gps[3], gps[4] = "E", (6.0, 11.0, 2.25)
    return image_bytes("JPEG", size=(60, 20), exif=exif.tobytes())


def test_a_jpeg_loses_its_gps_position_and_keeps_its_orientation(service_request):
    original = jpeg_with_gps_and_rotation()
    before = Image.open(io.BytesIO(original)).getexif()
    assert before.get_ifd(0x8825)  # the photo really carries a GPS position
    upload = SimpleUploadedFile("IMG_2041.JPG", original, content_type="image/jpeg")
    ids, errors = store_uploads(service_request, "photo", [upload], rules("photo"))
    assert errors == []
    attachment = Attachment.objects.get(pk=ids[0])
    content = read_back(attachment)
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not image.getexif().get_ifd(0x8825)
    assert b"Appareil de Camille" not in content
    assert image.size == (20, 60)  # the rotation is now in the pixels
    assert attachment.content_type == "image/jpeg"
    assert attachment.original_name == "IMG_2041.JPG"
    assert attachment.size == len(content)


def test_an_html_page_named_pdf_is_refused(service_request):
    upload = SimpleUploadedFile(
        "x.pdf", b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>", content_type="application/pdf"
    )
    ids, errors = store_uploads(service_request, "justificatif", [upload], rules("justificatif"))
    assert ids == []
    assert len(errors) == 1
    assert "« x.pdf »" in errors[0] and "ne correspond pas à un type de fichier accepté" in errors[0]
    assert "PDF, image JPEG, image PNG" in errors[0]
    assert_nothing_stored()


def test_a_program_named_photo_jpg_is_refused(service_request):
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200
    upload = SimpleUploadedFile("photo.jpg", program, content_type="image/jpeg")
    ids, errors = store_uploads(service_request, "photo", [upload], rules("photo"))
    assert ids == [] and "« photo.jpg »" in errors[0]
    assert_nothing_stored()


def test_a_pdf_is_refused_where_only_images_are_accepted(service_request):
    ids, errors = store_uploads(service_request, "photo", [pdf_file("photo.pdf")], rules("photo"))
    assert ids == [] and "image JPEG, image PNG" in errors[0]
    assert_nothing_stored()


def test_odt_and_docx_are_recognised_from_their_zip_content(service_request):
    odt = SimpleUploadedFile("lettre.odt", odt_bytes())
    ids, errors = store_uploads(service_request, "courrier", [odt], rules("courrier"))
    assert errors == []
    assert Attachment.objects.get(pk=ids[0]).content_type == "application/vnd.oasis.opendocument.text"
    docx = SimpleUploadedFile("lettre", docx_bytes())  # no extension: the right one is added
    ids, errors = store_uploads(service_request, "courrier", [docx], rules("courrier"))
    assert errors == []
    attachment = Attachment.objects.get(pk=ids[0])
    assert attachment.content_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert attachment.original_name == "lettre.docx"


def test_a_plain_zip_named_docx_is_refused(service_request):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("virus.exe", b"MZ" + b"\x00" * 100)
    upload = SimpleUploadedFile("rapport.docx", buffer.getvalue())
    ids, errors = store_uploads(service_request, "courrier", [upload], rules("courrier"))
    assert ids == [] and "ne correspond pas" in errors[0]
    assert_nothing_stored()


def test_a_docx_that_decompresses_into_a_bomb_is_refused(service_request):
    bomb = docx_bytes(extra=[("word/media/image1.bin", b"\x00" * (30 * 1024 * 1024))])
    assert len(bomb) < 200 * 1024  # small on the wire
    upload = SimpleUploadedFile("rapport.docx", bomb)
    ids, errors = store_uploads(service_request, "courrier", [upload], rules("courrier"))
    assert ids == [] and "anormalement grand" in errors[0]
    assert_nothing_stored()


def test_an_image_with_too_many_pixels_is_refused(service_request):
    buffer = io.BytesIO()
    side = int((MAX_IMAGE_PIXELS * 1.2) ** 0.5)
    Image.new("1", (side, side)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < 5 * 1024 * 1024
    upload = SimpleUploadedFile("plan.png", buffer.getvalue())
    ids, errors = store_uploads(service_request, "photo", [upload], rules("photo"))
    assert ids == [] and "trop de pixels" in errors[0]
    assert_nothing_stored()


@pytest.mark.parametrize("tolerant", [False, True])
def test_a_truncated_image_is_refused(service_request, tolerant, monkeypatch):
    from PIL import ImageFile

    # WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on when it is imported: uploads stay strict anyway.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", tolerant)
    upload = SimpleUploadedFile("photo.png", image_bytes("PNG", size=(300, 300))[:120])
    ids, errors = store_uploads(service_request, "photo", [upload], rules("photo"))
    assert ids == [] and "n'est pas une image lisible" in errors[0]
    assert_nothing_stored()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is tolerant  # left as it was


def test_a_file_over_the_size_limit_is_refused(service_request):
    big = SimpleUploadedFile("scan.pdf", PDF_BYTES + b"%" * (1024 * 1024 + 1))
    ids, errors = store_uploads(service_request, "justificatif", [big], rules("justificatif"))
    assert ids == []
    assert errors == ["« scan.pdf » pèse 1,0 Mo : la limite est de 1 Mo par fichier."]
    assert_nothing_stored()


def test_too_many_files_are_refused(service_request):
    files = [pdf_file("a.pdf"), pdf_file("b.pdf"), pdf_file("c.pdf")]
    ids, errors = store_uploads(service_request, "justificatif", files, rules("justificatif"))
    assert ids == [] and errors == ["Vous pouvez joindre au plus 2 fichiers ici."]
    ids, errors = store_uploads(service_request, "justificatif", files[:2], rules("justificatif"), already=1)
    assert ids == [] and errors == ["Vous pouvez joindre au plus 2 fichiers ici."]
    ids, errors = store_uploads(service_request, "photo", [png_file(), png_file()], rules("photo"))
    assert errors == ["Vous ne pouvez joindre qu'un seul fichier ici."]
    assert_nothing_stored()


def test_an_empty_file_is_refused(service_request):
    ids, errors = store_uploads(service_request, "justificatif", [SimpleUploadedFile("vide.pdf", b"")],
                                rules("justificatif"))
    assert ids == [] and errors == ["« vide.pdf » est vide : choisissez un fichier qui contient votre document."]
    assert_nothing_stored()


def test_one_bad_file_among_good_ones_stores_nothing(service_request):
    files = [pdf_file("bon.pdf"), SimpleUploadedFile("mauvais.pdf", b"<html></html>")]
    ids, errors = store_uploads(service_request, "justificatif", files, rules("justificatif"))
    assert ids == [] and len(errors) == 1 and "mauvais.pdf" in errors[0]
    assert_nothing_stored()


def test_file_names_are_cleaned(service_request):
    upload = SimpleUploadedFile("..\\..\\etc/pass\x00wd\u202e.pdf", PDF_BYTES)
    ids, errors = store_uploads(service_request, "justificatif", [upload], rules("justificatif"))
    assert errors == []
    assert Attachment.objects.get(pk=ids[0]).original_name == "passwd.pdf"
