"""Postal mail intake: uploading scanned letters (one letter per file), their OCR job, the progress page."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from guichet.background.testing import run_ready_jobs
from guichet.mailroom import scans
from guichet.mailroom.models import IncomingMail, MailAttachment
from guichet.mailroom.services import search_mail
from tests.conftest import client_for, make_agent, make_citizen, make_service
from tests.mailroom.test_ocr import ELF, PE, assert_key_words, blank_png, letter_png, scanned_pdf, text_pdf

OCR_JOB = "guichet.mailroom.tasks.ocr_letter"
UPLOAD = "mailroom:scan_upload"


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def post_files(client, *files, **fields):
    return client.post(reverse(UPLOAD), {"files": list(files), **fields})


def letters_of(organisation):
    return IncomingMail.objects.of(organisation).filter(source=IncomingMail.Source.SCAN).order_by("registry_number")


def ocr_jobs():
    return DBTaskResult.objects.filter(task_path=OCR_JOB)


# -- Who may upload -------------------------------------------------------------------------------------------------

def test_upload_page_for_agents_works_without_javascript(agent_client, service, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = agent_client.get(reverse(UPLOAD))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="file"' in page and "multiple" in page and 'enctype="multipart/form-data"' in page
    assert "20 Mo au plus par fichier, 30 fichiers au plus à la fois" in page
    assert service.name in page


def test_citizens_get_403_and_visitors_the_agents_login(citizen_client, anonymous_client):
    assert citizen_client.get(reverse(UPLOAD)).status_code == 403
    assert post_files(citizen_client, upload("lettre.png", letter_png())).status_code == 403
    response = anonymous_client.get(reverse(UPLOAD))
    assert response.status_code == 302 and reverse("agents:login") in response["Location"]
    assert not IncomingMail.objects.exists()


# -- Registering ----------------------------------------------------------------------------------------------------

def test_each_file_becomes_one_letter_with_its_scan_and_its_ocr_job(organisation, agent, agent_client, service):
    response = post_files(
        agent_client, upload("lettre-dupont.png", letter_png()), upload("Lettre Martin.PDF", scanned_pdf()),
        received_on="2026-11-30", service=service.pk, sender_name="  Claude   Dupont ",
        sender_address="3 rue de l'Église\n54470 Saint-Aubin",
    )

    mails = list(letters_of(organisation))
    assert len(mails) == 2
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('mailroom:scan_progress')}?lettres={mails[0].pk},{mails[1].pk}"
    for mail in mails:
        assert mail.channel == IncomingMail.Channel.POSTAL and mail.source == IncomingMail.Source.SCAN
        assert mail.registry_number.startswith("C-2026-")
        assert mail.state == IncomingMail.State.RECEIVED and mail.ocr_status == IncomingMail.OcrStatus.PENDING
        assert mail.service == service and mail.sender_name == "Claude Dupont"
        assert mail.sender_address == "3 rue de l'Église\n54470 Saint-Aubin"
        assert mail.received_at.date().isoformat() == "2026-11-30"
    scans_ = [mail.attachments.get() for mail in mails]
    assert [scan.original_name for scan in scans_] == ["lettre-dupont.png", "Lettre Martin.PDF"]
    assert [scan.content_type for scan in scans_] == ["image/png", "application/pdf"]
    assert all(scan.is_scan and scan.file for scan in scans_)
    with scans_[0].file.open("rb") as handle:
        assert handle.read() == letter_png()  # the scan is kept as received
    assert sorted(job.args_kwargs["args"] for job in ocr_jobs()) == sorted([[mail.pk] for mail in mails])

    page = agent_client.get(response["Location"]).content.decode()
    assert mails[0].registry_number in page and mails[1].registry_number in page
    assert "Lecture en cours" in page and "Actualiser l'avancement de la lecture" in page


def test_tiff_and_jpeg_are_accepted_by_their_content(organisation, agent_client):
    from PIL import Image

    tiff, jpeg = io.BytesIO(), io.BytesIO()
    Image.new("L", (200, 100), 255).save(tiff, "TIFF", save_all=True, append_images=[Image.new("L", (200, 100), 0)])
    Image.new("RGB", (200, 100), "white").save(jpeg, "JPEG")
    # Names and declared types lie: only the content counts.
    post_files(agent_client, upload("scan", tiff.getvalue(), "text/plain"), upload("photo.pdf", jpeg.getvalue()))

    assert [mail.attachments.get().content_type for mail in letters_of(organisation)] == ["image/tiff", "image/jpeg"]
    assert [mail.attachments.get().original_name for mail in letters_of(organisation)] == ["scan.tif", "photo.pdf.jpg"]


def test_valid_files_are_kept_when_others_are_refused(organisation, agent_client, monkeypatch):
    monkeypatch.setattr(scans, "MAX_FILE_MB", 1)
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
    response = post_files(
        agent_client, upload("bonne.png", letter_png()), upload("lettre.pdf", ELF), upload("vide.pdf", b""),
        upload("enorme.pdf", big), upload("notes.txt", "Bonjour".encode()), upload("aussi-bonne.pdf", text_pdf()),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert [mail.attachments.get().original_name for mail in letters_of(organisation)] == ["bonne.png",
                                                                                           "aussi-bonne.pdf"]
    assert "4 fichiers ont été refusés" in page
    assert "« lettre.pdf » est un programme, pas un courrier numérisé, quel que soit son nom : il est refusé." in page
    assert "« vide.pdf » est vide (0 octet) : numérisez le courrier de nouveau." in page
    assert "« enorme.pdf » pèse 1,0 Mo : la limite est de 1 Mo par fichier." in page
    assert ("Le contenu de « notes.txt » n&#x27;est pas un courrier numérisé accepté (PDF, image JPEG, image PNG, "
            "image TIFF), quel que soit son nom") in page
    assert "Les 2 autres fichiers ont bien été enregistrés : ils figurent ci-dessous." in page
    for mail in letters_of(organisation):
        assert mail.registry_number in page
    assert ocr_jobs().count() == 2


@pytest.mark.parametrize(("name", "content"), [("lettre.pdf", ELF), ("courrier.pdf", PE)])
def test_a_disguised_program_alone_registers_nothing(agent_client, name, content):
    response = post_files(agent_client, upload(name, content, "application/pdf"))

    assert response.status_code == 400
    page = response.content.decode()
    assert f"« {name} » est un programme, pas un courrier numérisé" in page
    assert "Aucun courrier n&#x27;a été enregistré" in page
    assert not IncomingMail.objects.exists() and not MailAttachment.objects.exists() and not ocr_jobs().exists()


def test_too_many_files_register_nothing(agent_client, monkeypatch):
    monkeypatch.setattr(scans, "MAX_FILES", 3)
    response = post_files(agent_client, *[upload(f"lettre-{n}.png", letter_png([f"Lettre {n}"])) for n in range(4)])

    assert response.status_code == 400
    assert ("Vous avez choisi 4 fichiers : envoyez-en au plus 3 à la fois. Aucun courrier n&#x27;a été enregistré."
            in response.content.decode())
    assert not IncomingMail.objects.exists()


def test_an_empty_upload_is_refused_and_keeps_the_fields(agent_client, service):
    response = post_files(agent_client, sender_name="Claude Dupont", service=service.pk)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Choisissez au moins un fichier : le courrier numérisé, en PDF ou en image." in page
    assert 'value="Claude Dupont"' in page and f'<option value="{service.pk}" selected>' in page
    assert not IncomingMail.objects.exists()


def test_a_date_in_the_future_is_refused(agent_client):
    response = post_files(agent_client, upload("lettre.png", letter_png()), received_on="2999-01-01")

    assert response.status_code == 400
    assert "La date de réception ne peut pas être dans le futur." in response.content.decode()
    assert not IncomingMail.objects.exists()


def test_the_same_scan_sent_twice_is_registered_once(organisation, agent_client):
    post_files(agent_client, upload("lettre.png", letter_png()))
    first = letters_of(organisation).get()

    response = post_files(agent_client, upload("lettre (copie).png", letter_png()))

    assert response.status_code == 400
    assert f"« lettre (copie).png » est déjà enregistré sous le numéro {first.registry_number}" in (
        response.content.decode())
    assert letters_of(organisation).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_scan_uploaded_twice_at_once_is_registered_once(organisation, agent):
    """A double click on « Enregistrer »: two uploads of the same file at the same moment give one letter, the
    other is told its number (threads with real row locks on PostgreSQL, one after the other on SQLite)."""
    import threading

    from django.db import connection

    checked = [scans.check_scan(upload("lettre.png", letter_png())) for _ in range(2)]
    threaded = connection.vendor == "postgresql"
    barrier, outcomes = threading.Barrier(2), {}

    def run(index):
        try:
            if threaded:
                barrier.wait(timeout=10)
            scans.register_scan(organisation, checked[index], received_at=scans.received_at_for(None),
                                registered_by=agent)
            outcomes[index] = "ok"
        except scans.ScanRefused as refusal:
            outcomes[index] = refusal.message
        finally:
            if threaded:
                connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start() if threaded else thread.run()
    for thread in threads if threaded else ():
        thread.join(timeout=30)
    assert sorted(outcomes) == [0, 1] and list(outcomes.values()).count("ok") == 1, outcomes
    [letter] = letters_of(organisation)
    assert any(f"déjà enregistré sous le numéro {letter.registry_number}" in text for text in outcomes.values())
    assert ocr_jobs().count() == 1 and MailAttachment.objects.count() == 1


def test_a_service_of_another_collectivite_is_refused(agent_client, other_organisation):
    foreign = make_service(other_organisation, name="Voirie de Montclair", slug="voirie")

    response = post_files(agent_client, upload("lettre.png", letter_png()), service=foreign.pk)

    assert response.status_code == 400 and not IncomingMail.objects.exists()


# -- The OCR job ---------------------------------------------------------------------------------------------------

def test_the_job_reads_the_letter_and_puts_it_in_the_queue(organisation, agent_client):
    lines = ["Objet : dépôt sauvage", "Madame, je vous signale un dépôt sauvage", "rue de l'Église."]
    post_files(agent_client, upload("lettre.png", letter_png(lines)))

    assert run_ready_jobs() == 1

    mail = letters_of(organisation).get()
    scan = mail.attachments.get()
    assert mail.ocr_status == IncomingMail.OcrStatus.DONE and mail.state == IncomingMail.State.TO_QUALIFY
    assert_key_words(mail.ocr_text, ["Madame", "signale", "dépôt", "sauvage", "Église"])
    assert scan.ocr_text == mail.ocr_text
    assert mail.subject == "dépôt sauvage"  # its « Objet : » line
    page = agent_client.get(f"{reverse('mailroom:scan_progress')}?lettres={mail.pk}").content.decode()
    assert "Texte extrait" in page and "Lecture terminée pour le courrier." in page and "<tr data-pending" not in page


def test_running_the_job_again_changes_nothing(organisation, agent_client):
    post_files(agent_client, upload("lettre.pdf", text_pdf()))
    run_ready_jobs()
    mail = letters_of(organisation).get()
    before = (mail.ocr_text, mail.state, mail.processed_at, mail.lock_version)

    from guichet.mailroom.tasks import ocr_letter

    ocr_letter.enqueue(mail.pk)  # a worker killed after the job committed runs it again
    assert run_ready_jobs() == 1
    assert scans.read_letter(mail.pk) == "already read"
    assert scans.read_letter(10**12) == "missing"

    mail.refresh_from_db()
    assert (mail.ocr_text, mail.state, mail.processed_at, mail.lock_version) == before
    assert letters_of(organisation).count() == 1


def test_an_unreadable_scan_waits_in_the_queue_with_texte_illisible(organisation, agent_client):
    post_files(agent_client, upload("page-blanche.png", blank_png()))
    run_ready_jobs()

    mail = letters_of(organisation).get()
    assert mail.ocr_status == IncomingMail.OcrStatus.FAILED and mail.ocr_text == ""
    assert mail.state == IncomingMail.State.TO_QUALIFY
    page = agent_client.get(f"{reverse('mailroom:scan_progress')}?lettres={mail.pk}").content.decode()
    assert "Texte illisible" in page and "Relancer la lecture" in page
    scan = mail.attachments.get()
    response = agent_client.get(reverse("mailroom:attachment", args=[scan.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == blank_png()


def test_a_damaged_pdf_is_registered_and_filed_unreadable(organisation, agent_client):
    content = scanned_pdf()
    post_files(agent_client, upload("abime.pdf", content[: len(content) // 2]))
    run_ready_jobs()

    mail = letters_of(organisation).get()
    assert mail.ocr_status == IncomingMail.OcrStatus.FAILED and mail.state == IncomingMail.State.TO_QUALIFY


def test_a_failing_automatic_filing_leaves_the_letter_read_in_the_queue(organisation, agent_client, monkeypatch):
    from guichet.mailroom import services

    def broken(mail):
        raise RuntimeError("base indisponible")

    monkeypatch.setattr(services, "process_mail", broken)
    post_files(agent_client, upload("lettre.pdf", text_pdf()))
    run_ready_jobs()

    mail = letters_of(organisation).get()
    assert mail.state == IncomingMail.State.TO_QUALIFY and mail.ocr_status == IncomingMail.OcrStatus.DONE
    assert mail.processing_error == "Traitement automatique en échec (base indisponible) : à qualifier."
    assert list(search_mail(organisation, "sauvage")) == [mail]


def test_read_again_queues_a_new_reading(organisation, agent_client):
    post_files(agent_client, upload("page-blanche.png", blank_png()))
    run_ready_jobs()
    mail = letters_of(organisation).get()

    response = agent_client.post(reverse("mailroom:scan_read_again", args=[mail.pk]))

    assert response.status_code == 302
    mail.refresh_from_db()
    assert mail.ocr_status == IncomingMail.OcrStatus.PENDING and ocr_jobs().filter(status="READY").count() == 1
    run_ready_jobs()
    mail.refresh_from_db()
    assert mail.ocr_status == IncomingMail.OcrStatus.FAILED and mail.state == IncomingMail.State.TO_QUALIFY


def test_a_letter_quoting_its_authors_tracking_code_is_added_to_the_request(organisation, agent_client, citizen,
                                                                           service):
    from tests.workflows.conftest import make_request, make_version

    service_request = make_request(make_version(organisation, service), citizen)
    text = (f"Objet : ma demande {service_request.tracking_code}\n\nMadame, je vous signale un dépôt sauvage rue "
            f"de l'Église.\n\nCamille Martin")
    post_files(agent_client, upload("suite.pdf", text_pdf(text)))
    run_ready_jobs()

    mail = letters_of(organisation).get()
    assert mail.state == IncomingMail.State.ATTACHED and mail.request == service_request
    assert service_request.attachments.filter(original_name="suite.pdf").exists()


def test_a_word_of_the_ocr_text_finds_the_letter(organisation, other_organisation, agent_client):
    post_files(agent_client, upload("lettre.png", letter_png()))
    run_ready_jobs()
    mail = letters_of(organisation).get()

    assert list(search_mail(organisation, "sauvage")) == [mail]
    assert list(search_mail(organisation, "Église")) == [mail]
    assert not search_mail(other_organisation, "sauvage").exists()


# -- Tenant isolation and visibility -------------------------------------------------------------------------------

@pytest.fixture
def other_agent(other_organisation):
    return make_agent(other_organisation, email="agent@montclair.example.org")


def test_letters_of_another_collectivite_are_never_shown(organisation, other_organisation, agent, other_agent):
    other_client = client_for(other_organisation, other_agent)
    post_files(other_client, upload("lettre-b.png", letter_png()))
    run_ready_jobs()
    letter_b = letters_of(other_organisation).get()
    scan_b = letter_b.attachments.get()
    client_a = client_for(organisation, agent)

    assert client_a.get(f"{reverse('mailroom:scan_progress')}?lettres={letter_b.pk}").status_code == 404
    assert client_a.get(reverse("mailroom:attachment", args=[scan_b.pk])).status_code == 404
    assert client_a.post(reverse("mailroom:scan_read_again", args=[letter_b.pk])).status_code == 404
    assert not letters_of(organisation).exists()
    # B's agent signed in on A's address is no agent of A.
    other_on_a = client_for(organisation, other_agent)
    assert other_on_a.get(reverse("mailroom:attachment", args=[scan_b.pk])).status_code in (302, 403, 404)
    assert other_on_a.get(f"{reverse('mailroom:scan_progress')}?lettres={letter_b.pk}").status_code in (302, 403, 404)
    # And A's ids listed on B's page next to B's are left out.
    post_files(client_a, upload("lettre-a.png", letter_png(["Autre lettre de Saint-Aubin"])))
    letter_a = letters_of(organisation).get()
    page = other_client.get(f"{reverse('mailroom:scan_progress')}?lettres={letter_b.pk},{letter_a.pk}").content.decode()
    assert "lettre-b.png" in page and "lettre-a.png" not in page
    assert [job.args_kwargs["args"] for job in ocr_jobs().filter(status="READY")] == [[letter_a.pk]]


def test_scans_are_downloadable_by_agents_only(organisation, agent_client, citizen_client, anonymous_client):
    post_files(agent_client, upload("lettre.png", letter_png()))
    scan = letters_of(organisation).get().attachments.get()
    url = reverse("mailroom:attachment", args=[scan.pk])

    response = agent_client.get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert citizen_client.get(url).status_code == 403
    assert anonymous_client.get(url).status_code == 302


def test_a_letter_sent_to_another_service_shows_its_number_but_not_its_text(organisation, agent, service):
    reception = make_agent(organisation, email="accueil@example.org",
                           services=[make_service(organisation, "Accueil", "accueil")])
    client = client_for(organisation, reception)
    post_files(client, upload("lettre.png", letter_png()), service=service.pk)
    run_ready_jobs()
    mail = letters_of(organisation).get()

    page = client.get(f"{reverse('mailroom:scan_progress')}?lettres={mail.pk}").content.decode()

    assert mail.registry_number in page and "Transmis au service État civil" in page
    assert "sauvage" not in page and reverse("mailroom:attachment", args=[mail.attachments.get().pk]) not in page
    assert "sauvage" in client_for(organisation, agent).get(
        f"{reverse('mailroom:scan_progress')}?lettres={mail.pk}").content.decode()


def test_progress_page_queries_do_not_grow_with_letters(organisation, agent, agent_client,
                                                        django_assert_max_num_queries):
    for index in range(6):
        post_files(agent_client, upload(f"lettre-{index}.pdf", text_pdf(f"Lettre numéro {index} de madame Dupont")))
    ids = ",".join(str(pk) for pk in letters_of(organisation).values_list("pk", flat=True))

    with django_assert_max_num_queries(12):
        response = agent_client.get(f"{reverse('mailroom:scan_progress')}?lettres={ids}")

    assert response.status_code == 200 and response.content.decode().count("C-2026-") >= 6


def test_bad_ids_in_the_progress_address_give_404_not_500(agent_client):
    for value in ("", "abc", "99999999999999999999999", "-1,,x"):
        assert agent_client.get(f"{reverse('mailroom:scan_progress')}?lettres={value}").status_code == 404


def test_a_citizen_cannot_see_the_progress_page(organisation, agent_client):
    post_files(agent_client, upload("lettre.png", letter_png()))
    mail = letters_of(organisation).get()
    citizen = make_citizen(organisation, email="autre@example.org")

    assert client_for(organisation, citizen).get(
        f"{reverse('mailroom:scan_progress')}?lettres={mail.pk}").status_code == 403
