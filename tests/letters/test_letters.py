"""Postal letters end to end: notify() by letter → delivery job → today's batch → PDF downloaded by an agent
(text and window position checked with pypdf) → marked as posted. WeasyPrint renders are few (≈0.3 s each)."""

import datetime
import io
from html import unescape

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from guichet.letters.models import Letter, LetterBatch
from guichet.letters.pdf import ADDRESS_HEIGHT, ADDRESS_LEFT, ADDRESS_TOP, ADDRESS_WIDTH, french_date, place_of
from guichet.letters.services import add_to_batch, close_for_download, mark_posted
from guichet.notifications.models import Delivery, DeliveryEvent
from guichet.background.testing import run_ready_jobs
from guichet.notifications.services import deliver
from tests.conftest import client_for, make_agent
from tests.letters.conftest import make_letter_citizen, pdf_reader, send_letter, text_positions

# What shows through the window of a DL envelope (window 100 × 45 mm, 20 mm from the right and 15 mm from the
# bottom of the envelope) whatever the play of the folded sheet in it: see guichet.letters.pdf.
WINDOW_SAFE_X = (100, 190)
WINDOW_SAFE_Y = (50, 84)


def host(organisation):
    return {"HTTP_HOST": f"{organisation.slug}.localhost"}


def png_logo():
    output = io.BytesIO()
    Image.new("RGB", (60, 30), "#1f4e8c").save(output, format="PNG")
    return ContentFile(output.getvalue(), name="logo-saint-aubin.png")


