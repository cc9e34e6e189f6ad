"""The letters as PDF (WeasyPrint), on the collectivité's letterhead, for French window envelopes.

Layout (A4, 210 × 297 mm; every number in millimetres from the sheet's top-left corner)
------------------------------------------------------------------------------------
The letters go into the usual French window envelope: DL (110 × 220 mm; C5/6 is 114 × 229 mm), window of
45 × 100 mm on the right, 20 mm from the right edge and 15 mm from the bottom edge of the envelope (the
standard position of envelope makers' catalogues and of La Poste's guide « Bien rédiger ses adresses »).
The A4 sheet is folded in three (folds at 99 and 198 mm — marked in the left margin) and slid in with the top
panel facing the window.

In the envelope the window spans x 100–200 mm and y 50–95 mm. The sheet (210 mm wide) lies anywhere
between the left and the right side of a 220 mm envelope (0 to 10 mm from its left edge), and its top panel
(99 mm) anywhere between the top and the bottom of a 110 mm one (its top edge 0 to 11 mm below the envelope's),
so the part of the sheet that shows through the window whatever the play is x 100–190 mm, y 50–84 mm. The
recipient's address block is therefore:

    left ADDRESS_LEFT = 110 mm, top ADDRESS_TOP = 50 mm, width ADDRESS_WIDTH = 80 mm, height ADDRESS_HEIGHT = 32 mm

i.e. x 110–190 mm, y 50–82 mm: 10 mm inside the safe area on the left (a sheet slid to the right still shows the
first letters), 2 mm at the bottom. 32 mm hold the 6 lines of at most 38 characters (≈ 67 mm at 10 pt) that the
French address standard (AFNOR NF Z 10-011) allows, at a 5 mm line pitch; the last line, postcode and town, is
printed in capitals without punctuation, as that standard asks.

The collectivité's letterhead takes the top-left corner (from 15 mm, 80 mm wide, logo at most 22 mm high), the
place and date sit under the window (from 90 mm, aligned with the address), then come the reference and subject
lines (from 103 mm), the text and the signature. Page margins: 15 mm top, 15 mm right, 25 mm bottom (footer with
the collectivité's contact details), 20 mm left.

Page numbers (« Page 1 sur 2 ») are printed only on letters that run over one page (such a letter is laid out a
second time with them). Each letter is its own document, so its numbering starts again at 1.

Batches are printed on one side of the sheet by default: every page of the batch PDF is the next sheet of the
letter. For duplex printers, `duplex=True` adds a blank page after each letter of an odd number of pages, so
that every letter starts on a new sheet (an odd page) and no letter is printed on the back of another one.
"""

import base64
import re

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from weasyprint import HTML
from weasyprint.urls import URLFetcher

ADDRESS_LEFT = 110
ADDRESS_TOP = 50
ADDRESS_WIDTH = 80
ADDRESS_HEIGHT = 32
MARGIN_TOP = 15
MARGIN_RIGHT = 15
MARGIN_BOTTOM = 25
MARGIN_LEFT = 20
FOLDS = (99, 198)

LAYOUT = {
    "margin_top": MARGIN_TOP, "margin_right": MARGIN_RIGHT, "margin_bottom": MARGIN_BOTTOM,
    "margin_left": MARGIN_LEFT,
    # Positions inside the page's content box (absolute positioning starts from the top-left margin corner).
    "address_left": ADDRESS_LEFT - MARGIN_LEFT, "address_top": ADDRESS_TOP - MARGIN_TOP,
    "address_width": ADDRESS_WIDTH, "address_height": ADDRESS_HEIGHT,
    "date_top": 90 - MARGIN_TOP, "head_height": 103 - MARGIN_TOP,
    "folds": [fold - MARGIN_TOP for fold in FOLDS], "fold_mark_left": 5 - MARGIN_LEFT,
}
POSTCODE_TOWN = re.compile(r"^\s*(\d{5})\s+(.+?)\s*(cedex.*)?$", re.IGNORECASE)


def french_date(day):
    """« 23 novembre 2026 », « 1er mars 2027 »."""
    with translation.override("fr"):
        text = date_format(day, "j F Y")
    return "1er" + text[1:] if day.day == 1 else text


def place_of(organisation):
    """Where the collectivité writes from: the town of its postal address, or its name."""
    for line in reversed(organisation.address.splitlines()):
        match = POSTCODE_TOWN.match(line)
        if match:
            return match.group(2)
    return organisation.name


def logo_data_uri(organisation):
    if not organisation.logo:
        return ""
    try:
        with organisation.logo.open("rb") as logo:
            data = logo.read()
    except OSError:
        return ""
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg" if data.startswith(b"\xff\xd8") else ""
    return f"data:{kind};base64,{base64.b64encode(data).decode()}" if kind else ""


def address_lines(letter):
    """The address as printed in the window: the last line (postcode and town) in capitals."""
    lines = letter.address_lines
    if lines and POSTCODE_TOWN.match(lines[-1]):
        lines[-1] = re.sub(r"[,.;]", " ", lines[-1]).upper()
        lines[-1] = " ".join(lines[-1].split())
    return lines


def paragraphs(text):
    """Paragraphs (separated by a blank line), each a list of lines; escaped by the template."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return [[line.rstrip() for line in block.split("\n")] for block in blocks if block.strip()]


def letter_context(letter, *, numbered=False, organisation=None, logo=None):
    organisation = organisation or letter.organisation
    delivery = letter.delivery
    return {
        "letter": letter,
        "organisation": organisation,
        "contact_lines": [line.strip() for line in organisation.address.splitlines() if line.strip()],
        "logo": logo_data_uri(organisation) if logo is None else logo,
        "place": place_of(organisation),
        "date": french_date(timezone.localdate(letter.created_at)),
        "address_lines": address_lines(letter),
        "subject": delivery.notification.subject,
        "reference": letter.short_reference,
        "paragraphs": paragraphs(delivery.content),
        "numbered": numbered,
        "layout": LAYOUT,
    }


def _render(template, context):
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template, context)
    # Letters load nothing from outside (no file, no network): only the inline (data:) logo.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).render()


def letter_document(letter, **context):
    """The letter laid out; numbered again with « Page n sur N » when it runs over one page."""
    document = _render("letters/letter.html", letter_context(letter, **context))
    if len(document.pages) > 1:
        document = _render("letters/letter.html", letter_context(letter, numbered=True, **context))
    return document


def render_letters(letters, *, duplex=False, title=""):
    """One PDF with every letter, each starting on a new page (and a new sheet when `duplex`)."""
    letters = list(letters)
    if not letters:
        raise ValueError("no letters")
    organisation = letters[0].organisation
    logo = logo_data_uri(organisation)
    documents = [letter_document(letter, organisation=organisation, logo=logo) for letter in letters]
    pages = []
    blank = None
    for document in documents:
        pages.extend(document.pages)
        if duplex and len(document.pages) % 2:
            if blank is None:
                blank = _render("letters/blank.html", {"layout": LAYOUT}).pages[0]
            pages.append(blank)
    combined = documents[0].copy(pages)
    combined.metadata.title = title or organisation.name
    combined.metadata.authors = [organisation.name]
    combined.metadata.lang = "fr"
    return combined.write_pdf()
