"""CSV import of the directory: the files Excel and LibreOffice make, a preview with each line's errors, an
idempotent import, and nothing written for a file that cannot be read."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guichet.agents.models import Service
from guichet.directory import imports
from guichet.directory.models import DirectoryEntry, DirectoryImport
from guichet.directory.services import search_directory
from tests.conftest import make_agent

from .conftest import make_entry

pytestmark = pytest.mark.django_db

HEADER = "nom;prénom;service;fonction;missions;bâtiment;bureau;téléphone;courriel;horaires;poste"
ROWS = [
    "Lemoine;Karine;Services techniques;Cheffe d'équipe;graffitis, tags, affichage sauvage;Centre technique;12;"
    "03.83.00.20.41;karine.lemoine@example.org;8 h 30 – 17 h;2041",
    "Marchal;Sophie;État civil;Officière;actes de naissance;Hôtel de ville;RDC;0383002010;SOPHIE.MARCHAL@example.org;;",
    ";;Services techniques;;voirie, propreté;Centre technique;;03 83 00 20 40;;;",
]


def csv_bytes(lines, encoding="utf-8", bom=False, separator=";"):
    text = "\r\n".join(line.replace(";", separator) if separator != ";" else line for line in lines) + "\r\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def upload(client, data, name="annuaire.csv"):
    return client.post("/agents/annuaire/import/", {"file": SimpleUploadedFile(name, data, "text/csv")})


@pytest.fixture
def civil(organisation):
    return Service.objects.create(organisation=organisation, name="État civil", slug="etat-civil")


@pytest.mark.parametrize("encoding, bom, separator", [
    ("utf-8", False, ";"), ("utf-8", True, ";"), ("cp1252", False, ";"), ("utf-8", False, ","),
    ("utf-16", False, "\t"),
])
def test_preview_then_import_every_usual_file(admin_client_org, organisation, technical, civil, encoding, bom,
                                              separator):
    lines = [HEADER] + ROWS
    if separator == ",":
        lines = [HEADER.replace(";", ",")] + [
            ",".join(f'"{cell}"' if "," in cell else cell for cell in row.split(";")) for row in ROWS]
        separator = ";"  # already converted
    data = csv_bytes(lines, encoding=encoding, bom=bom, separator=separator)
    response = upload(admin_client_org, data)
    assert response.status_code == 302, response.content.decode()
    assert not DirectoryEntry.objects.exists()  # the preview writes nothing
    preview = admin_client_org.get(response["Location"])
    page = preview.content.decode()
    assert "3 fiche(s) créée(s), 0 mise(s) à jour" in page
    assert "Karine Lemoine" in page and "État civil" in page
    response = admin_client_org.post(response["Location"], {})
    assert response.status_code == 302, response.content.decode()
    entries = DirectoryEntry.objects.of(organisation)
    assert entries.count() == 3
    karine = entries.get(email="karine.lemoine@example.org")
    assert karine.phone.as_national == "03 83 00 20 41" and karine.office == "12" and karine.service == technical
    assert karine.missions == "graffitis, tags, affichage sauvage" and karine.hours == "8 h 30 – 17 h"
    assert entries.get(email="sophie.marchal@example.org").service == civil
    assert entries.get(kind="service").service == technical
    assert [entry.display_name for entry in search_directory(organisation, "graffiti")] == ["Karine Lemoine"]


def test_reimport_updates_never_duplicates(admin_client_org, organisation, technical, civil):
    for _ in range(2):
        result = imports.apply_import(organisation, "\n".join([HEADER] + ROWS), create_services=False)
    assert (result.created, result.updated, result.left_out) == (0, 3, 0)
    assert DirectoryEntry.objects.of(organisation).count() == 3
    changed = ROWS[0].replace(";12;", ";14;").replace("karine.lemoine@", "KARINE.LEMOINE@")
    result = imports.apply_import(organisation, "\n".join([HEADER, changed]), create_services=False)
    assert (result.created, result.updated) == (0, 1)
    assert DirectoryEntry.objects.of(organisation).get(email="karine.lemoine@example.org").office == "14"
    # A person without e-mail is found again by name.
    imports.apply_import(organisation, "nom;prénom;bureau\nDurand;Léo;1", create_services=False)
    imports.apply_import(organisation, "nom;prénom;bureau\nDURAND;Leo;2", create_services=False)
    assert DirectoryEntry.objects.of(organisation).get(last_name__iexact="durand").office == "2"
    # A column absent from the file leaves its field alone.
    imports.apply_import(organisation, "nom;prénom;courriel\nLemoine;Karine;karine.lemoine@example.org",
                         create_services=False)
    karine = DirectoryEntry.objects.of(organisation).get(email="karine.lemoine@example.org")
    assert karine.office == "14" and karine.missions.startswith("graffitis")


def test_export_then_import_round_trip(admin_client_org, organisation, technical, civil):
    imports.apply_import(organisation, "\n".join([HEADER] + ROWS), create_services=False)
    make_entry(organisation, last_name="=HYPERLINK(\"http://evil\")", first_name="+Bob", missions="@SUM(A1)",
               email="bob@example.org")
    response = admin_client_org.get("/agents/annuaire/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    data = response.content
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == imports.HEADERS
    bob = next(row for row in rows if "bob@example.org" in row)
    assert bob[0] == "'=HYPERLINK(\"http://evil\")" and bob[1] == "'+Bob" and bob[4] == "'@SUM(A1)"
    karine = next(row for row in rows if "karine.lemoine@example.org" in row)
    assert karine[7] == "03 83 00 20 41"
    result = imports.apply_import(organisation, data.decode("utf-8-sig"), create_services=False)
    assert (result.created, result.left_out) == (0, 0)
    assert DirectoryEntry.objects.of(organisation).get(email="bob@example.org").first_name == "+Bob"
    assert DirectoryEntry.objects.of(organisation).count() == 4


def test_line_errors_listed_in_french_and_left_out(admin_client_org, organisation, technical):
    lines = [HEADER,
             "Martin;Paul;Services techniques;;;;;12 34;paul@example.org;;",
             "Petit;Anne;;;;;;;pas-une-adresse;;",
             "Roux;Luc;Piscine municipale;;;;;;luc@example.org;;",
             "Roux;Lucie;;;;;;;luc@example.org;;",
             ";;;;;;;;;;",
             "Blanc;Eva;;;;;;;;;;en trop",
             "Noir;Jean;;" + "x" * 200 + ";;;;;;;",
             "Vert;Ana;Services techniques;;;;;0383002000;ana@example.org;;"]
    response = upload(admin_client_org, csv_bytes(lines))
    page = admin_client_org.get(response["Location"]).content.decode()
    assert "Le téléphone « 12 34 » n&#x27;est pas un numéro français valide" in page
    assert "L&#x27;adresse électronique « pas-une-adresse » n&#x27;est pas valide" in page
    assert "Piscine municipale" in page and "inconnu" in page
    assert "Cette adresse électronique figure déjà ligne 4" in page
    assert "plus de cellules que la ligne des noms de colonnes" in page
    assert "« fonction » est trop long" in page
    assert "5 lignes en erreur ne seront pas importées" in page
    # Refuse the unknown service: its line is left out too, with the reason.
    response = admin_client_org.post(response["Location"], {"unknown_services": "refuse"})
    assert response.status_code == 302
    assert set(DirectoryEntry.objects.of(organisation).values_list("last_name", flat=True)) == {"Vert"}
    assert not Service.objects.of(organisation).filter(name="Piscine municipale").exists()
    done = admin_client_org.get(response["Location"]).content.decode()
    assert "Fiches créées : 1" in done and "Lignes laissées de côté (en erreur) : 6" in done
    assert DirectoryImport.objects.get().text == ""


def test_unknown_services_created_when_chosen(admin_client_org, organisation):
    response = upload(admin_client_org, csv_bytes([HEADER, "Roux;Luc;Piscine municipale;;;;;;luc@example.org;;",
                                                   "Roux;Zoé;piscine MUNICIPALE;;;;;;zoe@example.org;;"]))
    assert admin_client_org.post(response["Location"], {"unknown_services": "nope"}).status_code == 400
    assert not DirectoryEntry.objects.exists()
    admin_client_org.post(response["Location"], {"unknown_services": "create"})
    service = Service.objects.of(organisation).get(name="Piscine municipale")
    assert set(DirectoryEntry.objects.of(organisation).values_list("service", flat=True)) == {service.pk}
    # The import is done: confirming again (back button, double click) imports nothing more.
    admin_client_org.post(response["Location"], {"unknown_services": "create"})
    assert DirectoryEntry.objects.of(organisation).count() == 2 and Service.objects.of(organisation).count() == 1


def test_agent_account_email_links_the_entry(organisation, technical):
    agent = make_agent(organisation, email="bruno@example.org", first_name="Bruno", last_name="Roy",
                       job_title="Jardinier")
    imports.apply_import(organisation, "nom;prénom;courriel;bureau;fonction\nAutre;Nom;BRUNO@example.org;7;Autre",
                         create_services=False)
    entry = DirectoryEntry.objects.of(organisation).get()
    assert entry.user == agent and entry.display_name == "Bruno Roy" and entry.display_job_title == "Jardinier"
    assert entry.office == "7"
    imports.apply_import(organisation, "nom;prénom;courriel;bureau\nRoy;Bruno;bruno@example.org;8",
                         create_services=False)
    assert DirectoryEntry.objects.of(organisation).get().office == "8"


def test_other_collectivite_never_touched(organisation, other_organisation, other_entry):
    Service.objects.create(organisation=other_organisation, name="Voirie", slug="voirie")
    make_agent(other_organisation, email="agent@montclair.example.org")
    plan = imports.plan_import(organisation, "nom;service;courriel\nGraffiti;Voirie;gaston@montclair.example.org\n"
                                             "Agent;;agent@montclair.example.org")
    assert plan.lines[0].action == "create" and plan.lines[0].service is None
    assert plan.unknown_services == ["Voirie"]
    assert plan.lines[1].user is None
    imports.apply_import(organisation, "nom;service;courriel\nGraffiti;Voirie;gaston@montclair.example.org\n"
                                       "Agent;;agent@montclair.example.org", create_services=True)
    other_entry.refresh_from_db()
    assert other_entry.organisation == other_organisation and other_entry.last_name == "Graffiti"
    assert DirectoryEntry.objects.of(organisation).count() == 2
    assert Service.objects.of(organisation).get().name == "Voirie"
    assert not DirectoryEntry.objects.of(organisation).filter(user__isnull=False).exists()


@pytest.mark.parametrize("data, message", [
    (b"", "fichier soumis est vide"),  # Django's own check
    (b"  \r\n \r\n", "Le fichier est vide"),
    ("nom;prénom\n".encode(), "ne contient que la ligne des noms de colonnes"),
    ("prénom;téléphone\nLéo;0383002000\n".encode(), "au moins « nom »"),
    ("nom;Nom\nA;B\n".encode(), "apparaît deux fois"),
    (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 50, "pas un fichier CSV"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "illisible"),
    (b"nom\n\x81\x8d\x8f\x90\x9d\n", "illisible"),
    (b"nom;pr\xc3\xa9nom\nA;" + b"\x01\x02", "illisible"),
])
def test_unreadable_files_write_nothing(admin_client_org, organisation, data, message):
    response = upload(admin_client_org, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DirectoryEntry.objects.exists() and not DirectoryImport.objects.exists()


def test_size_and_row_limits(admin_client_org, settings, monkeypatch):
    big = b"nom\n" + b"x" * (imports.MAX_BYTES + 10)
    response = upload(admin_client_org, big)
    assert response.status_code == 400 and "trop gros" in response.content.decode()
    monkeypatch.setattr(imports, "MAX_ROWS", 10)
    response = upload(admin_client_org, ("nom\n" + "\n".join(f"Agent{n}" for n in range(11))).encode())
    assert response.status_code == 400 and "11 lignes : 10 au plus" in response.content.decode()
    assert not DirectoryEntry.objects.exists()


def test_malformed_csv_refused_whole(organisation):
    text = 'nom;missions\nA;"' + "x" * (imports.csv.field_size_limit() + 5)
    with pytest.raises(imports.ImportFileError):
        imports.apply_import(organisation, text, create_services=False)
    assert not DirectoryEntry.objects.exists()


def test_import_queries_do_not_grow_with_directory(admin_client_org, organisation, technical,
                                                   django_assert_max_num_queries):
    for index in range(40):
        make_entry(organisation, last_name=f"Agent{index}", email=f"a{index}@example.org", service=technical)
    response = upload(admin_client_org, csv_bytes([HEADER] + [
        f"Agent{index};;Services techniques;;voirie;;;;a{index}@example.org;;" for index in range(40)]))
    with django_assert_max_num_queries(12):
        page = admin_client_org.get(response["Location"]).content.decode()
    assert "0 fiche(s) créée(s), 40 mise(s) à jour" in page


def test_pending_import_of_other_collectivite_is_404(admin_client_org, other_organisation):
    pending = DirectoryImport.objects.create(organisation=other_organisation, file_name="x.csv", encoding="UTF-8",
                                             text="nom\nPirate")
    assert admin_client_org.get(f"/agents/annuaire/import/{pending.pk}/").status_code == 404
    assert admin_client_org.post(f"/agents/annuaire/import/{pending.pk}/", {}).status_code == 404
    assert not DirectoryEntry.objects.exists()
