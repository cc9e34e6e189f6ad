"""Exports of queues and search results: asked for from the buttons, written by the worker, read back."""

import datetime
import re

import pytest
from django.template import Context, Template
from django.http import QueryDict
from django.utils import timezone

from guichet.background.testing import run_ready_jobs
from guichet.exports import services
from guichet.exports.models import Export
from guichet.notifications.models import Notification
from guichet.service_requests.models import ServiceRequest
from tests.conftest import client_for, make_agent
from tests.documents.builders import make_request

from .conftest import bulk_requests
from .readers import read_csv, read_ods, read_xlsx

HEADERS = [
    "numéro de suivi", "démarche", "canal", "statut", "priorité", "service", "agent en charge", "demandeur",
    "courriel", "téléphone", "adresse", "quartier", "envoyée le", "date limite", "état du délai", "close le",
    "réponse envoyée le",
]


def ask(client, *, source="queue", params="", format="csv", follow=False):
    return client.post("/agents/exports/nouveau/", {"source": source, "params": params, "format": format},
                       follow=follow)


def export_through_pages(client, **kwargs):
    """Press the button, see the waiting page, let the worker run, see the ready page → (export, file bytes)."""
    before = set(Export.objects.values_list("pk", flat=True))
    response = ask(client, **kwargs)
    assert response.status_code == 302, response.content.decode()[:1000]
    export = Export.objects.exclude(pk__in=before).get()
    assert response.url == f"/agents/exports/{export.pk}/"
    waiting = client.get(response.url)
    assert waiting.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in waiting.content.decode()
    assert 'role="status"' in waiting.content.decode()
    run_ready_jobs()
    export.refresh_from_db()
    assert export.state == Export.State.DONE, export.error
    ready = client.get(response.url)
    assert 'http-equiv="refresh"' not in ready.content.decode()
    assert f"/agents/exports/{export.pk}/fichier/" in ready.content.decode()
    download = client.get(f"/agents/exports/{export.pk}/fichier/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    return export, b"".join(download.streaming_content)


@pytest.fixture
def requests(version, voirie_version, other_version, citizen, colleague):
    """Saint-Aubin: 3 « Reçue » and 1 « Acceptée » requests of État civil, 2 of Voirie; 1 of Montclair."""
    citizen.phone = "+33612345678"
    citizen.save()
    today = timezone.localdate()
    received = [
        make_request(version, citizen, status="recue", deadline=today - datetime.timedelta(days=2),
                     address="3 rue des Lilas", district="Centre", priority=ServiceRequest.Priority.HIGH,
                     assigned_to=colleague, channel=ServiceRequest.Channel.PHONE),
        make_request(version, None, status="recue", deadline=today + datetime.timedelta(days=1),
                     contact_name="Alex Dupont", contact_email="alex@example.org", contact_phone="0383001122"),
        make_request(version, None, status="recue", deadline=today + datetime.timedelta(days=20),
                     contact_name="Lou Bernard"),
    ]
    accepted = make_request(version, citizen, status="acceptee", closed_at=timezone.now(),
                            answered_at=timezone.now())
    voirie = [make_request(voirie_version, None, status="recue", contact_name=f"Voirie {n}") for n in range(2)]
    montclair = make_request(other_version, None, status="recue", contact_name="Montclair")
    return {"received": received, "accepted": accepted, "voirie": voirie, "montclair": montclair}


def test_the_buttons_carry_the_selection_without_the_page_number():
    from django.utils import translation

    with translation.override("fr"):
        html = Template("{% load exports_tags %}{% export_buttons 'queue' params %}").render(
            Context({"params": QueryDict("status=recue&page=3&procedure=4&procedure=5"), "csrf_token": "jeton"})
        )
    assert 'action="/agents/exports/nouveau/"' in html and 'method="post"' in html
    assert 'name="csrfmiddlewaretoken" value="jeton"' in html
    assert '<input type="hidden" name="source" value="queue">' in html
    params = QueryDict(re.search(r'name="params" value="([^"]*)"', html).group(1).replace("&amp;", "&"))
    assert params.getlist("procedure") == ["4", "5"] and params["status"] == "recue" and "page" not in params
    for code in ("csv", "ods", "xlsx"):
        assert f'name="format" value="{code}"' in html
    assert "<legend>Exporter cette liste</legend>" in html


def test_csv_of_a_filtered_queue(agent_client, requests, version):
    export, content = export_through_pages(agent_client, params=f"status=recue&procedure={version.procedure_id}")
    rows, has_bom = read_csv(content)
    assert has_bom
    assert b";" in content.splitlines()[0] and content.endswith(b"\r\n")
    assert rows[0] == HEADERS
    codes = {row[0] for row in rows[1:]}
    assert codes == {request.tracking_code for request in requests["received"]}
    by_code = {row[0]: dict(zip(HEADERS, row)) for row in rows[1:]}
    first = by_code[requests["received"][0].tracking_code]
    today = timezone.localdate()
    assert first["démarche"] == "Demande d'acte de naissance"
    assert first["canal"] == "Téléphone"
    assert first["statut"] == "Reçue"
    assert first["priorité"] == "Haute"
    assert first["service"] == "État civil"
    assert first["agent en charge"] == "Sacha Collègue"
    assert first["demandeur"] == "Camille Martin"
    assert first["courriel"] == "camille.martin@example.org"
    assert first["téléphone"] == "06 12 34 56 78"
    assert first["adresse"] == "3 rue des Lilas" and first["quartier"] == "Centre"
    assert first["date limite"] == (today - datetime.timedelta(days=2)).strftime("%d/%m/%Y")
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", first["envoyée le"])
    assert first["état du délai"] == "En retard"
    assert first["close le"] == "" and first["réponse envoyée le"] == ""
    second = by_code[requests["received"][1].tracking_code]
    assert second["demandeur"] == "Alex Dupont" and second["téléphone"] == "03 83 00 11 22"
    assert second["état du délai"] == "Bientôt due"
    assert by_code[requests["received"][2].tracking_code]["état du délai"] == "Dans les temps"
    assert export.rows_done == export.rows_total == 3


def test_xlsx_has_real_dates(agent_client, requests):
    export, content = export_through_pages(agent_client, params="status=acceptee&state=closed", format="xlsx")
    values, cells = read_xlsx(content)
    assert values[0] == HEADERS
    assert len(values) == 2
    row = dict(zip(HEADERS, values[1]))
    assert row["numéro de suivi"] == requests["accepted"].tracking_code
    assert row["statut"] == "Acceptée"
    assert isinstance(row["envoyée le"], datetime.datetime)
    assert isinstance(row["close le"], datetime.datetime)
    assert row["close le"] == timezone.localtime(requests["accepted"].closed_at).replace(tzinfo=None, microsecond=0)
    closed_cell = cells[1][HEADERS.index("close le")]
    assert closed_cell.is_date and closed_cell.number_format == "DD/MM/YYYY HH:MM"
    assert row["état du délai"] in ("", None)  # a closed request has no deadline state


def test_ods_has_real_dates(agent_client, requests):
    export, content = export_through_pages(agent_client, params="status=recue", format="ods")
    rows = read_ods(content)
    assert [value for _kind, value in rows[0]] == HEADERS
    data = {row[0][1]: row for row in rows[1:]}
    assert set(data) == {request.tracking_code for request in requests["received"]}
    overdue = data[requests["received"][0].tracking_code]
    deadline_kind, deadline_value = overdue[HEADERS.index("date limite")]
    assert deadline_kind == "date"
    assert deadline_value == (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    submitted_kind, submitted_value = overdue[HEADERS.index("envoyée le")]
    assert submitted_kind == "date" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", submitted_value)
    assert overdue[HEADERS.index("statut")] == ("string", "Reçue")


def test_an_org_admin_exports_every_service(admin_client_org, requests):
    export, content = export_through_pages(admin_client_org, params="state=all")
    rows, _bom = read_csv(content)
    expected = {r.tracking_code for r in requests["received"] + requests["voirie"] + [requests["accepted"]]}
    assert {row[0] for row in rows[1:]} == expected  # never Montclair's


def test_permissions_are_those_of_the_moment_the_file_is_written(organisation, agent, agent_client, requests,
                                                                  service):
    response = ask(agent_client, params="")
    export = Export.objects.get()
    assert response.status_code == 302
    agent.memberships.filter(service=service).delete()  # removed from État civil before the worker ran
    run_ready_jobs()
    export.refresh_from_db()
    assert export.state == Export.State.DONE
    rows, _bom = read_csv(agent_client.get(f"/agents/exports/{export.pk}/fichier/").getvalue())
    assert rows == [HEADERS]
    assert export.rows_total == 0


def test_a_requester_who_left_gets_a_failed_export(agent, agent_client, requests):
    ask(agent_client)
    export = Export.objects.get()
    agent.is_active = False
    agent.save()
    run_ready_jobs()
    export.refresh_from_db()
    assert export.state == Export.State.FAILED and not export.file
    assert "n'est plus agent" in export.error


def test_an_elected_member_exports_no_personal_data(organisation, service, requests):
    from guichet.agents.models import Membership

    elected = make_agent(organisation, email="elu@example.org", services=[service], role=Membership.Role.ELECTED)
    client = client_for(organisation, elected)
    export, content = export_through_pages(client, params="")
    rows, _bom = read_csv(content)
    assert rows == [HEADERS]


def test_only_the_requester_or_an_org_admin_sees_and_downloads(organisation, agent_client, colleague,
                                                              admin_client_org, other_agent, requests):
    export, _content = export_through_pages(agent_client)
    urls = [f"/agents/exports/{export.pk}/", f"/agents/exports/{export.pk}/fichier/"]
    colleague_client = client_for(organisation, colleague)
    for url in urls:
        assert colleague_client.get(url).status_code == 404
        assert admin_client_org.get(url).status_code == 200
    assert "Dominique Agent" in admin_client_org.get(urls[0]).content.decode()
    listing = colleague_client.get("/agents/exports/").content.decode()
    assert f"/agents/exports/{export.pk}/" not in listing and "Vous n'avez demandé aucun export" in listing.replace(
        "&#x27;", "'")
    # Montclair's agent on Montclair's host, and with Saint-Aubin's address.
    montclair = client_for(other_agent.organisation, other_agent)
    for url in urls:
        assert montclair.get(url).status_code == 404


def test_citizens_and_visitors_have_no_exports(citizen_client, anonymous_client, requests):
    assert ask(citizen_client).status_code == 403
    assert citizen_client.get("/agents/exports/").status_code == 403
    response = ask(anonymous_client)
    assert response.status_code == 302 and response.url.startswith("/agents/connexion/")
    assert Export.objects.count() == 0


def test_a_download_before_the_file_is_ready_is_not_found(agent_client, requests):
    ask(agent_client)
    export = Export.objects.get()
    assert agent_client.get(f"/agents/exports/{export.pk}/fichier/").status_code == 404


@pytest.mark.parametrize(("data", "message"), [
    ({"source": "queue", "format": "pdf"}, "Ce format d'export n'existe pas : choisissez CSV, ODS ou XLSX."),
    ({"source": "queue"}, "Ce format d'export n'existe pas : choisissez CSV, ODS ou XLSX."),
    ({"source": "citoyens", "format": "csv"}, "Cette liste ne peut pas être exportée"),
    ({"source": "search", "format": "csv", "params": "q=+"}, "Saisissez d'abord les mots à rechercher"),
    ({"source": "queue", "format": "csv", "params": "status=" + "x" * 2100}, "trop longs pour être exportés"),
    ({"source": "queue", "format": "csv", "params": "priority=9&submitted_from=hier"},
     "Les filtres de cette liste ne sont pas valides"),
])
def test_bad_requests_are_refused_in_french(agent_client, data, message):
    from django_tasks_db.models import DBTaskResult

    jobs = DBTaskResult.objects.count()
    response = agent_client.post("/agents/exports/nouveau/", data, follow=True, HTTP_REFERER="http://saint-aubin.localhost/agents/")
    assert response.redirect_chain[0] == ("http://saint-aubin.localhost/agents/", 302)
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Export.objects.count() == 0 and DBTaskResult.objects.count() == jobs


def test_a_referer_of_another_site_is_not_followed(agent_client):
    response = agent_client.post("/agents/exports/nouveau/", {"source": "x"}, HTTP_REFERER="https://evil.example/")
    assert response.url == "/agents/exports/"


def test_create_takes_only_post(agent_client):
    assert agent_client.get("/agents/exports/nouveau/").status_code == 405


def test_too_many_exports_waiting_are_refused(agent_client, requests):
    for _n in range(services.MAX_ACTIVE_EXPORTS):
        assert ask(agent_client).status_code == 302
    response = ask(agent_client, follow=True)
    assert "Vous avez déjà 3 exports en cours" in response.content.decode()
    assert Export.objects.count() == services.MAX_ACTIVE_EXPORTS
    run_ready_jobs()
    assert ask(agent_client).status_code == 302  # finished ones do not count any more
    assert Export.objects.count() == services.MAX_ACTIVE_EXPORTS + 1


def test_formula_injection_is_defused_in_every_format(agent_client, version):
    dangerous = ["=HYPERLINK(\"http://evil.example\";\"clic\")", "+33 cmd", "-2+3", "@SUM(A1)", "\tTab"]
    for name in dangerous:
        make_request(version, None, status="recue", contact_name=name, address="=1+1", contact_email="a@example.org")
    expected = {"'" + name for name in dangerous}
    _export, content = export_through_pages(agent_client, format="csv")
    rows, _bom = read_csv(content)
    assert {row[HEADERS.index("demandeur")] for row in rows[1:]} == expected
    assert {row[HEADERS.index("adresse")] for row in rows[1:]} == {"'=1+1"}
    _export, content = export_through_pages(agent_client, format="xlsx")
    values, cells = read_xlsx(content)
    assert {row[HEADERS.index("demandeur")] for row in values[1:]} == expected
    assert all(row[HEADERS.index("demandeur")].data_type == "s" for row in cells[1:])
    _export, content = export_through_pages(agent_client, format="ods")
    rows = read_ods(content)
    assert {row[HEADERS.index("demandeur")] for row in rows[1:]} == {("string", value) for value in expected}
    assert b"of:=" not in content and b"table:formula" not in content


def test_control_characters_and_markup_do_not_break_the_files(agent_client, version):
    make_request(version, None, status="recue", contact_name="Léa\x01 \x1bMartin", address="<b>1 & 2</b> rue \"A\"",
                 contact_email="lea@example.org")
    expected_name, expected_address = "Léa Martin", '<b>1 & 2</b> rue "A"'
    _export, content = export_through_pages(agent_client, format="xlsx")
    values, _cells = read_xlsx(content)
    assert values[1][HEADERS.index("demandeur")] == expected_name
    assert values[1][HEADERS.index("adresse")] == expected_address
    _export, content = export_through_pages(agent_client, format="ods")
    row = read_ods(content)[1]
    assert row[HEADERS.index("demandeur")] == ("string", expected_name)
    assert row[HEADERS.index("adresse")] == ("string", expected_address)
    _export, content = export_through_pages(agent_client, format="csv")
    rows, _bom = read_csv(content)
    assert rows[1][HEADERS.index("adresse")] == expected_address


def test_a_large_export_is_written_by_batches_with_visible_progress(agent_client, version, monkeypatch):
    bulk_requests(version, 3000)
    seen = []
    real_rows = services.RowBuilder.rows

    def rows_and_progress(builder, batch):
        export = Export.objects.get()
        seen.append((export.state, export.rows_done, export.rows_total, len(batch), export.percent))
        return real_rows(builder, batch)

    monkeypatch.setattr(services.RowBuilder, "rows", rows_and_progress)
    export, content = export_through_pages(agent_client, format="xlsx")
    assert [done for _state, done, _total, _size, _pct in seen] == list(range(0, 3000, services.BATCH_SIZE))
    assert {(state, total, size) for state, _done, total, size, _pct in seen} == {
        ("running", 3000, services.BATCH_SIZE)}
    assert [pct for *_rest, pct in seen] == [0, 16, 33, 50, 66, 83]
    values, _cells = read_xlsx(content)
    assert len(values) == 3001
    # The queue's order (by deadline, then by number of record) is kept.
    assert values[1][HEADERS.index("demandeur")] == "Demandeur 00000"
    assert values[-1][HEADERS.index("demandeur")] == "Demandeur 02999"
    assert export.rows_done == 3000 and export.percent == 100


def test_the_progress_page_shows_the_percentage(agent_client, requests):
    ask(agent_client)
    export = Export.objects.get()
    Export.objects.filter(pk=export.pk).update(state=Export.State.RUNNING, rows_done=250, rows_total=1000)
    page = agent_client.get(f"/agents/exports/{export.pk}/").content.decode()
    assert "Export en cours : 25 % (250 lignes sur 1000)" in page
    assert '<progress max="100" value="25"' in page
    assert '<meta http-equiv="refresh" content="2">' in page


def test_the_queries_of_a_job_grow_with_batches_not_rows(agent, organisation, version):
    """Each batch costs the same few queries, whatever the size of the rows it holds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agent.is_verified = lambda: True  # as in a request that passed the second factor

    def queries_for(count):
        ServiceRequest.objects.all().delete()
        bulk_requests(version, count)
        export = services.create_export(agent, organisation, source="queue", params="", format="csv")
        with CaptureQueriesContext(connection) as captured:
            services.write_export(export.pk)
        Export.objects.filter(pk=export.pk).delete()
        return len(captured)

    one_batch, ten_times_more_rows = queries_for(50), queries_for(services.BATCH_SIZE)
    assert one_batch == ten_times_more_rows
    assert ten_times_more_rows <= 25
    three_batches = queries_for(3 * services.BATCH_SIZE)
    assert three_batches - one_batch <= 2 * 2  # per more batch: its rows, its progress


def test_a_rerun_after_a_dead_worker_rewrites_the_file_from_scratch(agent, agent_client, organisation, requests):
    ask(agent_client, format="xlsx")
    export = Export.objects.get()
    run_ready_jobs()
    export.refresh_from_db()
    first_file = export.file.name
    # As if the worker had died after writing the file but before recording it as done.
    Export.objects.filter(pk=export.pk).update(state=Export.State.RUNNING, rows_done=2)
    services.write_export(export.pk)
    export.refresh_from_db()
    assert export.state == Export.State.DONE and export.rows_done == 3
    assert export.file.name != first_file
    assert not export.file.storage.exists(first_file)  # the half-made file of the dead run is gone
    values, _cells = read_xlsx(agent_client.get(f"/agents/exports/{export.pk}/fichier/").getvalue())
    assert len(values) == 4
    # A finished export is not written again.
    assert services.write_export(export.pk) == "nothing to do"


def test_a_failing_job_says_so_and_is_tried_again(agent_client, requests, monkeypatch):
    from guichet.background.testing import make_delayed_jobs_due

    ask(agent_client)
    export = Export.objects.get()

    def broken(*args, **kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr(services, "writer_for", broken)
    run_ready_jobs()
    export.refresh_from_db()
    assert export.state == Export.State.FAILED
    page = agent_client.get(f"/agents/exports/{export.pk}/").content.decode()
    assert "L'export a échoué." in page.replace("&#x27;", "'") and 'http-equiv="refresh"' not in page
    monkeypatch.undo()
    make_delayed_jobs_due()
    run_ready_jobs()
    export.refresh_from_db()
    assert export.state == Export.State.DONE and export.rows_done == 3 and export.error == ""


def test_the_requester_is_told_when_the_export_is_ready(agent, agent_client, requests):
    export, _content = export_through_pages(agent_client)
    notification = Notification.objects.get(recipient=agent, key="export.ready")
    assert notification.link == f"/agents/exports/{export.pk}/"
    assert "File de demandes" in notification.subject
    assert f"({export.rows_done} lignes)" in notification.body


def test_my_exports_are_paginated_with_a_constant_number_of_queries(organisation, agent, agent_client, org_admin,
                                                                    admin_client_org, django_assert_max_num_queries):
    def make(count, user):
        Export.objects.bulk_create([
            Export(organisation=organisation, requested_by=user, source="queue", format="csv",
                   state=Export.State.DONE, rows_done=n, rows_total=n) for n in range(count)
        ])

    make(3, agent)
    with django_assert_max_num_queries(12) as few:
        page = agent_client.get("/agents/exports/")
    assert page.status_code == 200 and "3 exports, du plus récent au plus ancien" in page.content.decode()
    make(60, agent)
    make(5, org_admin)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = agent_client.get("/agents/exports/")
    content = page.content.decode()
    assert "63 exports" in content and "Page 1 sur 3" in content
    assert agent_client.get("/agents/exports/?page=3").content.decode().count("/fichier/") == 13
    admin_page = admin_client_org.get("/agents/exports/").content.decode()
    assert "68 exports" in admin_page and "Demandé par" in admin_page


def test_old_exports_and_their_files_are_deleted_every_night(agent_client, requests):
    from django.db import connection
    from django.test import TestCase

    from guichet.background.scheduler import registry
    from guichet.exports.tasks import delete_old_exports

    export, _content = export_through_pages(agent_client)
    recent, _content = export_through_pages(agent_client, format="ods")
    Export.objects.filter(pk=export.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    name, storage = export.file.name, export.file.storage
    assert storage.exists(name)
    job = registry.jobs[delete_old_exports.module_path]
    assert job.daily_at == datetime.time(4, 45)
    with TestCase.captureOnCommitCallbacks(using=connection.alias, execute=True):
        delete_old_exports.enqueue()
        assert run_ready_jobs() == 1
    assert not Export.objects.filter(pk=export.pk).exists() and not storage.exists(name)
    assert Export.objects.filter(pk=recent.pk).exists() and storage.exists(recent.file.name)
    assert agent_client.get(f"/agents/exports/{export.pk}/").status_code == 404


def test_the_agent_home_links_to_the_exports(agent_client):
    assert '<a href="/agents/exports/">Mes exports (CSV, ODS, XLSX)</a>' in agent_client.get("/agents/").content.decode()


def test_a_search_result_exports_what_the_search_finds_for_the_agent(agent_client, admin_client_org, version,
                                                                     voirie_version, other_version):
    mine = [
        make_request(version, None, status="recue", contact_name="Alex Dupont", address="12 rue du Moulin"),
        make_request(version, None, status="recue", contact_name="Claude Dupont", closed_at=timezone.now()),
    ]
    make_request(version, None, status="recue", contact_name="Lou Bernard")
    voirie = make_request(voirie_version, None, status="recue", contact_name="Marie Dupont")
    make_request(other_version, None, status="recue", contact_name="Jean Dupont")  # Montclair's
    from guichet.search.services import reindex_ids

    # Requests made straight in the database, without the events that index them.
    reindex_ids(list(ServiceRequest.objects.values_list("pk", flat=True)))
    export, content = export_through_pages(agent_client, source="search", params="q=dupont", format="csv")
    rows, _bom = read_csv(content)
    assert {row[0] for row in rows[1:]} == {request.tracking_code for request in mine}
    assert "Recherche « dupont »" in agent_client.get(f"/agents/exports/{export.pk}/").content.decode()
    _export, content = export_through_pages(admin_client_org, source="search", params="q=dupont", format="ods")
    assert {row[0][1] for row in read_ods(content)[1:]} == {r.tracking_code for r in mine + [voirie]}
    # A tracking code finds that request alone.
    _export, content = export_through_pages(agent_client, source="search", params=f"q={mine[0].tracking_code}",
                                            format="xlsx")
    values, _cells = read_xlsx(content)
    assert [row[0] for row in values[1:]] == [mine[0].tracking_code]


def test_the_export_pages_and_file_headers_are_in_english_for_english_readers(agent_client, requests):
    from django.utils import translation

    ask(agent_client)
    export = Export.objects.get()
    Export.objects.filter(pk=export.pk).update(state=Export.State.RUNNING, rows_done=1, rows_total=4)
    from django.conf import settings

    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch's choice
    page = agent_client.get(f"/agents/exports/{export.pk}/").content.decode()
    assert "Export in progress: 25% (1 rows of 4). This page updates itself." in page
    assert "My exports" in page
    assert "My exports (CSV, ODS, XLSX)" in agent_client.get("/agents/").content.decode()
    with translation.override("en"):
        from guichet.exports.columns import HEADERS as LAZY_HEADERS

        assert [str(header) for header in LAZY_HEADERS][:4] == ["tracking code", "procedure", "channel", "status"]
