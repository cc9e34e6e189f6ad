"""Fixtures of the postal-letter tests: a citizen who asked for letters, and a way to send them one."""

import io

import pytest
from pypdf import PdfReader

from guichet.accounts.models import User
from guichet.background.testing import run_ready_jobs
from guichet.notifications.services import notify
from tests.conftest import make_citizen

MM = 72 / 25.4  # PDF points per millimetre


@pytest.fixture
def organisation(organisation):
    organisation.address = "Mairie de Saint-Aubin\n1 place de la Mairie\n54470 Saint-Aubin"
    organisation.phone = "03 83 00 20 00"
    organisation.email = "mairie@saint-aubin.example.org"
    organisation.website = "https://www.saint-aubin.example.org"
    organisation.save()
    return organisation


def make_letter_citizen(organisation, email="louise.bernard@example.org", **fields):
    fields.setdefault("first_name", "Louise")
    fields.setdefault("last_name", "Bernard")
    fields.setdefault("civility", User.Civility.MADAME)
    fields.setdefault("address_line", "12 rue des Tilleuls")
    fields.setdefault("address_complement", "Bâtiment B")
    fields.setdefault("postcode", "54470")
    fields.setdefault("city", "Saint-Aubin")
    return make_citizen(organisation, email=email, preferred_channel=User.Channel.LETTER, **fields)


@pytest.fixture
def letter_citizen(organisation):
    return make_letter_citizen(organisation)


def send_letter(recipient, message="Votre dossier est complet.", subject="Votre dossier"):
    """notify() by letter and run the delivery job; returns the letter delivery."""
    notification = notify(recipient, "message.free", {"objet": subject, "message": message})
    assert run_ready_jobs() >= 1  # the worker runs the delivery job
    return notification.deliveries.get()


def pdf_reader(content):
    return PdfReader(io.BytesIO(content))


def text_positions(page):
    """[(text, x_mm from the left edge, y_mm from the top edge)] of every text run of a PDF page."""
    height = float(page.mediabox.height)
    runs = []

    def visitor(text, cm, tm, font_dict, font_size):
        if text.strip():
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            runs.append((text.strip(), x / MM, (height - y) / MM))

    page.extract_text(visitor_text=visitor)
    return runs