def test_letter_from_notify_to_posted(organisation, letter_citizen, agent, agent_client):
    organisation.logo.save("logo-saint-aubin.png", png_logo())
    delivery = send_letter(
        letter_citizen, message="Votre demande de carte d'identité est prête.\n\nVenez la retirer <b>à l'accueil</b> "
        "& apportez l'ancienne.", subject="Carte d'identité",
    )

    # The delivery job put the letter in today's open batch; the delivery waits there to be posted.
    assert delivery.channel == "letter"
    letter = Letter.objects.get(delivery=delivery)
    batch = letter.batch
    assert (batch.organisation, batch.date, batch.status) == (organisation, timezone.localdate(), "open")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.result == f"Courrier ajouté au lot du {timezone.localdate():%d/%m/%Y}"

    # The agent sees it in the list, opens the batch and downloads its PDF (which closes the batch).
    listing = agent_client.get(reverse("letters:batch_list"))
    assert listing.status_code == 200
    assert reverse("letters:batch_detail", args=[batch.pk]) in listing.content.decode()
    detail = agent_client.get(reverse("letters:batch_detail", args=[batch.pk]))
    assert "Madame Louise Bernard" in detail.content.decode()
    assert "Télécharger le PDF du lot" in detail.content.decode()

    response = agent_client.post(reverse("letters:batch_pdf", args=[batch.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="courriers-')
    assert "no-store" in response["Cache-Control"]
    batch.refresh_from_db()
    assert batch.status == LetterBatch.Status.DOWNLOADED
    assert batch.downloaded_by == agent and batch.downloaded_at is not None

    reader = pdf_reader(response.content)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    size_mm = [round(float(side) / 72 * 25.4) for side in (page.mediabox.width, page.mediabox.height)]
    assert size_mm == [210, 297]  # A4
    text = page.extract_text()
    for expected in (
        "Madame Louise Bernard", "12 rue des Tilleuls", "Bâtiment B", "54470 SAINT-AUBIN",  # recipient
        "Mairie de Saint-Aubin", "1 place de la Mairie", "03 83 00 20 00", "mairie@saint-aubin.example.org",
        "https://www.saint-aubin.example.org",  # letterhead
        f"Saint-Aubin, le {french_date(timezone.localdate())}",
        f"Réf. : {letter.short_reference}", "Objet : Carte d'identité",
        "Madame Bernard,", "Votre demande de carte d'identité est prête.",
        "Venez la retirer <b>à l'accueil</b> & apportez l'ancienne.",  # escaped, printed as written
    ):
        assert expected in text, expected
    assert "Page 1" not in text  # a one-page letter has no page number
    assert page["/Resources"]["/XObject"], "the collectivité's logo is on the letterhead"

    # The recipient's address block lies in the window, and nothing else does.
    runs = text_positions(page)
    recipient_lines = ["Madame Louise Bernard", "12 rue des Tilleuls", "Bâtiment B", "54470 SAINT-AUBIN"]
    positions = {text: (x, y) for text, x, y in runs}
    for line in recipient_lines:
        x, y = positions[line]
        assert x == pytest.approx(ADDRESS_LEFT, abs=0.5)
        assert WINDOW_SAFE_X[0] <= x < WINDOW_SAFE_X[1] and WINDOW_SAFE_Y[0] < y < WINDOW_SAFE_Y[1], (line, x, y)
    assert ADDRESS_LEFT + ADDRESS_WIDTH <= WINDOW_SAFE_X[1] and ADDRESS_TOP + ADDRESS_HEIGHT <= WINDOW_SAFE_Y[1]
    assert [text for text, x, y in runs if WINDOW_SAFE_X[0] - 5 <= x and WINDOW_SAFE_Y[0] - 5 < y < WINDOW_SAFE_Y[1]
            + 5] == recipient_lines

    # A second download gives the same letters and changes nothing.
    again = agent_client.get(reverse("letters:batch_pdf", args=[batch.pk]))
    assert again.status_code == 200
    assert "Madame Louise Bernard" in pdf_reader(again.content).pages[0].extract_text()
    batch.refresh_from_db()
    assert batch.status == LetterBatch.Status.DOWNLOADED and batch.downloaded_by == agent

    # Posted: the delivery is sent, with a POSTED event in its log.
    response = agent_client.post(reverse("letters:batch_posted", args=[batch.pk]), follow=True)
    assert "Lot marqué comme posté : 1 courrier(s) envoyé(s)." in response.content.decode()
    batch.refresh_from_db()
    delivery.refresh_from_db()
    assert batch.status == LetterBatch.Status.POSTED and batch.posted_by == agent and batch.posted_at
    assert delivery.status == Delivery.Status.SENT and delivery.sent_at
    kinds = list(delivery.events.values_list("kind", flat=True))
    assert kinds[0] == "queued" and kinds[-1] == "posted" and kinds.count("posted") == 1

    # Posting twice is harmless: a message, no second event.
    response = agent_client.post(reverse("letters:batch_posted", args=[batch.pk]), follow=True)
    assert "Ce lot a déjà été marqué comme posté." in response.content.decode()
    assert delivery.events.filter(kind=DeliveryEvent.Kind.POSTED).count() == 1
    batch.refresh_from_db()
    assert batch.posted_by == agent


def test_letter_arriving_after_download_goes_into_a_new_batch(organisation, letter_citizen, agent, agent_client):
    first = send_letter(letter_citizen, message="Premier courrier.")
    batch = first.letter.batch
    assert close_for_download(batch, agent) is True
    assert close_for_download(batch, agent) is False  # already closed

    second = send_letter(letter_citizen, message="Deuxième courrier.")
    new_batch = second.letter.batch
    assert new_batch != batch
    assert (new_batch.date, new_batch.status) == (batch.date, LetterBatch.Status.OPEN)
    assert list(batch.letters.all()) == [first.letter]  # the printed batch never changes

    third = send_letter(letter_citizen, message="Troisième courrier.")
    assert third.letter.batch == new_batch
    assert LetterBatch.objects.of(organisation).count() == 2


def test_add_to_batch_is_idempotent(organisation, letter_citizen):
    delivery = send_letter(letter_citizen)
    letter = delivery.letter
    assert add_to_batch(delivery) == letter
    # The job running again (a worker killed after adding the letter) finds the same letter.
    deliver.enqueue(delivery.pk)
    assert run_ready_jobs() == 1
    assert Letter.objects.filter(delivery=delivery).count() == 1
    assert LetterBatch.objects.count() == 1
    assert Letter.objects.get(delivery=delivery).pk == letter.pk


def test_open_batches_of_previous_days_stay_in_the_list(organisation, letter_citizen, agent_client):
    old = send_letter(letter_citizen, message="Courrier d'avant-hier.").letter.batch
    LetterBatch.objects.filter(pk=old.pk).update(date=timezone.localdate() - datetime.timedelta(days=2))
    today = send_letter(letter_citizen, message="Courrier du jour.").letter.batch
    assert today != old

    page = agent_client.get(reverse("letters:batch_list")).content.decode()
    waiting = page.split("<h2>À traiter</h2>")[1].split("<h2>")[0]
    assert reverse("letters:batch_detail", args=[old.pk]) in waiting
    assert reverse("letters:batch_detail", args=[today.pk]) in waiting


def test_batch_list_is_paginated_newest_first(organisation, agent_client):
    start = timezone.localdate()
    LetterBatch.objects.bulk_create([
        LetterBatch(organisation=organisation, date=start - datetime.timedelta(days=n), status="posted")
        for n in range(25)
    ])
    first = agent_client.get(reverse("letters:batch_list")).context["page"]
    assert [batch.date for batch in first.object_list][:2] == [start, start - datetime.timedelta(days=1)]
    assert len(first.object_list) == 20 and first.has_next()
    second = agent_client.get(reverse("letters:batch_list"), {"page": 2}).context["page"]
    assert len(second.object_list) == 5


def test_long_letter_runs_over_two_pages_and_duplex_pads_odd_letters(organisation, letter_citizen, agent_client):
    paragraph = ("Nous vous informons que les travaux de voirie de la rue des Tilleuls se dérouleront en plusieurs "
                 "phases, durant lesquelles la circulation et le stationnement seront modifiés. ") * 4
    long_text = "\n\n".join(f"{n}. {paragraph}" for n in range(1, 9)) + "\n\nFin du courrier."
    long = send_letter(letter_citizen, message=long_text, subject="Travaux de voirie")
    short = send_letter(make_letter_citizen(organisation, email="paul.durand@example.org", first_name="Paul",
                                            last_name="Durand", civility="m"), message="Court.")

    # The single letter's PDF: two pages, numbered, the text continuing on the second one.
    response = agent_client.get(reverse("letters:letter_pdf", args=[long.letter.pk]))
    assert response.status_code == 200
    reader = pdf_reader(response.content)
    assert len(reader.pages) == 2
    first, second = (page.extract_text() for page in reader.pages)
    assert "Page 1 sur 2" in first and "Page 2 sur 2" in second
    assert "Madame Louise Bernard" in first and "Fin du courrier." in second
    assert long.letter.batch.status == LetterBatch.Status.OPEN  # a single letter's PDF does not close the batch

    # Duplex batch: the 2-page letter, then the 1-page one, then a blank back: every letter on its own sheets.
    response = agent_client.post(reverse("letters:batch_pdf", args=[long.letter.batch.pk]), {"recto_verso": "1"})
    reader = pdf_reader(response.content)
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) == 4
    assert "Madame Louise Bernard" in texts[0] and "Monsieur Paul Durand" in texts[2]
    assert texts[3].strip() == ""
    assert "Page" not in texts[2]  # numbering restarts per letter; a one-page letter has none
    assert short.letter.batch_id == long.letter.batch_id


def test_mark_posted_before_download_is_refused(organisation, letter_citizen, agent_client):
    delivery = send_letter(letter_citizen)
    batch = delivery.letter.batch
    response = agent_client.post(reverse("letters:batch_posted", args=[batch.pk]), follow=True)
    assert "Ce lot n'a pas encore été téléchargé" in unescape(response.content.decode())
    batch.refresh_from_db()
    delivery.refresh_from_db()
    assert batch.status == LetterBatch.Status.OPEN and batch.posted_at is None
    assert delivery.status == Delivery.Status.QUEUED
    assert not delivery.events.filter(kind=DeliveryEvent.Kind.POSTED).exists()
    detail = agent_client.get(reverse("letters:batch_detail", args=[batch.pk])).content.decode()
    assert "Marquer comme posté" not in detail


def test_get_on_an_open_batch_pdf_does_not_close_it(organisation, letter_citizen, agent_client):
    batch = send_letter(letter_citizen).letter.batch
    response = agent_client.get(reverse("letters:batch_pdf", args=[batch.pk]), follow=True)
    assert "Télécharger le PDF du lot" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == LetterBatch.Status.OPEN


def test_mark_posted_service_skips_deliveries_already_sent(organisation, letter_citizen, agent):
    delivery = send_letter(letter_citizen)
    batch = delivery.letter.batch
    close_for_download(batch, agent)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT)
    mark_posted(batch, agent)
    assert not delivery.events.filter(kind=DeliveryEvent.Kind.POSTED).exists()
    assert batch.status == LetterBatch.Status.POSTED


@pytest.mark.parametrize("name", ["batch_list", "batch_detail", "batch_pdf", "batch_posted", "letter_pdf"])
def test_anonymous_and_citizens_are_refused(organisation, letter_citizen, anonymous_client, citizen_client, name):
    letter = send_letter(letter_citizen).letter
    args = [] if name == "batch_list" else [letter.pk if name == "letter_pdf" else letter.batch_id]
    url = reverse(f"letters:{name}", args=args)
    method = "post" if name in ("batch_posted", "batch_pdf") else "get"
    response = getattr(anonymous_client, method)(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("agents:login"))
    assert getattr(citizen_client, method)(url).status_code == 403
    letter.batch.refresh_from_db()
    assert letter.batch.status == LetterBatch.Status.OPEN


@pytest.mark.parametrize("name", ["batch_detail", "batch_pdf", "batch_posted", "letter_pdf"])
def test_other_collectivites_ids_give_404(organisation, other_organisation, letter_citizen, agent, name):
    letter = send_letter(letter_citizen).letter
    close_for_download(letter.batch, agent)
    other_agent = make_agent(other_organisation, email="agent@montclair.example.org")
    other_client = client_for(other_organisation, other_agent)
    url = reverse(f"letters:{name}", args=[letter.pk if name == "letter_pdf" else letter.batch_id])
    for method in ("get", "post"):
        response = getattr(other_client, method)(url)
        assert response.status_code in (404, 405), (method, response.status_code)
        assert response.status_code == 404 or (name, method) in {("batch_posted", "get")}
    # The agent of Montclair sees none of Saint-Aubin's batches in its list.
    assert other_client.get(reverse("letters:batch_list")).context["page"].paginator.count == 0
    letter.batch.refresh_from_db()
    assert letter.batch.status == LetterBatch.Status.DOWNLOADED and letter.delivery.status == Delivery.Status.QUEUED


def test_other_collectivites_agent_session_is_anonymous_here(organisation, other_organisation, letter_citizen):
    batch = send_letter(letter_citizen).letter.batch
    other_agent = make_agent(other_organisation, email="agent@montclair.example.org")
    intruder = client_for(other_organisation, other_agent)
    intruder.defaults.update(host(organisation))  # same session, Saint-Aubin's host
    response = intruder.post(reverse("letters:batch_pdf", args=[batch.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("agents:login"))
    batch.refresh_from_db()
    assert batch.status == LetterBatch.Status.OPEN


def test_french_dates_and_place():
    assert french_date(datetime.date(2026, 11, 23)) == "23 novembre 2026"
    assert french_date(datetime.date(2027, 3, 1)) == "1er mars 2027"


def test_place_is_the_town_of_the_collectivites_address(organisation, epci):
    assert place_of(organisation) == "Saint-Aubin"
    epci.address = "Hôtel communautaire\n2 rue de la Gare\n54300 Lunéville Cedex"
    assert place_of(epci) == "Lunéville"
    epci.address = ""
    assert place_of(epci) == epci.name


def test_one_open_batch_per_collectivite_and_day(organisation, other_organisation):
    today = timezone.localdate()
    LetterBatch.objects.create(organisation=organisation, date=today)
    LetterBatch.objects.create(organisation=other_organisation, date=today)
    LetterBatch.objects.create(organisation=organisation, date=today, status="downloaded")
    with pytest.raises(IntegrityError), transaction.atomic():
        LetterBatch.objects.create(organisation=organisation, date=today)


def test_a_batch_whose_letters_were_erased_has_nothing_to_print(organisation, letter_citizen, agent_client):
    batch = send_letter(letter_citizen).letter.batch
    letter_citizen.delete()
    response = agent_client.post(reverse("letters:batch_pdf", args=[batch.pk]), follow=True)
    assert "Ce lot ne contient plus aucun courrier" in unescape(response.content.decode())
